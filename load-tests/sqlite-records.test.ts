import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fileLayout, recordsOfPages, varint } from './sqlite-records.js';

// The locator against SQLite itself: every column of every record, read back from the file
// bytes at the offsets the locator gives, equals what SQLite returns for that row; with
// records small and large (overflow chains), in rowid and WITHOUT ROWID tables.

const dir = mkdtempSync(path.join(tmpdir(), 'sqlite-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(pageBytes: number): { file: Buffer; db: Database.Database; leaves: (table: string) => number[] } {
  const dbPath = path.join(dir, `t-${pageBytes}.db`);
  const db = new Database(dbPath);
  db.pragma(`page_size = ${pageBytes}`);
  db.exec(`CREATE TABLE blobs (chain INTEGER NOT NULL, idx INTEGER NOT NULL, bytes BLOB NOT NULL, note TEXT NOT NULL, PRIMARY KEY (chain, idx)) STRICT;
    CREATE TABLE keys (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID, STRICT;`);
  const insert = db.prepare('INSERT INTO blobs VALUES (?, ?, ?, ?)');
  for (let i = 0; i < 40; i += 1) {
    // 0 and 1 take no bytes; sizes from a few bytes to several overflow pages.
    insert.run(i % 3, 1_000 + i, Buffer.from(Array.from({ length: (i * 977) % 70_000 }, (_, j) => (i + j * 31) & 0xff)), `note ${i} ${'é'.repeat(i)}`);
  }
  const insertKey = db.prepare('INSERT INTO keys VALUES (?, ?)');
  for (let i = 0; i < 500; i += 1) insertKey.run(`key-${i}-${'x'.repeat(i % 50)}`, i * 1_000_003 + 7);
  const leaves = (table: string) => db.prepare<[string], number>("SELECT pageno FROM dbstat WHERE name = ? AND pagetype IN ('leaf', 'internal') ORDER BY pageno").pluck().all(table);
  return { file: readFileSync(dbPath), db, leaves };
}

/** A column's bytes gathered from the file through the record's offsets. */
function bytesAt(file: Buffer, record: ReturnType<typeof recordsOfPages>[number], column: number): Buffer {
  const { start, end } = record.columns[column]!;
  return Buffer.from(Array.from({ length: end - start }, (_, i) => file[record.fileOffset(start + i)]!));
}

function intOf(bytes: Buffer): number {
  return Number(BigInt.asIntN(bytes.length * 8, BigInt(`0x${bytes.toString('hex')}`)));
}

describe('recordsOfPages', () => {
  it.each([4_096, 16_384])('finds every value of every record in a file of %i-byte pages', (pageBytes) => {
    const { file, db, leaves } = fileWith(pageBytes);
    const layout = fileLayout(file);
    expect(layout.pageBytes).toBe(pageBytes);
    const rows = db.prepare<[], { chain: number; idx: number; bytes: Buffer; note: string }>('SELECT chain, idx, bytes, note FROM blobs').all();
    const records = recordsOfPages(file, layout, leaves('blobs'));
    expect(records).toHaveLength(rows.length);
    for (const record of records) {
      const row = rows.find((r) => r.idx === intOf(bytesAt(file, record, 1)))!;
      expect(record.columns[0]!.end - record.columns[0]!.start).toBe(row.chain <= 1 ? 0 : 1); // 0 and 1 are serial types of their own
      expect(bytesAt(file, record, 2).equals(row.bytes)).toBe(true);
      expect(bytesAt(file, record, 3).toString('utf8')).toBe(row.note);
    }
    const keys = db.prepare<[], { key: string; n: number }>('SELECT key, n FROM keys ORDER BY key').all();
    const keyRecords = recordsOfPages(file, layout, leaves('keys'));
    expect(keyRecords.map((record) => [bytesAt(file, record, 0).toString('utf8'), intOf(bytesAt(file, record, 1))]).sort())
      .toEqual(keys.map((k) => [k.key, k.n]).sort());
    db.close();
  });
});

describe('varint', () => {
  it('reads 1- to 9-byte varints', () => {
    expect(varint(Uint8Array.of(0x7f), 0)).toEqual([127, 1]);
    expect(varint(Uint8Array.of(0x81, 0x00), 0)).toEqual([128, 2]);
    expect(varint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 0)).toEqual([2 ** 56 - 1, 8]);
    expect(varint(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x05), 0)).toEqual([5, 9]);
  });
});
