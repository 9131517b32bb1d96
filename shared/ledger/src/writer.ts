import {
  checkpointHash,
  checkpointHashBytes,
  checkpointOrigin,
  formatVerifierKey,
  parseCheckpoint,
  parseNote,
  signCheckpoint,
  verifierKeyOf,
  type Checkpoint,
  CheckpointError,
  type Note,
  openNote,
  type SignerKey,
  type VerifierKey,
} from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { decodeEntry, EntryDecodeError, entryBytesMax, equalBytes } from '@fareledger/codecs';
import { aSafeUint, assert, entryTypes } from '@fareledger/domain';
import { CompactRange, compactRangeIds, TileHashReader, TileWriter, type Hash } from '@fareledger/merkle';
import { nodeHasher } from '@fareledger/merkle/node-hasher';
import type Database from 'better-sqlite3';
import { type BlockWrite, type BundleWrite, type CommitOutcome, LedgerCommitter } from './block-commit.js';
import { bundleRange, bundleWidth, type BundleRow, decodeBundle, encodeBundle, forEachBundleEntry, selectBundleRangeSql } from './entry-bundle.js';
import { duplicateIndexKey, entryMetadataOf, type LedgerEntryInput } from './entry-metadata.js';
import { ChainConflictError, LedgerError } from './errors.js';
import { bytesOf, openLedgerDatabase } from './schema.js';
import { prepareTileSelect, sqliteTileStore } from './tile-store.js';

// The batcher's side of the ledger. Each chain's tree state (CompactRange + TileWriter)
// lives in memory, restored from the stored tiles; sealBlock appends, signs, and writes the
// block's entries, tiles, checkpoint and the chain's Kafka position in ONE transaction.
// The in-memory state is a cache of the file: when anything in a seal throws, the chain's
// cache is dropped and rebuilt from the file on next use, so a failed seal can never leave
// a tree in memory that differs from the committed one (no fork).
//
// The batcher's workers split a seal in two (docs/batcher.md, "Threads"): prepareBlock
// moves the cache ahead of the file by one block and hands back its BlockWrite, which a
// commit thread stores (block-commit.ts) while the worker goes on; settle takes each
// block's outcome, and a refused block drops the cache again.
//
// Every write of a seal lands at the recent end of its B-tree (entry bundles and tiles by
// index, tap keys by event time), so a seal's cost does not grow with the ledger; see
// docs/ledger-store.md, "Performance", for the figures (bench/ledger-seal.ts).

export const chainMax = 65_535;
const replicaPositionPrefix = 'replica_next_offset/';
/** A block holds at most this many entries (the batcher's BATCHER_ENTRIES_PER_BLOCK_MAX is ≤ this). */
export const blockEntriesMax = 65_536;
/** A trip builder snapshot is one row, written in a seal's transaction; keep it well under this. */
export const builderStateBytesMax = 64 * 1024 * 1024;
const busyTimeoutMsDefault = 5_000;

export interface LedgerWriterOptions {
  readonly path: string;
  /** Each chain's checkpoint origin is `<logName>/chain/<chain>`; fixed when the file is created. */
  readonly logName: string;
  /**
   * Signs every chain's checkpoints (one key, one name; see ledger-store.md). Absent for a
   * replica, which only stores blocks signed elsewhere (replicateBlock).
   */
  readonly signer?: SignerKey;
  /** Create the file and schema if missing (default false: a missing ledger is an error). */
  readonly create?: boolean;
  /** How long a seal waits for another connection's write lock before SQLITE_BUSY (default 5,000). */
  readonly busyTimeoutMs?: number;
}

export interface BlockInput {
  readonly entries: readonly LedgerEntryInput[];
  /** First Kafka offset the block covers: the chain's nextOffset (any offset for a chain's first block). */
  readonly offsetFirst: number;
  /** The offset to read next (exclusive end of the block's range). */
  readonly offsetNext: number;
  /**
   * The trip builder's state after this block, when the batcher takes a snapshot (now and
   * then, not every block): stored with the block's tree size, returned by chainState.
   */
  readonly builderState?: Uint8Array;
  readonly fareTableVersion: string;
  readonly sealedAtMs: number;
}

