import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssertionError } from '@fareledger/domain';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TapLogConfigError } from './errors.js';
import { LocalTapLog } from './local-log.js';
import { partitionOf } from './murmur2.js';
import type { StoredTapRecord, TapRecord } from './record.js';
import { openTapLog } from './tap-log.js';

let dir: string;
let path: string;
const opened: { close(): Promise<void> }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tap-log-local-'));
  path = join(dir, 'taps.sqlite');
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(partitions = 4, options = {}): LocalTapLog {
  const log = LocalTapLog.open(path, partitions, options);
  opened.push(log);
  return log;
}

function record(key: string, n: number): TapRecord {
  return { key, value: Uint8Array.of(0x93, n & 0xff, n >> 8, 0xff, 0x00), timestampMs: 1_700_000_000_000 + n };
}

function readAll(log: LocalTapLog): StoredTapRecord[][] {
  return Array.from({ length: log.partitions }, (_, partition) => log.read(partition, 0, 100_000));
}

const accounts = Array.from({ length: 40 }, (_, i) => `acct-${i}`);

describe('LocalTapLog', () => {
  it('creates the file empty, in WAL mode, with end offsets 0', () => {
    const log = open();
    expect(log.endOffsets()).toEqual([0, 0, 0, 0]);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT name, value FROM meta ORDER BY name').all())
      .toEqual([{ name: 'format', value: 2 }, { name: 'partitions', value: 4 }]);
    raw.close();
  });

  it('stores each record on its murmur2 partition, offsets from 0, bytes and times unchanged', () => {
    const log = open();
    const appended = accounts.map((key, n) => record(key, n));
    log.appendSync(appended.slice(0, 15));
    log.appendSync(appended.slice(15));
    const byPartition = readAll(log);
    for (const [partition, stored] of byPartition.entries()) {
      const expected = appended.filter((r) => partitionOf(r.key, 4) === partition);
      expect(stored).toEqual(expected.map((r, offset) => ({ ...r, partition, offset })));
      for (const r of stored) expect(r.value).toBeInstanceOf(Uint8Array);
    }
    expect(log.endOffsets()).toEqual(byPartition.map((stored) => stored.length));
    expect(byPartition.flat().length).toBe(40);
    expect(byPartition.filter((stored) => stored.length > 0).length).toBe(4);
  });

  it('reads from an offset, at most limit records', () => {
    const log = open(1);
    log.appendSync(Array.from({ length: 10 }, (_, n) => record('a', n)));
    expect(log.read(0, 3, 4).map((r) => r.offset)).toEqual([3, 4, 5, 6]);
    expect(log.read(0, 8, 100).map((r) => r.offset)).toEqual([8, 9]);
    expect(log.read(0, 10, 100)).toEqual([]);
    expect(log.readValues(0, 7, 2)).toEqual(log.read(0, 7, 2).map(({ offset, value }) => ({ offset, value })));
    expect(log.readValues(0, 10, 100)).toEqual([]);
    expect(() => log.readValues(1, 0, 1)).toThrow('partition 1 not in 0..0');
  });

  it('reads across the runs groups leave (one row per group and partition), from any offset in them', () => {
    const log = open(1);
    const sizes = [1, 5, 1, 1, 12, 3];
    let n = 0;
    for (const size of sizes) log.appendSync(Array.from({ length: size }, () => record('a', n++)));
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT first_offset, count FROM runs ORDER BY first_offset').raw(true).all())
      .toEqual([[0, 1], [1, 5], [6, 1], [7, 1], [8, 12], [20, 3]]);
    raw.close();
    for (let from = 0; from <= n; from++) {
      for (const limit of [1, 2, 7, 100]) {
        const want = Array.from({ length: Math.max(0, Math.min(limit, n - from)) }, (_, i) => from + i);
        expect(log.read(0, from, limit).map((r) => r.offset), `read(0, ${from}, ${limit})`).toEqual(want);
        expect(log.readValues(0, from, limit).map((r) => r.value[1]), `readValues(0, ${from}, ${limit})`).toEqual(want);
      }
    }
    expect(log.endOffsets()).toEqual([n]);
  });

  it('fails an assertion on a run whose bytes were cut, rather than reading around it', () => {
    const log = open(1);
    log.appendSync([record('a', 0), record('a', 1)]);
    const raw = new Database(path);
    raw.prepare('UPDATE runs SET records = substr(records, 1, length(records) - 3)').run();
    raw.close();
    expect(() => log.read(0, 0, 10)).toThrow(/run at offset 0 is cut short/);
  });

  it('refuses a file of format 1 (a row per record) with a clear message', async () => {
    await open(1).close();
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = 1 WHERE name = 'format'").run();
    raw.close();
    expect(() => LocalTapLog.open(path, 1)).toThrow(/created with format 1, not 2/);
  });

  it('keeps its offsets across close and reopen', async () => {
    const first = open(1);
    first.appendSync([record('a', 0), record('a', 1)]);
    await first.close();
    const second = open(1);
    expect(second.endOffsets()).toEqual([2]);
    second.appendSync([record('a', 2)]);
    expect(second.read(0, 0, 10).map((r) => [r.offset, r.timestampMs])).toEqual([
      [0, 1_700_000_000_000], [1, 1_700_000_000_001], [2, 1_700_000_000_002],
    ]);
  });

  it('refuses to reopen a file with another partition count, and leaves it unchanged', async () => {
    const log = open(4);
    log.appendSync([record('a', 0)]);
    await log.close();
    expect(() => LocalTapLog.open(path, 8)).toThrow(TapLogConfigError);
    expect(() => LocalTapLog.open(path, 8)).toThrow(/created with partitions 4, not 8/);
    expect(open(4).endOffsets().reduce((a, b) => a + b)).toBe(1);
  });

  it.each([0, -1, 1.5, 1_001])('refuses partitions %s', (partitions) => {
    expect(() => LocalTapLog.open(path, partitions)).toThrow(TapLogConfigError);
    expect(existsSync(path)).toBe(false);
  });

  it('writes a group all or nothing: a failure in its 4th record leaves none of it', () => {
    const log = open();
    log.appendSync([record('before', 0)]);
    const broken = { key: 'x', value: {} as Uint8Array, timestampMs: 1 };
    const group = [record('a', 1), record('b', 2), record('c', 3), broken, record('d', 4)];
    expect(() => log.appendSync(group)).toThrow(AssertionError);
    expect(readAll(log).flat().map((r) => r.key)).toEqual(['before']);
    // appendDurably reports the same failure as a rejection.
    return expect(log.appendDurably(group)).rejects.toThrow(AssertionError);
  });

  it('gives two handles on one file contiguous offsets (max read inside the write lock)', () => {
    const a = open(1);
    const b = open(1);
    for (let n = 0; n < 30; n++) (n % 3 === 0 ? a : b).appendSync([record('k', n), record('k', n + 1000)]);
    const stored = a.read(0, 0, 1_000);
    expect(stored.map((r) => r.offset)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(b.endOffsets()).toEqual([60]);
  });

  it('fails an append while another connection holds the write lock, writing nothing', async () => {
    const log = open(4, { busyTimeoutMs: 20 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(log.appendDurably([record('a', 0)])).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(log.endOffsets()).toEqual([0, 0, 0, 0]);
  });

  it('asserts on a read outside the partitions or limits', () => {
    const log = open(4);
    expect(() => log.read(4, 0, 1)).toThrow(AssertionError);
    expect(() => log.read(-1, 0, 1)).toThrow(AssertionError);
    expect(() => log.read(0, -1, 1)).toThrow(AssertionError);
    expect(() => log.read(0, 0, 0)).toThrow(AssertionError);
    expect(() => log.read(0, 0, 100_001)).toThrow(AssertionError);
  });

  it('probes ok while open and not ok once closed', async () => {
    const log = open();
    expect(await log.probe()).toMatchObject({ ok: true });
    await log.close();
    expect(await log.probe()).toMatchObject({ ok: false, reason: 'The database connection is not open' });
  });
});

describe('openTapLog (local)', () => {
  it('appends through the group commit and reads back with LocalTapLog', async () => {
    const log = await openTapLog({ kind: 'local', path, partitions: 4, lingerMs: 0 });
    opened.push(log);
    expect([log.kind, log.partitions]).toEqual(['local', 4]);
    const appended = accounts.map((key, n) => record(key, n));
    await Promise.all(appended.map((r) => log.append([r])));
    expect(log.stats()).toMatchObject({ groupsCommitted: 1, recordsCommitted: 40 });
    const reader = open(4);
    expect(readAll(reader).flat().sort((x, y) => x.timestampMs - y.timestampMs).map((r) => r.key)).toEqual(accounts);
  });

  it('checks the group commit options before it creates the file', async () => {
    await expect(openTapLog({ kind: 'local', path, partitions: 4, lingerMs: -1 })).rejects.toThrow(RangeError);
    expect(existsSync(path)).toBe(false);
  });

  it('creates missing folders on the way to the file', async () => {
    const log = await openTapLog({ kind: 'local', path: join(dir, 'a', 'b', 'taps.sqlite'), partitions: 2 });
    opened.push(log);
    expect(existsSync(join(dir, 'a', 'b', 'taps.sqlite'))).toBe(true);
  });
});
