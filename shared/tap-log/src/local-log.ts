import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { assert } from '@fareledger/domain';
import Database from 'better-sqlite3';
import { TapLogConfigError } from './errors.js';
import { partitionOf } from './murmur2.js';
import type { ProbeResult, StoredTapRecord, TapRecord } from './record.js';

// The embedded tap log: one SQLite file standing in for the fare.taps topic, so one command
// runs the whole system without Kafka. Same partition rule (murmur2 of the account), offsets
// from 0 per partition, one transaction per group, so a batch of taps is all-or-nothing.
//
// Measured on the 2-core AMD EPYC dev machine (Node 20, ext4 on a virtio disk, shared with
// other work), 190-200 byte values, WAL + synchronous=FULL, 50k+ rows in the file:
// - appendSync back to back: a 1-record group commits in 0.14 ms (median; mean 0.15 ms),
//   nearly all of it the WAL fsync; a 500-record group in 2.2 ms (median; mean 2.7 ms, p99
//   ~10 ms when the commit also runs a WAL checkpoint, every 1,000 pages of WAL).
// - paced load through the group commit (single-tap appends for 5 s): fsync is slower when
//   commits are spaced out than back to back. At 10,000 taps/s groups are ~40 taps, a commit
//   takes 1.4-1.8 ms (median) and SQLite holds the main thread 62-64% of the time; at 50,000
//   taps/s groups are ~370, commits 3.2-3.8 ms, SQLite 73%, event loop busy 83-85% (8% with a
//   backend that does nothing).
// So the main thread is fine for the embedded mode at everyday rates (a city averages about
// 4 taps/s), but NOT at 50,000 taps/s: ingest's HTTP, validation and encoding need the same
// thread. For that rate the local log needs a worker thread (appendDurably is already async,
// so a worker slots in behind the group commit without changing TapLog), or Kafka, which is
// the production path for it anyway.

export interface LocalTapLogOptions {
  /** How long a write waits for another connection's write lock before SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
}

const busyTimeoutMsDefault = 5_000;
const partitionsMax = 1_000;
const readRecordsMax = 100_000;
const formatVersion = 1;

const schema = `
  CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS taps (
    "partition" INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    PRIMARY KEY ("partition", "offset")
  ) WITHOUT ROWID;
`;

interface TapRow {
  offset: number;
  key: string;
  value: Buffer;
  timestamp_ms: number;
}

export class LocalTapLog {
  readonly kind = 'local' as const;
  readonly path: string;
  readonly partitions: number;
  readonly #db: Database.Database;
  readonly #lastOffset: Database.Statement<[number], number | null>;
  readonly #insert: Database.Statement<[number, number, string, Buffer, number]>;
  readonly #readRows: Database.Statement<[number, number, number], TapRow>;
  readonly #readValues: Database.Statement<[number, number, number], [number, Buffer]>;
  readonly #appendGroup: (records: readonly TapRecord[]) => void;

  private constructor(path: string, partitions: number, db: Database.Database) {
    this.path = path;
    this.partitions = partitions;
    this.#db = db;
    this.#lastOffset = db.prepare<[number], number | null>(
      'SELECT max("offset") FROM taps WHERE "partition" = ?').pluck();
    this.#insert = db.prepare(
      'INSERT INTO taps ("partition", "offset", key, value, timestamp_ms) VALUES (?, ?, ?, ?, ?)');
    this.#readRows = db.prepare(
      'SELECT "offset", key, value, timestamp_ms FROM taps WHERE "partition" = ? AND "offset" >= ? ' +
      'ORDER BY "offset" LIMIT ?');
    this.#readValues = db.prepare<[number, number, number], [number, Buffer]>(
      'SELECT "offset", value FROM taps WHERE "partition" = ? AND "offset" >= ? ORDER BY "offset" LIMIT ?').raw(true);
    const appendGroup = db.transaction((records: readonly TapRecord[]) => this.#insertAll(records));
    // BEGIN IMMEDIATE takes the write lock before the offsets are read, so two processes
    // sharing the file cannot both read the same max(offset).
    this.#appendGroup = (records) => appendGroup.immediate(records);
  }

  /**
   * Opens (creating if needed) the log at `path`. The partition count is fixed when the file
   * is created; opening it with another count is a TapLogConfigError, since it would move
   * accounts to other chains.
   */
  static open(path: string, partitions: number, options: LocalTapLogOptions = {}): LocalTapLog {
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > partitionsMax) {
      throw new TapLogConfigError(`local tap log: partitions must be an integer in 1..${partitionsMax}, got ${partitions}`);
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? busyTimeoutMsDefault;
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new TapLogConfigError(`local tap log ${path}: cannot use WAL mode (got ${String(mode)})`);
      // In WAL mode, FULL fsyncs the WAL at every commit, so a resolved append survives a
      // power loss. NORMAL fsyncs only at checkpoints: a crash of the process is still
      // safe, but a power loss could drop the last commits after ingest answered 202.
      db.pragma('synchronous = FULL');
      db.transaction(() => {
        db.exec(schema);
        checkMeta(db, path, 'format', formatVersion);
        checkMeta(db, path, 'partitions', partitions);
      }).immediate();
      return new LocalTapLog(path, partitions, db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Writes all records in one transaction: every one is durable on return, or none is. */
  appendSync(records: readonly TapRecord[]): void {
    this.#appendGroup(records);
  }

  /** appendSync as the group commit's backend: a throw becomes a rejection. */
  appendDurably(records: readonly TapRecord[]): Promise<void> {
    try {
      this.#appendGroup(records);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  #insertAll(records: readonly TapRecord[]): void {
    const next: (number | undefined)[] = new Array(this.partitions);
    for (const record of records) {
      const partition = partitionOf(record.key, this.partitions);
      const offset = next[partition] ?? (this.#lastOffset.get(partition) ?? -1) + 1;
      const value = record.value;
      this.#insert.run(partition, offset, record.key,
        Buffer.from(value.buffer, value.byteOffset, value.byteLength), record.timestampMs);
      next[partition] = offset + 1;
    }
  }

  /** Up to `limit` records of `partition` from `fromOffset` on, in offset order. */
  read(partition: number, fromOffset: number, limit: number): StoredTapRecord[] {
    this.#checkRead(partition, fromOffset, limit);
    return this.#readRows.all(partition, fromOffset, limit).map((row) => ({
      partition,
      offset: row.offset,
      key: row.key,
      value: new Uint8Array(row.value.buffer, row.value.byteOffset, row.value.byteLength),
      timestampMs: row.timestamp_ms,
    }));
  }

