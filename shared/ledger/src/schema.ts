import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { isValidLogName } from '@fareledger/checkpoint';
import { assert } from '@fareledger/domain';
import Database from 'better-sqlite3';
import { LedgerFormatError } from './errors.js';

// One SQLite file holds every chain of one log (docs/ledger-store.md). STRICT tables, so a
// value of the wrong type is refused by SQLite itself rather than stored and misread.
// WITHOUT ROWID where rows are small and the primary key is how they are found (tap_keys:
// the row lives in the primary-key B-tree, one B-tree instead of two). Entry bundles and
// tiles (up to ~50 and 16 KiB), checkpoints (~450 bytes) and builder snapshots (unbounded)
// keep rowids: SQLite advises WITHOUT ROWID only for rows under about 1/20 of a page.

export const ledgerFormatVersion = 3;

const schema = `
  CREATE TABLE ledger_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID, STRICT;

  CREATE TABLE chains (
    chain INTEGER PRIMARY KEY CHECK (chain >= 0),
    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
    block_height INTEGER NOT NULL CHECK (block_height >= 0),
    next_offset INTEGER NOT NULL CHECK (next_offset >= 0),
    checkpoint TEXT NOT NULL
  ) STRICT;

  -- The trip builder's state after the chain's first tree_size entries, stored now and then
  -- (not with every block: its size grows with the open journeys). The batcher restores it
  -- and replays the tap entries after it.
  CREATE TABLE builder_snapshots (
    chain INTEGER PRIMARY KEY CHECK (chain >= 0),
    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
    state BLOB NOT NULL
  ) STRICT;

  -- The leaves, as C2SP tlog-tiles entry bundles of 256 (entry-bundle.ts); the last one
  -- of a chain is partial and rewritten as it grows.
  CREATE TABLE entry_bundles (
    chain INTEGER NOT NULL,
    bundle_index INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (chain, bundle_index)
  ) STRICT;

  -- Every sealed tap, for the batcher's duplicate drop: "is this exact tap (device's tap id
  -- at this event time) in chain C?" Keyed by event time first, so a block's inserts land
  -- together at the recent end of the B-tree instead of at random pages (a key-first
  -- index cost a page write per tap once it outgrew the cache). The primary key also
  -- makes a tap that slipped past the batcher fail its block instead of sealing twice.
  CREATE TABLE tap_keys (
    chain INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (chain, time_ms, key)
  ) WITHOUT ROWID, STRICT;

  CREATE TABLE tiles (
    chain INTEGER NOT NULL,
    tile_level INTEGER NOT NULL,
    tile_index INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (chain, tile_level, tile_index)
  ) STRICT;

  CREATE TABLE checkpoints (
    chain INTEGER NOT NULL,
    block_height INTEGER NOT NULL,
    tree_size INTEGER NOT NULL,
    root_hash BLOB NOT NULL,
    offset_first INTEGER NOT NULL,
    offset_next INTEGER NOT NULL,
    fare_table_version TEXT NOT NULL,
    sealed_at_ms INTEGER NOT NULL,
    checkpoint_hash BLOB NOT NULL,
    verifier_key TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (chain, block_height)
  ) STRICT;
  CREATE INDEX checkpoints_by_size ON checkpoints (chain, tree_size);

  CREATE TABLE signing_keys (
    verifier_key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    first_chain INTEGER NOT NULL,
    first_block_height INTEGER NOT NULL,
    first_used_at_ms INTEGER NOT NULL
  ) WITHOUT ROWID, STRICT;
`;

export interface OpenDatabaseOptions {
  readonly path: string;
  /** Required for a writer; a reader may leave it out and take the stored one. */
  readonly logName?: string;
  readonly create: boolean;
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
}

/**
 * 16 KiB pages, set when the file is created: a seal writes about 1.1 MB (entry bundles of
 * ~50 KiB, tiles of 16 KiB), and in 4 KiB pages each of those is a chain of overflow
 * pages. bench:seal medians with 16 KiB: 70,000-74,000 taps/s, against 62,000-72,000 with
 * 4 KiB in runs alternated with it: a few percent, inside this VM's noise.
 */
