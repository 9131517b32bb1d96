import { aSafeUint, assert } from '@fareledger/domain';
import {
  consistencyProof as readConsistencyProof,
  inclusionProof as readInclusionProof,
  ProofRequestError,
  TileHashReader,
  type Hash,
} from '@fareledger/merkle';
import { nodeHasher } from '@fareledger/merkle/node-hasher';
import type Database from 'better-sqlite3';
import { bundleRange, bundleWidth, type BundleRow, decodeBundle, forEachBundleEntry, selectBundleRangeSql } from './entry-bundle.js';
import { bytesOf, openLedgerDatabase } from './schema.js';
import { prepareTileSelect, TileCache } from './tile-store.js';

// The read side: invoice/audit, verifyChain, tools. A read-only connection, possibly in
// another process than the writer: WAL lets it read while the batcher seals. Everything
// here is append-only (a stored entry, full tile or checkpoint never changes), so reads
// need no transaction; read(fn) gives one snapshot when several reads must agree.

export const entriesReadMax = 100_000;
export const checkpointsReadMax = 10_000;
export const tileCacheTilesDefault = 1_024;
/** Full entry bundles entry() keeps decoded: 64 × ~50 KiB. */
const bundleCacheBundlesMax = 64;
const busyTimeoutMsDefault = 5_000;

export interface LedgerReaderOptions {
  readonly path: string;
  /** When given, the file must be this log's. */
  readonly logName?: string;
  /** Full tiles kept in memory for proofs (16 KiB each; default 1,024 = 16 MiB); edge tiles are cached besides. */
  readonly tileCacheTilesMax?: number;
  readonly busyTimeoutMs?: number;
}

/** A sealed entry: decode `bytes` (decodeEntry) for what it says. */
export interface StoredEntry {
  readonly chain: number;
  /** Leaf index in the chain's log. */
  readonly index: number;
  /** The entry bytes exactly as sealed: the Merkle leaf. */
  readonly bytes: Uint8Array;
}

export interface StoredCheckpoint {
  readonly chain: number;
  readonly blockHeight: number;
  readonly treeSize: number;
  readonly rootHash: Hash;
  readonly offsetFirst: number;
  readonly offsetNext: number;
  readonly fareTableVersion: string;
  readonly sealedAtMs: number;
  /** SHA-256 of the signed note: the next block's prev line. */
  readonly checkpointHash: Uint8Array;
  /** The verifier key of the key that signed it. */
  readonly verifierKey: string;
  /** The signed checkpoint note, verbatim. */
  readonly note: string;
}

export interface SigningKeyRecord {
  readonly name: string;
  /** `<name>+<hash>+<base64 key>`: publish every one of these, old ones included. */
  readonly verifierKey: string;
  readonly firstChain: number;
  readonly firstBlockHeight: number;
  readonly firstUsedAtMs: number;
}

export interface ChainSummary {
  readonly chain: number;
  readonly treeSize: number;
  readonly blockHeight: number;
  readonly nextOffset: number;
  /** The latest signed checkpoint note. */
  readonly checkpoint: string;
}

interface CheckpointRow {
  chain: number;
  block_height: number;
  tree_size: number;
  root_hash: Buffer;
  offset_first: number;
  offset_next: number;
  fare_table_version: string;
  sealed_at_ms: number;
  checkpoint_hash: Buffer;
  verifier_key: string;
  note: string;
}

const checkpointColumns =
  'chain, block_height, tree_size, root_hash, offset_first, offset_next, fare_table_version, sealed_at_ms, checkpoint_hash, verifier_key, note';

