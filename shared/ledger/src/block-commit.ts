import { checkpointHash } from '@fareledger/checkpoint';
import { equalBytes } from '@fareledger/codecs';
import { assert } from '@fareledger/domain';
import type { TileWrite } from '@fareledger/merkle';
import type Database from 'better-sqlite3';
import { blob, openLedgerDatabase } from './schema.js';

// The write half of a seal. LedgerWriter prepares a block in memory (tree, tiles, entry
// bundles, signed checkpoint) as a BlockWrite, plain data that may cross to another thread;
// a LedgerCommitter stores BlockWrites, several in one transaction when they queue up (group
// commit: one WAL fsync for all of them). Each write is checked against the chain's stored
// head and written in a savepoint of its own, so one refused or failing block never takes
// another block's rows with it, and never leaves half of its own.

export interface BundleWrite {
  readonly bundleIndex: number;
  readonly bytes: Uint8Array;
}

/** Everything a seal stores, prepared: what one block adds to the file. */
export interface BlockWrite {
  readonly chain: number;
  /** The chain's head this block extends: null height before its first block. */
  readonly heightBefore: number | null;
  readonly sizeBefore: number;
  /** Checkpoint hash of the head it extends (zeros before the first block): the stored head must be exactly it. */
  readonly prevHash: Uint8Array;
  readonly blockHeight: number;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly offsetFirst: number;
  readonly offsetNext: number;
  readonly fareTableVersion: string;
  readonly sealedAtMs: number;
  /** The trip builder snapshot stored with this block, when it carries one. */
  readonly builderState: Uint8Array | null;
  readonly tiles: readonly TileWrite[];
  readonly bundles: readonly BundleWrite[];
  /** The block's tap entries for the duplicate index, as parallel lists. */
  readonly tapTimesMs: readonly number[];
  readonly tapKeys: readonly string[];
  readonly note: string;
  readonly noteHash: Uint8Array;
  readonly verifierKey: string;
  readonly keyName: string;
}

export type CommitOutcome =
  | { readonly status: 'committed' }
  /** The chain's stored head is not the one the block extends (another writer sealed meanwhile); nothing written. */
  | { readonly status: 'conflict'; readonly stored: { readonly treeSize: number; readonly blockHeight: number | null } }
  /** SQLite refused the block (a tap key already sealed, a full disk): nothing of it written. */
  | { readonly status: 'failed'; readonly message: string };

/** Bytes of block data after which the commit thread's checkpointer copies the WAL back (see maybeCheckpoint). */
const checkpointAfterBytes = 16 * 1024 * 1024;

export class LedgerCommitter {
  readonly #db: Database.Database;
  readonly #statements: ReturnType<typeof prepareCommitStatements>;
  readonly #commitGroup: (writes: readonly BlockWrite[]) => CommitOutcome[];
  #bytesSinceCheckpoint = 0;