const pageBytes = 16_384;
/** Pages of WAL before SQLite copies it back: 4,096 × 16 KiB = 64 MiB (see ledger-store.md). */
const walAutocheckpointPages = 4_096;
/**
 * Page cache, KiB. Every write lands at the recent end of its B-tree, so the writer needs
 * little; the duplicate lookups of late taps are the only reads of old pages. SQLite
 * allocates it only as pages are used.
 */
const writerCacheKib = 65_536;
const readerCacheKib = 65_536;

/** Opens the ledger file, creating its schema when asked; returns the db and its log name. */
export function openLedgerDatabase(options: OpenDatabaseOptions): { db: Database.Database; logName: string } {
  const { path, create } = options;
  assert(!(create && options.readonly), 'a read-only connection cannot create a ledger');
  if (!existsSync(path) && !create) {
    throw new LedgerFormatError(`no ledger at ${path}; the batcher creates it (create: true)`);
  }
  if (create) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly, fileMustExist: !create });
  try {
    // Before anything is written: the page size of a file is fixed by its first table.
    if (create) db.pragma(`page_size = ${pageBytes}`);
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
    db.pragma(`cache_size = -${options.readonly ? readerCacheKib : writerCacheKib}`);
    if (!options.readonly) configureWriter(db, path);
    const logName = db.transaction(() => checkOrCreate(db, options))[options.readonly ? 'deferred' : 'immediate']();
    return { db, logName };
  } catch (error) {
    db.close();
    throw error;
  }
}

function configureWriter(db: Database.Database, path: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new LedgerFormatError(`ledger ${path}: cannot use WAL mode (got ${String(mode)})`);
  // FULL fsyncs the WAL at every commit: a sealed block, and the Kafka offset stored with
  // it, survive a power loss, not only a crash of the process.
  db.pragma('synchronous = FULL');
  db.pragma(`wal_autocheckpoint = ${walAutocheckpointPages}`);
}

function checkOrCreate(db: Database.Database, options: OpenDatabaseOptions): string {
  const { path } = options;
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
  if (!tables.includes('ledger_meta')) {
    if (!options.create) throw new LedgerFormatError(`${path} is not a Fareledger ledger (no ledger_meta table)`);
    if (tables.length > 0) {
      throw new LedgerFormatError(`${path} holds other tables (${tables.slice(0, 3).join(', ')}); a ledger needs its own file`);
    }
    assert(options.logName !== undefined && isValidLogName(options.logName), 'a new ledger needs a valid log name');
    db.exec(schema);
    const insert = db.prepare('INSERT INTO ledger_meta (name, value) VALUES (?, ?)');
    insert.run('format', String(ledgerFormatVersion));
    insert.run('log_name', options.logName);
    return options.logName;
  }
  const meta = new Map(db.prepare<[], { name: string; value: string }>('SELECT name, value FROM ledger_meta').all().map((r) => [r.name, r.value]));
  const format = meta.get('format');
  if (format !== String(ledgerFormatVersion)) {
    throw new LedgerFormatError(`ledger ${path} has format version ${format ?? '(none)'}; this code reads version ${ledgerFormatVersion} only`);
  }
  const logName = meta.get('log_name');
  if (logName === undefined) throw new LedgerFormatError(`ledger ${path} names no log`);
  if (!isValidLogName(logName)) throw new LedgerFormatError(`ledger ${path} names its log ${JSON.stringify(logName.slice(0, 100))}, which is not a valid log name (damaged?)`);
  if (options.logName !== undefined && options.logName !== logName) {
    throw new LedgerFormatError(`ledger ${path} is the log ${JSON.stringify(logName)}, not ${JSON.stringify(options.logName)}`);
  }
  return logName;
}

/** A Buffer view of bytes, without copying: what better-sqlite3 binds as a BLOB. */
export function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A Uint8Array view of a BLOB read back. */
export function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