function prepareReaderStatements(db: Database.Database) {
  return {
    bundles: db.prepare<[number, number, number], BundleRow>(selectBundleRangeSql),
    lastBundle: db.prepare<[number], BundleRow>(
      'SELECT bundle_index, bytes FROM entry_bundles WHERE chain = ? ORDER BY bundle_index DESC LIMIT 1'),
    hasTap: db.prepare<[number, number, string], number>('SELECT 1 FROM tap_keys WHERE chain = ? AND time_ms = ? AND key = ?').pluck(),
    tapKeyCount: db.prepare<[number], number>('SELECT count(*) FROM tap_keys WHERE chain = ?').pluck(),
    latestCheckpoint: db.prepare<[number], CheckpointRow>(
      `SELECT ${checkpointColumns} FROM checkpoints WHERE chain = ? ORDER BY block_height DESC LIMIT 1`),
    checkpointAtSize: db.prepare<[number, number], CheckpointRow>(
      `SELECT ${checkpointColumns} FROM checkpoints WHERE chain = ? AND tree_size = ? ORDER BY block_height LIMIT 1`),
    sealingCheckpoint: db.prepare<[number, number], CheckpointRow>(
      `SELECT ${checkpointColumns} FROM checkpoints WHERE chain = ? AND tree_size > ? ORDER BY tree_size, block_height LIMIT 1`),
    checkpoints: db.prepare<[number, number, number], CheckpointRow>(
      `SELECT ${checkpointColumns} FROM checkpoints WHERE chain = ? AND block_height >= ? ORDER BY block_height LIMIT ?`),
    chains: db.prepare<[], ChainRowOut>('SELECT chain, tree_size, block_height, next_offset, checkpoint FROM chains ORDER BY chain'),
    chain: db.prepare<[number], ChainRowOut>('SELECT chain, tree_size, block_height, next_offset, checkpoint FROM chains WHERE chain = ?'),
    keys: db.prepare<[], KeyRow>(
      'SELECT name, verifier_key, first_chain, first_block_height, first_used_at_ms FROM signing_keys ' +
        'ORDER BY first_used_at_ms, verifier_key'),
    tileCount: db.prepare<[number], number>('SELECT count(*) FROM tiles WHERE chain = ?').pluck(),
    tile: prepareTileSelect(db),
    storedChains: db.prepare<[], number>(
      'SELECT chain FROM chains UNION SELECT chain FROM checkpoints UNION SELECT chain FROM entry_bundles ' +
        'UNION SELECT chain FROM tiles UNION SELECT chain FROM tap_keys ORDER BY chain').pluck(),
  };
}

interface ChainRowOut {
  chain: number;
  tree_size: number;
  block_height: number;
  next_offset: number;
  checkpoint: string;
}

interface KeyRow {
  name: string;
  verifier_key: string;
  first_chain: number;
  first_block_height: number;
  first_used_at_ms: number;
}

export class LedgerReader {
  readonly path: string;
  readonly logName: string;
  readonly tiles: TileCache;
  readonly #db: Database.Database;
  readonly #s: ReturnType<typeof prepareReaderStatements>;
  /** Full entry bundles, decoded, by chain · 2^32 + bundle index; first in, first out. */
  readonly #bundles = new Map<number, Uint8Array[]>();

