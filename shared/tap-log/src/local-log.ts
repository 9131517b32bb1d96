import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { assert } from '@fareledger/domain';
import Database from 'better-sqlite3';
import { TapLogConfigError } from './errors.js';
import { partitionOf } from './murmur2.js';
import { assertRecord, type ProbeResult, type StoredTapRecord, type TapRecord } from './record.js';

// The embedded tap log: one SQLite file standing in for the fare.taps topic, so one command
// runs the whole system without Kafka. Same partition rule (murmur2 of the account), offsets
// from 0 per partition, one transaction per group, so a batch of taps is all-or-nothing.
// A group's records of one partition are one row, a run (format 2), so a read costs one row
// and one Buffer per run: readValues 0.4 µs a record over runs of 1 to 125 records, against
// 1.7 µs with a row per record (format 1); a 500-record group commits in 1.5 ms (median).
//
// Measured with format 1 on the 2-core AMD EPYC dev machine (Node 20, ext4 on a virtio
// disk, shared with other work), 190-200 byte values, WAL + synchronous=FULL, 50k+ rows:
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
/**
 * Format 2 stores each group's records of one partition as one row (a run); format 1 had a
 * row per record, and reading it cost 1.7 µs a record, most of it better-sqlite3 copying
 * each value into a Buffer of its own (0.4 µs a record now, over runs of 1 to 125).
 */
const formatVersion = 2;

const schema = `
  CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS runs (
    "partition" INTEGER NOT NULL,
    first_offset INTEGER NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 1),
    records BLOB NOT NULL,
    PRIMARY KEY ("partition", first_offset)
  );
`;

interface RunRow {
  first_offset: number;
  count: number;
  records: Buffer;
}

// A run's records, end to end, each: value length (uint32 BE), key length (uint16 BE),
// timestampMs (float64 BE, an integer), the key (UTF-8), the value.
const recordHeaderBytes = 4 + 2 + 8;
const keyBytesMax = 0xffff;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** The bytes of a run of records. */
function encodeRun(records: readonly TapRecord[]): Buffer {
  for (const record of records) assertRecord(record);
  const keys = records.map((record) => textEncoder.encode(record.key));
  let size = 0;
  records.forEach((record, i) => (size += recordHeaderBytes + keys[i]!.length + record.value.length));
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  records.forEach((record, i) => {
    const key = keys[i]!;
    if (key.length > keyBytesMax) assert(false, `tap record: key of ${key.length} bytes, at most ${keyBytesMax}`);
    bytes.writeUInt32BE(record.value.length, at);
    bytes.writeUInt16BE(key.length, at + 4);
    bytes.writeDoubleBE(record.timestampMs, at + 6);
    bytes.set(key, at + recordHeaderBytes);
    bytes.set(record.value, at + recordHeaderBytes + key.length);
    at += recordHeaderBytes + key.length + record.value.length;
  });
  return bytes;
}

/**
 * Hands each record of a run from `fromOffset` on to `take` (its offset, the run's bytes
 * and where the record starts in them) until `take` returns false; returns false when it
 * stopped early. Only this class writes runs, so one that does not parse is damage to the
 * file, which fails an assertion rather than being read around.
 */
function forEachInRun(row: RunRow, fromOffset: number, take: (offset: number, bytes: Buffer, at: number) => boolean): boolean {
  const bytes = row.records;
  let at = 0;
  for (let i = 0; i < row.count; i++) {
    const end = at + recordHeaderBytes <= bytes.length ? at + recordHeaderBytes + bytes.readUInt16BE(at + 4) + bytes.readUInt32BE(at) : Infinity;
    if (end > bytes.length) assert(false, `local tap log: the run at offset ${row.first_offset} is cut short`);
    const offset = row.first_offset + i;
    if (offset >= fromOffset && !take(offset, bytes, at)) return false;
    at = end;
  }
  if (at !== bytes.length) assert(false, `local tap log: the run at offset ${row.first_offset} holds more than its ${row.count} records`);
  return true;
}