  /**
   * read() for the batcher: offsets and values only (as [offset, value] rows), which cost a
   * third less a record than the whole records (measured 2.0 vs 3.2 µs).
   */
  readValues(partition: number, fromOffset: number, limit: number): { offset: number; value: Uint8Array }[] {
    this.#checkRead(partition, fromOffset, limit);
    return this.#readValues.all(partition, fromOffset, limit).map(([offset, value]) => ({
      offset, value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    }));
  }

  #checkRead(partition: number, fromOffset: number, limit: number): void {
    assert(Number.isSafeInteger(partition) && partition >= 0 && partition < this.partitions,
      `local tap log: partition ${partition} not in 0..${this.partitions - 1}`);
    assert(Number.isSafeInteger(fromOffset) && fromOffset >= 0, `local tap log: fromOffset ${fromOffset}`);
    assert(Number.isSafeInteger(limit) && limit >= 1 && limit <= readRecordsMax,
      `local tap log: limit ${limit} not in 1..${readRecordsMax}`);
  }

  /** The next offset of each partition (0 for an empty one), indexed by partition. */
  endOffsets(): number[] {
    const offsets: number[] = [];
    for (let partition = 0; partition < this.partitions; partition++) {
      offsets.push((this.#lastOffset.get(partition) ?? -1) + 1);
    }
    return offsets;
  }

  probe(): Promise<ProbeResult> {
    const startedMs = performance.now();
    try {
      this.#lastOffset.get(0);
      return Promise.resolve({ ok: true, latencyMs: performance.now() - startedMs });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.resolve({ ok: false, latencyMs: performance.now() - startedMs, reason });
    }
  }

  close(): Promise<void> {
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }
}

/** Inserts meta `name` on a new file; on an existing one, insists it equals `wanted`. */
function checkMeta(db: Database.Database, path: string, name: string, wanted: number): void {
  const found = db.prepare<[string], number>('SELECT value FROM meta WHERE name = ?').pluck().get(name);
  if (found === undefined) {
    db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(name, wanted);
  } else if (found !== wanted) {
    throw new TapLogConfigError(`local tap log ${path} was created with ${name} ${found}, ` +
      `not ${wanted}; use the same value or a new file`);
  }
}