  private constructor(path: string, logName: string, db: Database.Database, tileCacheTilesMax: number) {
    this.path = path;
    this.logName = logName;
    this.#db = db;
    this.#s = prepareReaderStatements(db);
    this.tiles = new TileCache(this.#s.tile, tileCacheTilesMax);
  }

  /** Opens an existing ledger read-only. LedgerFormatError as for the writer. */
  static open(options: LedgerReaderOptions): LedgerReader {
    const { db, logName } = openLedgerDatabase({
      path: options.path,
      ...(options.logName === undefined ? {} : { logName: options.logName }),
      create: false,
      readonly: true,
      busyTimeoutMs: options.busyTimeoutMs ?? busyTimeoutMsDefault,
    });
    return new LedgerReader(options.path, logName, db, options.tileCacheTilesMax ?? tileCacheTilesDefault);
  }

  /** Runs fn in one read transaction: every read inside sees the same committed state. */
  read<T>(fn: () => T): T {
    return this.#db.transaction(fn).deferred();
  }

  /**
   * One entry. Its full bundle (256 entries, never rewritten) is kept decoded in a small
   * cache, so the entries an invoice needs (a trip and its taps, neighbours in the log) cost
   * one bundle read, not one 50 KiB read each: issuing an invoice was a third garbage
   * collection of those reads.
   */
  entry(chain: number, index: number): StoredEntry | undefined {
    aSafeUint(index, 'index');
    const bundleIndex = Math.floor(index / bundleWidth);
    const key = chain * 2 ** 32 + bundleIndex;
    let bundle = this.#bundles.get(key);
    if (bundle === undefined) {
      const row = this.#s.bundles.get(chain, bundleIndex, bundleIndex);
      if (row === undefined) return undefined;
      bundle = decodeBundle(bytesOf(row.bytes), `ledger chain ${chain}, bundle ${bundleIndex}`);
      if (bundle.length === bundleWidth) {
        if (this.#bundles.size >= bundleCacheBundlesMax) this.#bundles.delete(this.#bundles.keys().next().value!);
        this.#bundles.set(key, bundle);
      }
    }
    const bytes = bundle[index - bundleIndex * bundleWidth];
    return bytes === undefined ? undefined : { chain, index, bytes };
  }

  /**
   * Entries [from, to) of a chain in log order; fewer when the log is shorter. A missing
   * bundle leaves a gap in the indexes (verifyChain reports it); a bundle that does not
   * parse throws LedgerError.
   */
  entries(chain: number, from: number, to: number): StoredEntry[] {
    aSafeUint(from, 'from');
    aSafeUint(to, 'to');
    assert(from <= to && to - from <= entriesReadMax, `entries [${from}, ${to}): at most ${entriesReadMax} at once`);
    if (from === to) return [];
    const entries: StoredEntry[] = [];
    forEachBundleEntry(this.#s.bundles.all(chain, ...bundleRange(from, to)), chain, from, to, (index, bytes) => entries.push({ chain, index, bytes }));
    return entries;
  }

  /** How many entries the chain's bundles hold, counted as if none were missing: last bundle's end. */
  entryCount(chain: number): number {
    const last = this.#s.lastBundle.get(chain);
    if (last === undefined) return 0;
    return last.bundle_index * bundleWidth + decodeBundle(bytesOf(last.bytes), `ledger chain ${chain}, bundle ${last.bundle_index}`).length;
  }

  /** Whether chain's duplicate index holds this tap (key `deviceId/tapId` at this event time). */
  hasTap(chain: number, key: string, eventTimeMs: number): boolean {
    return this.#s.hasTap.get(chain, eventTimeMs, key) !== undefined;
  }

  /** Rows of the chain's duplicate index: one per sealed tap entry. */
  tapKeyCount(chain: number): number {
    return this.#s.tapKeyCount.get(chain) ?? 0;
  }

  /** The chain's latest checkpoint, or the first one of tree size `treeSize` (empty blocks repeat a size). */
  checkpoint(chain: number, treeSize?: number): StoredCheckpoint | undefined {
    const row = treeSize === undefined ? this.#s.latestCheckpoint.get(chain) : this.#s.checkpointAtSize.get(chain, treeSize);
    return row === undefined ? undefined : storedCheckpoint(row);
  }

  /** The checkpoint of the block that sealed leaf `logIndex`: the first whose tree holds it. */
  sealingCheckpoint(chain: number, logIndex: number): StoredCheckpoint | undefined {
    aSafeUint(logIndex, 'logIndex');
    const row = this.#s.sealingCheckpoint.get(chain, logIndex);
    return row === undefined ? undefined : storedCheckpoint(row);
  }

  /** Checkpoints by block height, from height `from` on. */
  checkpoints(chain: number, options: { readonly from: number; readonly limit: number }): StoredCheckpoint[] {
    aSafeUint(options.from, 'from');
    assert(Number.isSafeInteger(options.limit) && options.limit >= 1 && options.limit <= checkpointsReadMax,
      `limit ${options.limit} in 1..${checkpointsReadMax}`);
    return this.#s.checkpoints.all(chain, options.from, options.limit).map(storedCheckpoint);
  }

  chains(): ChainSummary[] {
    return this.#s.chains.all().map(chainSummary);
  }

  /**
   * Every chain number any table of the file holds a row of, not only the chains table's:
   * what an audit must cover (a row moved to another chain number leaves a trace in both).
   * Scans the tables; for audits, not for serving.
   */
  storedChains(): number[] {
    return this.#s.storedChains.all();
  }

  chain(chain: number): ChainSummary | undefined {
    const row = this.#s.chain.get(chain);
    return row === undefined ? undefined : chainSummary(row);
  }

  /**
   * RFC 9162 inclusion proof of leaf `index` in the chain's tree of `treeSize` (a
   * checkpoint's size). ProofRequestError when index >= treeSize or treeSize is beyond
   * the chain's latest checkpoint.
   */
  inclusionProof(chain: number, index: number, treeSize: number): Hash[] {
    this.#checkSize(chain, treeSize);
    return readInclusionProof(this.#hashReader(chain), nodeHasher, index, treeSize);
  }

  /** inclusionProof of several leaves of one tree size, with one check of the chain's size (an invoice's trip and taps). */
  inclusionProofs(chain: number, indexes: readonly number[], treeSize: number): Hash[][] {
    this.#checkSize(chain, treeSize);
    const reader = this.#hashReader(chain);
    return indexes.map((index) => readInclusionProof(reader, nodeHasher, index, treeSize));
  }

  /** RFC 9162 consistency proof from tree size `from` to `to` (from <= to <= latest size). */
  consistencyProof(chain: number, from: number, to: number): Hash[] {
    this.#checkSize(chain, to);
    return readConsistencyProof(this.#hashReader(chain), nodeHasher, from, to);
  }

  /** Every key that ever signed a checkpoint here, oldest first: publish all of them. */
  verifierKeys(): SigningKeyRecord[] {
    return this.#s.keys.all().map((row) => ({
      name: row.name,
      verifierKey: row.verifier_key,
      firstChain: row.first_chain,
      firstBlockHeight: row.first_block_height,
      firstUsedAtMs: row.first_used_at_ms,
    }));
  }

  /** One stored tile (bottom row + interior rows, merkle's stored layout), uncached. */
  tile(chain: number, tileLevel: number, tileIndex: number): Uint8Array | undefined {
    const bytes = this.#s.tile.get(chain, tileLevel, tileIndex);
    return bytes === undefined ? undefined : bytesOf(bytes);
  }

  tileCount(chain: number): number {
    return this.#s.tileCount.get(chain) ?? 0;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #hashReader(chain: number): TileHashReader {
    return new TileHashReader(this.tiles.storeFor(chain));
  }

  #checkSize(chain: number, treeSize: number): void {
    aSafeUint(treeSize, 'treeSize');
    const stored = this.#s.chain.get(chain)?.tree_size ?? 0;
    if (treeSize > stored) throw new ProofRequestError(`chain ${chain} has ${stored} sealed entries, not ${treeSize}`);
    this.tiles.syncChain(chain, stored);
  }
}

function storedCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return {
    chain: row.chain,
    blockHeight: row.block_height,
    treeSize: row.tree_size,
    rootHash: bytesOf(row.root_hash),
    offsetFirst: row.offset_first,
    offsetNext: row.offset_next,
    fareTableVersion: row.fare_table_version,
    sealedAtMs: row.sealed_at_ms,
    checkpointHash: bytesOf(row.checkpoint_hash),
    verifierKey: row.verifier_key,
    note: row.note,
  };
}

function chainSummary(row: ChainRowOut): ChainSummary {
  return { chain: row.chain, treeSize: row.tree_size, blockHeight: row.block_height, nextOffset: row.next_offset, checkpoint: row.checkpoint };
}