/** The value of the record at `at` in a run's bytes, as a view. */
function valueAt(bytes: Buffer, at: number): Uint8Array {
  const start = at + recordHeaderBytes + bytes.readUInt16BE(at + 4);
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, bytes.readUInt32BE(at));
}

export class LocalTapLog {
  readonly kind = 'local' as const;
  readonly path: string;
  readonly partitions: number;
  readonly #db: Database.Database;
  readonly #lastOffset: Database.Statement<[number], number | null>;
  readonly #insert: Database.Statement<[number, number, number, Buffer]>;
  readonly #runsFrom: Database.Statement<[{ partition: number; from: number }], RunRow>;
  readonly #appendGroup: (records: readonly TapRecord[]) => void;

  private constructor(path: string, partitions: number, db: Database.Database) {
    this.path = path;
    this.partitions = partitions;
    this.#db = db;
    this.#lastOffset = db.prepare<[number], number | null>(
      'SELECT first_offset + count - 1 FROM runs WHERE "partition" = ? ORDER BY first_offset DESC LIMIT 1').pluck();
    this.#insert = db.prepare('INSERT INTO runs ("partition", first_offset, count, records) VALUES (?, ?, ?, ?)');
    // The run holding fromOffset (the last to start at or before it), then the ones after.
    this.#runsFrom = db.prepare(
      'SELECT first_offset, count, records FROM runs WHERE "partition" = @partition AND first_offset >= ' +
      '(SELECT coalesce(max(first_offset), 0) FROM runs WHERE "partition" = @partition AND first_offset <= @from) ORDER BY first_offset');
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

  /** One run per partition the group touches, its records in the group's order. */
  #insertAll(records: readonly TapRecord[]): void {
    const byPartition = new Map<number, TapRecord[]>();
    for (const record of records) {
      const partition = partitionOf(record.key, this.partitions);
      const run = byPartition.get(partition);
      if (run === undefined) byPartition.set(partition, [record]);
      else run.push(record);
    }
    for (const [partition, run] of byPartition) {
      const firstOffset = (this.#lastOffset.get(partition) ?? -1) + 1;
      this.#insert.run(partition, firstOffset, run.length, encodeRun(run));
    }
  }

  /** Up to `limit` records of `partition` from `fromOffset` on, in offset order. */
  read(partition: number, fromOffset: number, limit: number): StoredTapRecord[] {
    const records: StoredTapRecord[] = [];
    this.#readRuns(partition, fromOffset, limit, (offset, bytes, at) => {
      const keyEnd = at + recordHeaderBytes + bytes.readUInt16BE(at + 4);
      records.push({
        partition,
        offset,
        key: textDecoder.decode(bytes.subarray(at + recordHeaderBytes, keyEnd)),
        value: valueAt(bytes, at),
        timestampMs: bytes.readDoubleBE(at + 6),
      });
      return records.length < limit;
    });
    return records;
  }

  /** read() for the batcher: offsets and values only, the values as views into their run's bytes. */
  readValues(partition: number, fromOffset: number, limit: number): { offset: number; value: Uint8Array }[] {
    const records: { offset: number; value: Uint8Array }[] = [];
    this.#readRuns(partition, fromOffset, limit, (offset, bytes, at) => {
      records.push({ offset, value: valueAt(bytes, at) });
      return records.length < limit;
    });
    return records;
  }

  /** Walks the runs from the one holding fromOffset until `take` has had enough (leaving the query early). */
  #readRuns(partition: number, fromOffset: number, limit: number, take: (offset: number, bytes: Buffer, at: number) => boolean): void {
    this.#checkRead(partition, fromOffset, limit);
    for (const row of this.#runsFrom.iterate({ partition, from: fromOffset })) {
      if (!forEachInRun(row, fromOffset, take)) return;
    }
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
  } else if (name === 'format' && found !== wanted) {
    throw new TapLogConfigError(`local tap log ${path} was created with format ${found}, not ${wanted} (format 1 kept a row ` +
      'per record); start a new file once the batcher has sealed what this one holds');
  } else if (found !== wanted) {
    throw new TapLogConfigError(`local tap log ${path} was created with ${name} ${found}, ` +
      `not ${wanted}; use the same value or a new file`);
  }
}
