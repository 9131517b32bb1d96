import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssertionError } from '@fareledger/domain';
import { ProofRequestError, verifyInclusion } from '@fareledger/merkle';
import { nodeHasher } from '@fareledger/merkle/node-hasher';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { block, chainEntries, keyA, logName, tempDir } from '../test/helpers.js';
import type { LedgerEntryInput } from './entry-metadata.js';
import { LedgerFormatError } from './errors.js';
import { LedgerReader } from './reader.js';
import { ledgerFormatVersion } from './schema.js';
import { LedgerWriter } from './writer.js';

const dir = tempDir('reader');
const path = join(dir, 'ledger.db');
const sealed: LedgerEntryInput[][] = [[], []];
let reader: LedgerReader;

beforeAll(() => {
  const writer = LedgerWriter.open({ path, logName, signer: keyA, create: true });
  for (let height = 0; height < 2; height++) {
    for (const chain of [0, 1]) {
      const entries = chainEntries(chain, height * 600, 600);
      writer.sealBlock(chain, block(entries, height * 600, height));
      sealed[chain]!.push(...entries);
    }
  }
  writer.close();
  reader = LedgerReader.open({ path, logName });
});

afterAll(() => {
  reader.close();
  rmSync(dir, { recursive: true, force: true });
});

const stored = (chain: number, index: number) => ({ chain, index, bytes: sealed[chain]![index]!.bytes });

describe('LedgerReader', () => {
  it('reads entries by index and range, across entry bundles, verbatim', () => {
    expect(reader.entry(1, 599)).toEqual(stored(1, 599));
    expect(reader.entry(1, 0)).toEqual(stored(1, 0));
    expect(reader.entry(1, 1_200)).toBeUndefined();
    expect(reader.entries(0, 1_198, 1_300).map((e) => e.index)).toEqual([1_198, 1_199]);
    // 250..770 spans bundles 0 (partial), 1, 2 and 3 (partial).
    expect(reader.entries(0, 250, 770)).toEqual(Array.from({ length: 520 }, (_, i) => stored(0, 250 + i)));
    expect(reader.entries(0, 5, 5)).toEqual([]);
    expect([reader.entryCount(0), reader.entryCount(1), reader.entryCount(2)]).toEqual([1_200, 1_200, 0]);
  });

  it('answers the duplicate index: a tap (or adjustment) by key and time, per chain', () => {
    const taps = sealed[1]!.filter((e) => e.kind !== 'trip');
    const tap = taps[3]!;
    expect([
      reader.hasTap(1, tap.key, tap.timeMs),
      reader.hasTap(1, tap.key, tap.timeMs + 1),
      reader.hasTap(0, tap.key, tap.timeMs),
      reader.tapKeyCount(1),
    ]).toEqual([true, false, false, taps.length]);
    const refund = sealed[1]!.find((e) => e.kind === 'adjustment')!;
    expect([reader.hasTap(1, `adjustment:${refund.key}`, refund.timeMs), reader.hasTap(1, refund.key, refund.timeMs)]).toEqual([true, false]);
  });

  it('lists checkpoints by height and finds one by tree size', () => {
    expect(reader.checkpoints(0, { from: 0, limit: 10 }).map((c) => [c.blockHeight, c.treeSize])).toEqual([[0, 600], [1, 1_200]]);
    expect(reader.checkpoints(0, { from: 1, limit: 1 }).map((c) => c.blockHeight)).toEqual([1]);
    expect(reader.checkpoint(1, 600)?.blockHeight).toBe(0);
    expect(reader.checkpoint(1, 601)).toBeUndefined();
    expect(reader.checkpoint(5)).toBeUndefined();
    expect(reader.chain(1)).toMatchObject({ treeSize: 1_200, blockHeight: 1, nextOffset: 1_200 });
  });

  it('reads entries one by one from cached full bundles and from a partial bundle that grows', () => {
    const path2 = join(dir, 'one-by-one.db');
    const writer = LedgerWriter.open({ path: path2, logName, signer: keyA, create: true });
    const first = chainEntries(0, 0, 300);
    writer.sealBlock(0, block(first, 0, 0));
    const growing = LedgerReader.open({ path: path2, logName });
    expect(growing.entry(0, 10)?.bytes).toEqual(first[10]!.bytes); // full bundle 0, now cached
    expect(growing.entry(0, 299)?.bytes).toEqual(first[299]!.bytes); // partial bundle 1
    expect(growing.entry(0, 300)).toBeUndefined();
    const next = chainEntries(0, 300, 300);
    writer.sealBlock(0, block(next, 300, 1));
    expect(growing.entry(0, 300)?.bytes).toEqual(next[0]!.bytes); // bundle 1 was not cached while partial
    expect(growing.entry(0, 599)?.bytes).toEqual(next[299]!.bytes);
    expect(growing.entry(0, 10)?.bytes).toEqual(first[10]!.bytes);
    growing.close();
    writer.close();
  });

  it('finds the checkpoint of the block that sealed a leaf', () => {
    expect([0, 599, 600, 1_199].map((index) => reader.sealingCheckpoint(0, index)?.treeSize)).toEqual([600, 600, 1_200, 1_200]);
    expect(reader.sealingCheckpoint(0, 1_200)).toBeUndefined();
    expect(reader.sealingCheckpoint(7, 0)).toBeUndefined();
  });

  it('refuses proofs past the chain\'s latest checkpoint', () => {
    expect(() => reader.inclusionProof(0, 5, 1_201)).toThrow(new ProofRequestError('chain 0 has 1200 sealed entries, not 1201'));
    expect(() => reader.inclusionProof(0, 1_200, 1_200)).toThrow(ProofRequestError);
    expect(() => reader.consistencyProof(2, 0, 1)).toThrow(new ProofRequestError('chain 2 has 0 sealed entries, not 1'));
    expect(() => reader.entries(0, 0, 100_001)).toThrow(AssertionError);
  });

  it('keeps full tiles in its cache, and edge tiles until the chain grows', () => {
    const fresh = LedgerReader.open({ path });
    // Leaf 10 of tree 600 (the chain now holds 1,200): its path up to level 7 is in tile 0/0;
    // its level-8 sibling, leaves 256-511, in tile 1/0, which is partial (4 wide at 1,200
    // leaves); the right edge, leaves 512-599, in tile 0/2, full by now.
    fresh.inclusionProof(0, 10, 600);
    expect([fresh.tiles.hits, fresh.tiles.misses]).toEqual([0, 3]);
    fresh.inclusionProof(0, 11, 600);
    expect([fresh.tiles.hits, fresh.tiles.misses]).toEqual([3, 3]);
    fresh.close();
  });

  it('reads a grown chain\'s new edge tiles, and its proofs verify against the new checkpoint', () => {
    const livePath = join(dir, 'growing.db');
    const writer = LedgerWriter.open({ path: livePath, logName, signer: keyA, create: true });
    const entries = chainEntries(0, 0, 300);
    writer.sealBlock(0, block(entries.slice(0, 100), 0, 0));
    const live = LedgerReader.open({ path: livePath });
    live.inclusionProof(0, 5, 100);
    live.inclusionProof(0, 6, 100);
    expect([live.tiles.hits, live.tiles.misses]).toEqual([1, 1]); // tile 0/0, partial, cached while the size holds
    const sealed = writer.sealBlock(0, block(entries.slice(100), 100, 1));
    const proof = live.inclusionProof(0, 5, 300);
    expect([live.tiles.hits, live.tiles.misses]).toEqual([1, 3]); // 0/0 (now full) and 0/1 (partial) read afresh
    verifyInclusion(nodeHasher, 5, 300, nodeHasher.hashLeaf(entries[5]!.bytes), proof, sealed.rootHash);
    writer.close();
    live.close();
  });

  it('sees blocks a writer seals while it is open, and read() gives one snapshot', () => {
    const livePath = join(dir, 'live.db');
    const writer = LedgerWriter.open({ path: livePath, logName, signer: keyA, create: true });
    writer.sealBlock(0, block(chainEntries(0, 0, 5), 0, 0));
    const live = LedgerReader.open({ path: livePath });
    const [before, inside] = live.read(() => {
      const first = live.entryCount(0);
      writer.sealBlock(0, block(chainEntries(0, 5, 3), 5, 1));
      return [first, live.entryCount(0)];
    });
    expect([before, inside, live.entryCount(0)]).toEqual([5, 5, 8]);
    writer.close();
    live.close();
  });
});