export interface ChainState {
  readonly chain: number;
  readonly treeSize: number;
  /** Height of the chain's latest block; null before its first block. */
  readonly blockHeight: number | null;
  /** Where the batcher resumes reading the partition. 0 before the first block. */
  readonly nextOffset: number;
  /** The latest trip builder snapshot and the tree size it was taken at; null before the first. */
  readonly builderSnapshot: BuilderSnapshot | null;
  /** The latest signed checkpoint note; null before the first block. */
  readonly latestCheckpoint: string | null;
}

export interface BuilderSnapshot {
  /** The snapshot holds the builder's state after the chain's entries [0, treeSize). */
  readonly treeSize: number;
  readonly state: Uint8Array;
}

export interface SealedBlock {
  readonly chain: number;
  readonly blockHeight: number;
  /** Log index of the block's first entry (= the tree size before it). */
  readonly indexFirst: number;
  readonly treeSize: number;
  readonly rootHash: Hash;
  /** The signed checkpoint note. */
  readonly checkpoint: string;
  readonly checkpointHash: Uint8Array;
}

/** A chain's committed tree, mirrored in memory. */
interface ChainCache {
  readonly range: CompactRange;
  readonly tiles: TileWriter;
  blockHeight: number | null;
  nextOffset: number;
  prevHash: Uint8Array;
  /** The entries of the chain's last, partial entry bundle (none when the tree size is a multiple of 256). */
  bundleTail: readonly Uint8Array[];
}

/** A checkpoint signed elsewhere (a replica's block), checked by replicateBlock. */
interface SignedCheckpoint {
  readonly note: string;
  readonly rootHash: Uint8Array;
  readonly blockHeight: number;
  readonly verifierKey: string;
  readonly keyName: string;
}

/** Why a replicated block was refused: it is not the next block of this chain, signed by a trusted key. */
export type ReplicaRefusal = 'signature' | 'origin' | 'height' | 'prev-hash' | 'offsets' | 'tree-size' | 'root' | 'entry';

export class ReplicaBlockError extends Error {
  override readonly name = 'ReplicaBlockError';
  constructor(readonly reason: ReplicaRefusal, readonly chain: number, readonly blockHeight: number, detail: string) {
    super(`replica: chain ${chain} block ${blockHeight}: ${reason}: ${detail}`);
  }
}

/** A block prepared in memory: what sealing it returns, and what stores it. */
export interface PreparedBlock {
  readonly sealed: SealedBlock;
  readonly write: BlockWrite;
}

interface ChainRow {
  tree_size: number;
  block_height: number;
  next_offset: number;
  checkpoint: string;
}

export class LedgerWriter {
  readonly path: string;
  readonly logName: string;
  readonly #db: Database.Database;
  readonly #signer: SignerKey | null;
  readonly #verifierKey: string | null;
  readonly #chains = new Map<number, ChainCache>();
  readonly #statements: ReturnType<typeof prepareWriterStatements>;
  readonly #committer: LedgerCommitter;
  readonly #hasTaps: (chain: number, taps: readonly { readonly key: string; readonly eventTimeMs: number }[]) => boolean[];