  /** Commits through `db`, a connection of LedgerWriter or of its own (open). */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#statements = prepareCommitStatements(db);
    const writeOne = db.transaction((write: BlockWrite) => this.#writeBlock(write));
    const group = db.transaction((writes: readonly BlockWrite[]) => writes.map((write) => this.#commitOne(writeOne, write)));
    // IMMEDIATE takes the write lock before any head is compared, so a second writer on the
    // same chain cannot slip in between the check and the writes.
    this.#commitGroup = (writes) => group.immediate(writes);
  }

  /**
   * A committer with a connection of its own, for a commit thread: the WAL is copied back
   * by maybeCheckpoint between groups, not by SQLite inside a commit (which would hold the
   * group's answers back for the whole copy).
   */
  static open(options: { readonly path: string; readonly logName: string; readonly busyTimeoutMs: number }): LedgerCommitter {
    const { db } = openLedgerDatabase({ ...options, create: true, readonly: false });
    db.pragma('wal_autocheckpoint = 0');
    return new LedgerCommitter(db);
  }

  /**
   * Stores the writes in one transaction (one fsync), each in its own savepoint, in order;
   * returns one outcome per write. A write whose chain head moved is a conflict, as is every
   * later write of that chain (they extend the refused one). Throws only when the
   * transaction itself cannot commit; then nothing of the group is stored.
   */
  commit(writes: readonly BlockWrite[]): CommitOutcome[] {
    if (writes.length === 0) return [];
    const outcomes = this.#commitGroup(writes);
    for (const write of writes) this.#bytesSinceCheckpoint += approximateBytes(write);
    return outcomes;
  }

  /**
   * Copies the WAL back into the file once about 16 MiB of blocks were committed since the
   * last time, without blocking writers (PASSIVE); SQLite restarts the WAL from its start
   * at the next commit when no reader still needs its frames.
   */
  maybeCheckpoint(): void {
    if (this.#bytesSinceCheckpoint < checkpointAfterBytes) return;
    this.#bytesSinceCheckpoint = 0;
    this.#db.pragma('wal_checkpoint(PASSIVE)');
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #commitOne(writeOne: Database.Transaction<(write: BlockWrite) => void>, write: BlockWrite): CommitOutcome {
    const stored = this.#storedHead(write.chain);
    if (stored.treeSize !== write.sizeBefore || stored.blockHeight !== write.heightBefore || !equalBytes(stored.hash, write.prevHash)) {
      return { status: 'conflict', stored: { treeSize: stored.treeSize, blockHeight: stored.blockHeight } };
    }
    try {
      writeOne(write); // nested in the group's transaction: a savepoint
      return { status: 'committed' };
    } catch (error) {
      if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string' || !error.code.startsWith('SQLITE_')) throw error;
      return { status: 'failed', message: `${error.code}: ${error.message}` };
    }
  }

  #storedHead(chain: number): { treeSize: number; blockHeight: number | null; hash: Uint8Array } {
    const head = this.#statements.selectHead.get(chain);
    if (head === undefined) return { treeSize: 0, blockHeight: null, hash: new Uint8Array(32) };
    return { treeSize: head.tree_size, blockHeight: head.block_height, hash: checkpointHash(head.checkpoint) };
  }

  #writeBlock(w: BlockWrite): void {
    assert(w.tapKeys.length === w.tapTimesMs.length, 'one event time per tap key');
    const s = this.#statements;
    for (const b of w.bundles) s.upsertBundle.run(w.chain, b.bundleIndex, blob(b.bytes));
    insertTapKeys(s, w.chain, w.tapTimesMs, w.tapKeys);
    for (const t of w.tiles) s.upsertTile.run(w.chain, t.tileLevel, t.tileIndex, blob(t.bytes));
    s.insertCheckpoint.run(w.chain, w.blockHeight, w.treeSize, blob(w.rootHash), w.offsetFirst, w.offsetNext,
      w.fareTableVersion, w.sealedAtMs, blob(w.noteHash), w.verifierKey, w.note);
    s.insertKey.run(w.verifierKey, w.keyName, w.chain, w.blockHeight, w.sealedAtMs);
    s.upsertChain.run(w.chain, w.treeSize, w.blockHeight, w.offsetNext, w.note);
    if (w.builderState !== null) s.upsertSnapshot.run(w.chain, w.treeSize, blob(w.builderState));
  }
}

/** What a write adds to the WAL, roughly: its blobs, and about 64 bytes a tap key with its B-tree share. */
function approximateBytes(write: BlockWrite): number {
  let bytes = write.note.length + (write.builderState?.length ?? 0) + 64 * write.tapKeys.length;
  for (const b of write.bundles) bytes += b.bytes.length;
  for (const t of write.tiles) bytes += t.bytes.length;
  return bytes;
}

/**
 * Tap keys go in 64 rows per INSERT: better-sqlite3's cost per statement run is most of a
 * one-row insert (measured 3.9 µs a key one by one, 1.5 in rows of 64).
 */
const tapKeyRowsPerInsert = 64;

function insertTapKeys(s: ReturnType<typeof prepareCommitStatements>, chain: number, timesMs: readonly number[], keys: readonly string[]): void {
  const rows: (string | number)[] = [];
  for (let i = 0; i < keys.length; i++) {
    rows.push(chain, timesMs[i]!, keys[i]!);
    if (rows.length === 3 * tapKeyRowsPerInsert) {
      s.insertTapKeyRows.run(rows);
      rows.length = 0;
    }
  }
  for (let at = 0; at < rows.length; at += 3) s.insertTapKey.run(rows[at] as number, rows[at + 1] as number, rows[at + 2] as string);
}

function prepareCommitStatements(db: Database.Database) {
  return {
    selectHead: db.prepare<[number], { tree_size: number; block_height: number; checkpoint: string }>(
      'SELECT tree_size, block_height, checkpoint FROM chains WHERE chain = ?'),
    upsertSnapshot: db.prepare<[number, number, Buffer]>(
      'INSERT INTO builder_snapshots (chain, tree_size, state) VALUES (?, ?, ?) ' +
        'ON CONFLICT (chain) DO UPDATE SET tree_size = excluded.tree_size, state = excluded.state'),
    upsertBundle: db.prepare<[number, number, Buffer]>(
      'INSERT INTO entry_bundles (chain, bundle_index, bytes) VALUES (?, ?, ?) ' +
        'ON CONFLICT (chain, bundle_index) DO UPDATE SET bytes = excluded.bytes'),
    insertTapKey: db.prepare<[number, number, string]>('INSERT INTO tap_keys (chain, time_ms, key) VALUES (?, ?, ?)'),
    insertTapKeyRows: db.prepare<(string | number)[][]>(
      `INSERT INTO tap_keys (chain, time_ms, key) VALUES ${Array.from({ length: tapKeyRowsPerInsert }, () => '(?, ?, ?)').join(', ')}`),
    upsertTile: db.prepare<[number, number, number, Buffer]>(
      'INSERT INTO tiles (chain, tile_level, tile_index, bytes) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (chain, tile_level, tile_index) DO UPDATE SET bytes = excluded.bytes'),
    insertCheckpoint: db.prepare<[number, number, number, Buffer, number, number, string, number, Buffer, string, string]>(
      'INSERT INTO checkpoints (chain, block_height, tree_size, root_hash, offset_first, offset_next, fare_table_version, ' +
        'sealed_at_ms, checkpoint_hash, verifier_key, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    insertKey: db.prepare<[string, string, number, number, number]>(
      'INSERT INTO signing_keys (verifier_key, name, first_chain, first_block_height, first_used_at_ms) ' +
        'VALUES (?, ?, ?, ?, ?) ON CONFLICT (verifier_key) DO NOTHING'),
    upsertChain: db.prepare<[number, number, number, number, string]>(
      'INSERT INTO chains (chain, tree_size, block_height, next_offset, checkpoint) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (chain) DO UPDATE SET tree_size = excluded.tree_size, block_height = excluded.block_height, ' +
        'next_offset = excluded.next_offset, checkpoint = excluded.checkpoint'),
  };
}