describe('opening a ledger file', () => {
  it('refuses a missing file unless asked to create it', () => {
    const missing = join(dir, 'missing', 'ledger.db');
    expect(() => LedgerWriter.open({ path: missing, logName, signer: keyA })).toThrow(
      new LedgerFormatError(`no ledger at ${missing}; the batcher creates it (create: true)`));
    expect(() => LedgerReader.open({ path: missing })).toThrow(LedgerFormatError);
  });

  it('refuses another log name, another format version, and another package\'s file', () => {
    expect(() => LedgerReader.open({ path, logName: 'fareledger.test/other' })).toThrow(
      new LedgerFormatError(`ledger ${path} is the log "fareledger.test/szm", not "fareledger.test/other"`));
    expect(() => LedgerWriter.open({ path, logName: 'fareledger.test/other', signer: keyA })).toThrow(LedgerFormatError);

    // 1: entry rows and key indexes, before entry bundles; 2: a builder snapshot with every block.
    for (const version of ['1', '2', '4']) {
      const other = join(dir, `v${version}.db`);
      LedgerWriter.open({ path: other, logName, signer: keyA, create: true }).close();
      const db = new Database(other);
      db.prepare("UPDATE ledger_meta SET value = ? WHERE name = 'format'").run(version);
      db.close();
      expect(() => LedgerWriter.open({ path: other, logName, signer: keyA })).toThrow(
        new LedgerFormatError(`ledger ${other} has format version ${version}; this code reads version ${ledgerFormatVersion} only`));
    }

    // A damaged name (one flipped byte) is refused at open, not met later as an origin that cannot be.
    const damaged = join(dir, 'damaged-name.db');
    LedgerWriter.open({ path: damaged, logName, signer: keyA, create: true }).close();
    const db = new Database(damaged);
    db.prepare("UPDATE ledger_meta SET value = 'f reledger.test/szm' WHERE name = 'log_name'").run();
    db.close();
    expect(() => LedgerReader.open({ path: damaged })).toThrow(
      new LedgerFormatError(`ledger ${damaged} names its log "f reledger.test/szm", which is not a valid log name (damaged?)`));

    const other = join(dir, 'taps.db');
    const taps = new Database(other);
    taps.exec('CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)');
    taps.close();
    expect(() => LedgerWriter.open({ path: other, logName, signer: keyA, create: true })).toThrow(
      new LedgerFormatError(`${other} holds other tables (meta); a ledger needs its own file`));
    const text = join(dir, 'not-sqlite.db');
    writeFileSync(text, 'hello, this is not a database file at all..........................................................');
    expect(() => LedgerReader.open({ path: text })).toThrow(/file is not a database/);
  });
});