  private constructor(path: string, logName: string, db: Database.Database, signer: SignerKey | null) {
    this.path = path;
    this.logName = logName;
    this.#db = db;
    this.#signer = signer;
    this.#verifierKey = signer === null ? null : formatVerifierKey(verifierKeyOf(signer));
    this.#statements = prepareWriterStatements(db);
    this.#committer = new LedgerCommitter(db);
    const lookup = db.transaction((chain: number, taps: readonly { readonly key: string; readonly eventTimeMs: number }[]) =>
      taps.map((tap) => this.#statements.hasTap.get(chain, tap.eventTimeMs, tap.key) !== undefined));
    this.#hasTaps = (chain, taps) => lookup.deferred(chain, taps);
  }

  /**
   * Opens the ledger at `path` and restores every stored chain's tree from its tiles.
   * Throws LedgerFormatError for a missing file (without `create`), another format version
   * or another log name, and LedgerError when a chain's tiles disagree with its checkpoint.
   */
  static open(options: LedgerWriterOptions): LedgerWriter {
    const { db, logName } = openLedgerDatabase({
      path: options.path,
      logName: options.logName,
      create: options.create ?? false,
      readonly: false,
      busyTimeoutMs: options.busyTimeoutMs ?? busyTimeoutMsDefault,
    });
    const writer = new LedgerWriter(options.path, logName, db, options.signer ?? null);
    try {
      writer.#snapshot(() => {
        for (const chain of writer.#statements.selectChains.all()) writer.#load(chain);
      });
      return writer;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * The chain's stored state, re-read from the file: call it when the batcher takes a
   * partition, and after a ChainConflictError. A chain never sealed has tree size 0 and
   * nextOffset 0, and nulls for the rest.
   */
  chainState(chain: number): ChainState {
    assertChain(chain);
    this.#chains.delete(chain);
    return this.#snapshot(() => this.#readChainState(chain));
  }

  #readChainState(chain: number): ChainState {
    const cache = this.#load(chain);
    const row = this.#statements.selectChain.get(chain);
    const snapshot = this.#statements.selectSnapshot.get(chain);
    return {
      chain,
      treeSize: cache.range.size,
      blockHeight: cache.blockHeight,
      nextOffset: cache.nextOffset,
      builderSnapshot: snapshot === undefined ? null : { treeSize: snapshot.tree_size, state: bytesOf(snapshot.state) },
      latestCheckpoint: row === undefined ? null : row.checkpoint,
    };
  }

  /** The chains that have a block, in order. */
  storedChains(): number[] {
    return this.#statements.selectChains.all();
  }

  /**
   * A replica's place in the topic it reads, by partition: the offset after the last
   * message of the last block it stored (kept in ledger_meta; readers ignore it). Written
   * after the block, not with it: a crash between the two makes the replica read that
   * block's messages again, and drop them as duplicates.
   */
  replicaPositions(): Map<number, number> {
    const positions = new Map<number, number>();
    for (const row of this.#statements.selectReplicaPositions.all()) {
      positions.set(Number(row.name.slice(replicaPositionPrefix.length)), Number(row.value));
    }
    return positions;
  }

  setReplicaPosition(partition: number, nextOffset: number): void {
    aSafeUint(partition, 'partition');
    aSafeUint(nextOffset, 'nextOffset');
    this.#statements.upsertMeta.run(`${replicaPositionPrefix}${partition}`, String(nextOffset));
  }

  /**
   * Hands the chain's entries [from, to) to `take` in log order, streamed bundle by bundle
   * (the trip builder's replay after its snapshot). The bytes are views valid during the
   * call only; `take` must not use this writer. Throws LedgerError for a missing bundle.
   */
  forEachEntry(chain: number, from: number, to: number, take: (index: number, bytes: Uint8Array) => void): void {
    assertChain(chain);
    aSafeUint(from, 'from');
    aSafeUint(to, 'to');
    assert(from <= to, `entries [${from}, ${to})`);
    if (from === to) return;
    let next = from;
    forEachBundleEntry(this.#statements.selectBundleRange.iterate(chain, ...bundleRange(from, to)), chain, from, to, (index, bytes) => {
      if (index !== next) throw new LedgerError(`ledger chain ${chain}: entry ${next} is missing; the file is damaged`);
      next += 1;
      take(index, bytes);
    });
    if (next !== to) throw new LedgerError(`ledger chain ${chain}: entry ${next} is missing; the file is damaged`);
  }

  /**
   * Whether the tap with key `deviceId/tapId` and this event time is already sealed in
   * `chain`: a device's retry of it carries both unchanged (one lookup of recent pages).
   */
  hasTap(chain: number, key: string, eventTimeMs: number): boolean {
    return this.#statements.hasTap.get(chain, eventTimeMs, key) !== undefined;
  }

  /** The chain's sealed taps with event time at or after `fromMs`, as [key, eventTimeMs] (a range of the duplicate index). */
  tapsSince(chain: number, fromMs: number): [key: string, eventTimeMs: number][] {
    return this.#statements.tapsSince.all(chain, fromMs);
  }

  /**
   * hasTap for many taps at once, in one read transaction: outside one, each lookup pays
   * for opening a WAL snapshot (measured 5.3 µs a lookup alone, 1.8 inside a transaction).
   */
  hasTaps(chain: number, taps: readonly { readonly key: string; readonly eventTimeMs: number }[]): boolean[] {
    return this.#hasTaps(chain, taps);
  }

  /**
   * Appends the block's entries to the chain's tree, signs a checkpoint of the new tree,
   * and commits entries, changed tiles, checkpoint, signing key, the chain's position and
   * the builder snapshot (when given) in one transaction. An empty block (every tap a duplicate) still
   * gets a checkpoint: the tree is unchanged, the offset range moves on, and every Kafka
   * offset stays covered by a signed checkpoint (ledger-store.md, "Empty blocks").
   * Throws ChainConflictError when another writer sealed on the chain meanwhile; any
   * throw leaves file and memory at the last committed block.
   */
  sealBlock(chain: number, block: BlockInput): SealedBlock {
    const { sealed, write } = this.prepareBlock(chain, block);
    let outcome: CommitOutcome;
    try {
      outcome = this.commit([write])[0]!;
    } catch (error) {
      this.#forgetChain(chain);
      throw error;
    }
    if (this.settle(write, outcome)) return sealed;
    if (outcome.status !== 'conflict') assert(false, 'settle throws for a block that failed');
    throw new ChainConflictError(chain, { treeSize: write.sizeBefore, blockHeight: write.heightBefore }, outcome.stored);
  }

  /**
   * A replica's append: stores a block sealed elsewhere (read from fare.blocks) after
   * checking, trusting nothing in it, that it is this chain's next block: its checkpoint
   * opens with one of `verifiers` and has this log's origin, its height, prev hash and
   * offsets follow the chain's latest block, and its entries, appended to the chain's tree,
   * give its root and tree size. Throws ReplicaBlockError and stores nothing otherwise.
   * The duplicate index and tiles are filled as for a sealed block, so a replica file reads
   * and verifies (verifyChain) as the original does.
   */
  replicateBlock(chain: number, entries: readonly Uint8Array[], note: string, verifiers: readonly VerifierKey[]): SealedBlock {
    assertChain(chain);
    const refuse = (reason: ReplicaRefusal, height: number, detail: string) => new ReplicaBlockError(reason, chain, height, detail);
    let opened: Note;
    let checkpoint: Checkpoint;
    try {
      opened = openNote(note, verifiers, { ed25519: ed25519Node });
      checkpoint = parseCheckpoint(opened.text);
    } catch (error) {
      if (error instanceof CheckpointError) throw refuse('signature', -1, error.message);
      throw error;
    }
    const f = checkpoint.fareledger;
    if (checkpoint.origin !== checkpointOrigin(this.logName, chain) || f === null) throw refuse('origin', f?.blockHeight ?? -1, `the checkpoint is of ${checkpoint.origin}`);
    const cache = this.#load(chain);
    const height = f.blockHeight;
    if (height !== (cache.blockHeight ?? -1) + 1) throw refuse('height', height, `the chain's next block is ${(cache.blockHeight ?? -1) + 1}`);
    if (!equalBytes(f.prevCheckpointHash, cache.prevHash)) throw refuse('prev-hash', height, "prev is not the hash of the chain's latest checkpoint");
    if (cache.blockHeight !== null && f.kafkaOffsetFirst !== cache.nextOffset) throw refuse('offsets', height, `starts at offset ${f.kafkaOffsetFirst}, the chain's next is ${cache.nextOffset}`);
    if (checkpoint.treeSize !== cache.range.size + entries.length) throw refuse('tree-size', height, `${entries.length} entries do not take tree size ${cache.range.size} to ${checkpoint.treeSize}`);
    const inputs = entries.map((bytes, i) => {
      try {
        return { bytes, ...entryMetadataOf(decodeEntry(bytes)) };
      } catch (error) {
        if (error instanceof EntryDecodeError) throw refuse('entry', height, `entry ${cache.range.size + i}: ${error.message}`);
        throw error;
      }
    });
    const signature = opened.signatures[0]!;
    const key = verifiers.find((v) => v.name === signature.name && v.keyHash === signature.keyHash)!;
    const signed: SignedCheckpoint = { note, rootHash: checkpoint.rootHash, blockHeight: height, verifierKey: formatVerifierKey(key), keyName: key.name };
    const block: BlockInput = { entries: inputs, offsetFirst: f.kafkaOffsetFirst, offsetNext: f.kafkaOffsetNext, fareTableVersion: f.fareTableVersion, sealedAtMs: f.sealedAtMs };
    // prepareBlock appends the entries and refuses the block if they give another root (the
    // chain's tree in memory is then dropped and read again from the file).
    const { sealed, write } = this.prepareBlock(chain, block, signed);
    const outcome = this.commit([write])[0]!;
    if (this.settle(write, outcome)) return sealed;
    if (outcome.status !== 'conflict') assert(false, 'settle throws for a block that failed');
    throw new ChainConflictError(chain, { treeSize: write.sizeBefore, blockHeight: write.heightBefore }, outcome.stored);
  }

  /**
   * Takes a prepared block's outcome: true when it was stored. A refused block drops the
   * chain's cache (the file is the truth again): a conflict returns false, and the caller
   * reloads the chain; a failure throws LedgerError.
   */
  settle(write: BlockWrite, outcome: CommitOutcome): boolean {
    if (outcome.status === 'committed') return true;
    this.#forgetChain(write.chain);
    if (outcome.status === 'conflict') return false;
    throw new LedgerError(`ledger chain ${write.chain}: block ${write.blockHeight} was not stored: ${outcome.message}`);
  }

  /**
   * sealBlock's first half: appends the block to the chain's tree in memory and signs its
   * checkpoint, without writing. The cache is then one block ahead of the file until the
   * write is committed (commit here, or a LedgerCommitter on another connection); blocks
   * of a chain must be committed in the order they were prepared, and each outcome passed
   * to settle before the chain is prepared again after a refusal.
   */
  prepareBlock(chain: number, block: BlockInput, signed: SignedCheckpoint | null = null): PreparedBlock {
    assertChain(chain);
    assertBlock(block);
    assert(signed !== null || this.#signer !== null, 'a writer without a signer only replicates blocks signed elsewhere');
    const cache = this.#load(chain);
    if (cache.blockHeight !== null) {
      assert(block.offsetFirst === cache.nextOffset, `chain ${chain}: block starts at offset ${block.offsetFirst}, the chain's next offset is ${cache.nextOffset}`);
    }
    try {
      const sizeBefore = cache.range.size;
      cache.range.appendLeaves(block.entries.map((entry) => entry.bytes), cache.tiles.visit);
      const { write, bundleTail } = this.#prepareWrite(chain, cache, block, sizeBefore, signed);
      cache.blockHeight = write.blockHeight;
      cache.nextOffset = block.offsetNext;
      cache.prevHash = write.noteHash;
      cache.bundleTail = bundleTail;
      const { blockHeight, treeSize, rootHash, note, noteHash } = write;
      return { sealed: { chain, blockHeight, indexFirst: sizeBefore, treeSize, rootHash, checkpoint: note, checkpointHash: noteHash }, write };
    } catch (error) {
      this.#forgetChain(chain);
      throw error;
    }
  }

  /** Stores prepared blocks through this writer's own connection, in one transaction (see LedgerCommitter.commit). */
  commit(writes: readonly BlockWrite[]): CommitOutcome[] {
    return this.#committer.commit(writes);
  }

  /** Drops the chain's cache: the next use reads it from the file (after a refused block). */
  #forgetChain(chain: number): void {
    this.#chains.delete(chain);
  }

  #prepareWrite(chain: number, cache: ChainCache, block: BlockInput, sizeBefore: number, signed: SignedCheckpoint | null): { write: BlockWrite; bundleTail: Uint8Array[] } {
    const tiles = cache.tiles.flush();
    const { bundles, bundleTail } = bundleWrites(sizeBefore, cache.bundleTail, block.entries);
    const treeSize = cache.range.size;
    // node:crypto hands back Buffers; callers get plain bytes, as from every other API here.
    const rootHash = new Uint8Array(cache.range.root());
    const heightBefore = cache.blockHeight;
    const blockHeight = heightBefore === null ? 0 : heightBefore + 1;
    let note: string;
    if (signed === null) {
      note = signCheckpoint(
        {
          origin: checkpointOrigin(this.logName, chain),
          treeSize,
          rootHash,
          fareledger: {
            blockHeight,
            prevCheckpointHash: cache.prevHash,
            kafkaOffsetFirst: block.offsetFirst,
            kafkaOffsetNext: block.offsetNext,
            fareTableVersion: block.fareTableVersion,
            sealedAtMs: block.sealedAtMs,
          },
        },
        [this.#signer!],
        { ed25519: ed25519Node },
      );
    } else {
      note = signed.note;
      assert(signed.blockHeight === blockHeight, 'replicateBlock checks the height before it prepares the block');
      if (!equalBytes(signed.rootHash, rootHash)) throw new ReplicaBlockError('root', chain, blockHeight, 'the entries give another root than the checkpoint');
    }
    const tapTimesMs: number[] = [];
    const tapKeys: string[] = [];
    for (const e of block.entries) {
      if (e.kind === 'trip') continue;
      tapTimesMs.push(e.timeMs);
      tapKeys.push(duplicateIndexKey(e)!);
    }
    const write: BlockWrite = {
      chain, heightBefore, sizeBefore, prevHash: cache.prevHash, blockHeight, treeSize, rootHash,
      offsetFirst: block.offsetFirst, offsetNext: block.offsetNext, fareTableVersion: block.fareTableVersion, sealedAtMs: block.sealedAtMs,
      builderState: block.builderState ?? null, tiles, bundles, tapTimesMs, tapKeys, note, noteHash: checkpointHash(note),
      verifierKey: signed?.verifierKey ?? this.#verifierKey!, keyName: signed?.keyName ?? this.#signer!.name,
    };
    return { write, bundleTail };
  }

  /**
   * Runs reads in one read transaction, so they see one commit. Other processes seal their
   * own chains in the same file (batchers of one group): read statement by statement, a
   * chain row and the edge tiles or bundle it needs came from different commits. Nested in
   * a transaction already open, it is part of that one.
   */
  #snapshot<T>(read: () => T): T {
    return this.#db.inTransaction ? read() : this.#db.transaction(read).deferred();
  }

  /** The chain's cache, restored from the file when missing (its reads in one snapshot). */
  #load(chain: number): ChainCache {
    const cached = this.#chains.get(chain);
    if (cached !== undefined) return cached;
    return this.#snapshot(() => this.#restore(chain));
  }

  #restore(chain: number): ChainCache {
    const row = this.#statements.selectChain.get(chain);
    let cache: ChainCache;
    if (row === undefined) {
      cache = { range: new CompactRange(nodeHasher), tiles: new TileWriter(), blockHeight: null, nextOffset: 0, prevHash: new Uint8Array(checkpointHashBytes), bundleTail: [] };
    } else {
      const store = sqliteTileStore(this.#statements.selectTile, chain);
      const size = row.tree_size;
      const range = new CompactRange(nodeHasher, size, new TileHashReader(store).readHashes(compactRangeIds(size)));
      checkRestoredRoot(chain, range, row.checkpoint);
      cache = {
        range, tiles: TileWriter.resume(store, size), blockHeight: row.block_height, nextOffset: row.next_offset,
        prevHash: checkpointHash(row.checkpoint), bundleTail: this.#bundleTail(chain, size),
      };
    }
    this.#chains.set(chain, cache);
    return cache;
  }

  /** The entries of the chain's partial last bundle, read back: they are rewritten with the next block's. */
  #bundleTail(chain: number, treeSize: number): Uint8Array[] {
    const count = treeSize % bundleWidth;
    if (count === 0) return [];
    const bundleIndex = Math.floor(treeSize / bundleWidth);
    const bytes = this.#statements.selectBundle.get(chain, bundleIndex);
    const where = `ledger chain ${chain}, bundle ${bundleIndex}`;
    if (bytes === undefined) throw new LedgerError(`${where}: missing; the file is damaged and must not be extended`);
    // Copies: the views would pin better-sqlite3's buffer, and the tail outlives it.
    const entries = decodeBundle(bytesOf(bytes), where).map((entry) => entry.slice());
    if (entries.length !== count) throw new LedgerError(`${where}: holds ${entries.length} entries, the tree size says ${count}`);
    return entries;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * The entry bundles a block rewrites or adds: the partial last bundle grown by the block's
 * first entries, then full bundles, then a new partial one; and the chain's new tail.
 */
function bundleWrites(sizeBefore: number, tail: readonly Uint8Array[], entries: readonly LedgerEntryInput[]): { bundles: BundleWrite[]; bundleTail: Uint8Array[] } {
  assert(tail.length === sizeBefore % bundleWidth, 'the cached bundle tail matches the tree size');
  const bundles: BundleWrite[] = [];
  let pending = [...tail];
  let bundleIndex = Math.floor(sizeBefore / bundleWidth);
  for (const entry of entries) {
    pending.push(entry.bytes);
    if (pending.length < bundleWidth) continue;
    bundles.push({ bundleIndex, bytes: encodeBundle(pending) });
    bundleIndex += 1;
    pending = [];
  }
  // An empty block leaves the partial bundle as it is; otherwise it grew and is rewritten.
  if (entries.length > 0 && pending.length > 0) bundles.push({ bundleIndex, bytes: encodeBundle(pending) });
  return { bundles, bundleTail: pending };
}

/** Refuses to extend a tree whose stored tiles do not give the root the latest checkpoint signed. */
function checkRestoredRoot(chain: number, range: CompactRange, note: string): void {
  const checkpoint = parseCheckpoint(parseNote(note).text);
  const root = range.root();
  if (checkpoint.treeSize !== range.size || !Buffer.from(checkpoint.rootHash).equals(Buffer.from(root))) {
    throw new LedgerError(`ledger chain ${chain}: the stored tiles give another root than its latest checkpoint; ` +
      'the file is damaged (run verifyChain) and must not be extended');
  }
}

function prepareWriterStatements(db: Database.Database) {
  return {
    selectChains: db.prepare<[], number>('SELECT chain FROM chains ORDER BY chain').pluck(),
    selectReplicaPositions: db.prepare<[], { name: string; value: string }>(`SELECT name, value FROM ledger_meta WHERE name LIKE '${replicaPositionPrefix}%'`),
    upsertMeta: db.prepare<[string, string]>('INSERT INTO ledger_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    selectChain: db.prepare<[number], ChainRow>(
      'SELECT tree_size, block_height, next_offset, checkpoint FROM chains WHERE chain = ?'),
    selectSnapshot: db.prepare<[number], { tree_size: number; state: Buffer }>('SELECT tree_size, state FROM builder_snapshots WHERE chain = ?'),
    selectBundleRange: db.prepare<[number, number, number], BundleRow>(selectBundleRangeSql),
    selectTile: prepareTileSelect(db),
    hasTap: db.prepare<[number, number, string], number>('SELECT 1 FROM tap_keys WHERE chain = ? AND time_ms = ? AND key = ?').pluck(),
    tapsSince: db.prepare<[number, number], [string, number]>('SELECT key, time_ms FROM tap_keys WHERE chain = ? AND time_ms >= ?').raw(true),
    selectBundle: db.prepare<[number, number], Buffer>('SELECT bytes FROM entry_bundles WHERE chain = ? AND bundle_index = ?').pluck(),
  };
}

function assertChain(chain: number): void {
  aSafeUint(chain, 'chain');
  assert(chain <= chainMax, `chain ${chain} is above ${chainMax}`);
}

const entryKinds: ReadonlySet<string> = new Set(entryTypes);

function assertBlock(block: BlockInput): void {
  assert(block.entries.length <= blockEntriesMax, `a block holds at most ${blockEntriesMax} entries, got ${block.entries.length}`);
  // Per entry, the messages are built only on failure: a template per check cost more than the checks.
  for (const e of block.entries) {
    if (!(e.bytes instanceof Uint8Array && e.bytes.length >= 1 && e.bytes.length <= entryBytesMax)) assert(false, 'entry bytes are 1..4096 bytes');
    if (!entryKinds.has(e.kind)) assert(false, `entry kind ${String(e.kind)}`);
    if (!(typeof e.key === 'string' && e.key !== '' && typeof e.account === 'string' && e.account !== '')) assert(false, 'entry key and account are set');
    if (!(Number.isSafeInteger(e.timeMs) && e.timeMs >= 0)) assert(false, `entry timeMs ${e.timeMs}`);
  }
  aSafeUint(block.offsetFirst, 'offsetFirst');
  aSafeUint(block.offsetNext, 'offsetNext');
  assert(block.offsetFirst <= block.offsetNext, `offsetFirst ${block.offsetFirst} <= offsetNext ${block.offsetNext}`);
  assert(block.builderState === undefined || (block.builderState instanceof Uint8Array && block.builderState.length <= builderStateBytesMax),
    'builderState is bytes within builderStateBytesMax');
}
