import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointHash, checkpointOrigin, formatVerifierKey, genesisPrevBase64, openCheckpoint, verifierKeyOf } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { AssertionError } from '@fareledger/domain';
import { CompactRange, nobleHasher, verifyConsistency, verifyInclusion } from '@fareledger/merkle';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { block, chainEntries, keyA, logName, tempDir } from '../test/helpers.js';
import type { LedgerEntryInput } from './entry-metadata.js';
import { ChainConflictError } from './errors.js';
import { LedgerReader } from './reader.js';
import { verifyChain } from './verify-chain.js';
import { LedgerWriter } from './writer.js';

const dir = tempDir('writer');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const freshPath = () => join(dir, `ledger-${serial++}.db`);
const verifiers = [verifierKeyOf(keyA)];
const open = (path: string, create = true) => LedgerWriter.open({ path, logName, signer: keyA, create });

/** What the tests expect of a chain: every leaf sealed so far, in order, and each block's offsets. */
class Expected {
  readonly leaves: Uint8Array[] = [];
  /** The same leaves in a second tree, hashed by a second SHA-256 (noble): root by tree size. */
  readonly #range = new CompactRange(nobleHasher);
  readonly #roots = new Map<number, Uint8Array>([[0, nobleHasher.emptyRoot()]]);
  offsetNext = 0;
  height = -1;

  push(leaves: readonly Uint8Array[]): void {
    this.leaves.push(...leaves);
    this.#range.appendLeaves(leaves);
    this.#roots.set(this.#range.size, this.#range.root());
  }

  root(size = this.leaves.length): Uint8Array {
    const root = this.#roots.get(size);
    if (root === undefined) throw new Error(`no expected root for size ${size}`);
    return root;
  }
}

/** Seals `count` new entries (continuing `expected`) on `chain`, with a 2-offset gap of duplicates per block. */
function sealNext(writer: LedgerWriter, chain: number, expected: Expected, count: number) {
  const entries = chainEntries(chain, expected.leaves.length, count);
  const sealed = writer.sealBlock(chain, block(entries, expected.offsetNext, expected.height + 1, count + 2));
  expected.push(entries.map((e) => e.bytes));
  expected.offsetNext += count + 2;
  expected.height += 1;
  return sealed;
}

describe('LedgerWriter', () => {
  it('seals blocks on 4 chains, reopens, continues; roots, proofs, state and verifyChain agree', () => {
    const path = freshPath();
    const expected = [0, 1, 2, 3].map(() => new Expected());
    let writer = open(path);
    const blockSizes = [1, 300, 255, 513, 0, 7];
    const sizeAfterBlock4 = expected.map(() => 0);
    for (const [i, count] of blockSizes.entries()) {
      for (const chain of [0, 1, 2, 3]) {
        const sealed = sealNext(writer, chain, expected[chain]!, count + chain);
        expect(sealed.blockHeight).toBe(i);
        expect(sealed.treeSize).toBe(expected[chain]!.leaves.length);
        expect(Buffer.from(sealed.rootHash).toString('hex')).toBe(Buffer.from(expected[chain]!.root()).toString('hex'));
        if (i === 4) sizeAfterBlock4[chain] = sealed.treeSize;
      }
      if (i === 2) {
        writer.close();
        writer = open(path, false);
      }
    }
    for (const chain of [0, 1, 2, 3]) {
      const state = writer.chainState(chain);
      const e = expected[chain]!;
      expect(state).toMatchObject({ chain, treeSize: e.leaves.length, blockHeight: 5, nextOffset: e.offsetNext });
      // Block 5 carried no snapshot: the latest is block 4's, at its tree size.
      expect(state.builderSnapshot?.treeSize).toBe(sizeAfterBlock4[chain]);
      expect(new TextDecoder().decode(state.builderSnapshot?.state)).toBe('builder after block 4');
      const streamed: string[] = [];
      writer.forEachEntry(chain, 200, e.leaves.length, (index, bytes) => streamed.push(`${index}:${Buffer.from(bytes).toString('hex')}`));
      expect(streamed).toEqual(e.leaves.slice(200).map((leaf, i) => `${200 + i}:${Buffer.from(leaf).toString('hex')}`));
    }
    writer.close();

    const reader = LedgerReader.open({ path, logName });
    for (const chain of [0, 1, 2, 3]) checkChain(reader, chain, expected[chain]!);
    reader.close();
  }, 30_000);

  it('stores what the block said: entries verbatim, checkpoint fields, the chain row', () => {
    const path = freshPath();
    const writer = open(path);
    const entries = chainEntries(2, 0, 3);
    const sealed = writer.sealBlock(2, block(entries, 1_000, 0, 5));
    writer.close();
    const reader = LedgerReader.open({ path });
    expect(reader.logName).toBe(logName);
    expect(reader.entries(2, 0, 10)).toEqual(entries.map((e, index) => ({ chain: 2, index, bytes: e.bytes })));
    const stored = reader.checkpoint(2)!;
    expect(stored).toEqual({
      chain: 2, blockHeight: 0, treeSize: 3, rootHash: sealed.rootHash, offsetFirst: 1_000, offsetNext: 1_005,
      fareTableVersion: 'szm-2026.1', sealedAtMs: 1_772_500_000_000, checkpointHash: checkpointHash(sealed.checkpoint),
      verifierKey: formatVerifierKey(verifierKeyOf(keyA)), note: sealed.checkpoint,
    });
    const text = sealed.checkpoint.slice(0, sealed.checkpoint.indexOf('\n\n') + 1);
    expect(text).toBe(`${logName}/chain/2\n3\n${Buffer.from(sealed.rootHash).toString('base64')}\nfareledger/block 0\n` +
      `fareledger/prev ${genesisPrevBase64}\nfareledger/offsets 1000 1005\nfareledger/fares szm-2026.1\n` +
      'fareledger/sealed 2026-03-03T01:06:40.000Z\n');
    expect(reader.chains()).toEqual([{ chain: 2, treeSize: 3, blockHeight: 0, nextOffset: 1_005, checkpoint: sealed.checkpoint }]);
    reader.close();
  });

  it('seals an empty block as a checkpoint of the unchanged tree that moves the offset on', () => {
    const path = freshPath();
    const writer = open(path);
    const first = writer.sealBlock(0, block(chainEntries(0, 0, 4), 0, 0, 4));
    const empty = writer.sealBlock(0, block([], 4, 1, 6));
    expect(empty).toMatchObject({ blockHeight: 1, indexFirst: 4, treeSize: 4, rootHash: first.rootHash });
    const { checkpoint } = openCheckpoint(empty.checkpoint, { verifiers, origin: checkpointOrigin(logName, 0), ed25519: ed25519Node });
    expect(checkpoint.fareledger).toMatchObject({ blockHeight: 1, kafkaOffsetFirst: 4, kafkaOffsetNext: 10, prevCheckpointHash: checkpointHash(first.checkpoint) });
    expect(writer.chainState(0)).toMatchObject({ treeSize: 4, blockHeight: 1, nextOffset: 10 });
    writer.close();
    const reader = LedgerReader.open({ path });
    expect(reader.checkpoint(0, 4)!.blockHeight).toBe(0); // the first checkpoint of that size
    expect(reader.checkpoint(0)!.blockHeight).toBe(1);
    expect(verifyChain(reader, 0, verifiers)).toEqual({ chain: 0, ok: true, blocksVerified: 2, entriesVerified: 4, failure: null, verifierKeys: [formatVerifierKey(verifierKeyOf(keyA))] });
    reader.close();
  });

  it('answers hasTap from the duplicate index: per chain, by key and event time', () => {
    const writer = open(freshPath());
    const entries = chainEntries(1, 0, 3); // tap t1x0, tap t1x1, trip of t1x1
    writer.sealBlock(1, block(entries, 0, 0));
    const [tap0, tap1, trip] = entries as [LedgerEntryInput, LedgerEntryInput, LedgerEntryInput];
    expect([
      writer.hasTap(1, tap0.key, tap0.timeMs), writer.hasTap(1, tap1.key, tap1.timeMs), writer.hasTap(0, tap0.key, tap0.timeMs),
      writer.hasTap(1, tap0.key, tap0.timeMs + 1), writer.hasTap(1, 'bv-0457/t1x2', tap1.timeMs + 1_000),
    ]).toEqual([true, true, false, false, false]);
    expect(writer.hasTaps(1, [tap1, tap0, { key: tap0.key, timeMs: tap0.timeMs - 1 }].map((e) => ({ key: e.key, eventTimeMs: e.timeMs }))))
      .toEqual([true, true, false]);
    expect(writer.tapsSince(1, tap0.timeMs + 1)).toEqual([[tap1.key, tap1.timeMs]]);
    expect(writer.tapsSince(1, 0)).toHaveLength(2);
    expect(writer.tapsSince(0, 0)).toEqual([]);
    expect(trip).toMatchObject({ kind: 'trip', key: 'bv-0457/t1x1' });
    writer.close();
  });

  it('fails a block that would seal a tap twice, and keeps the chain as it was', () => {
    const writer = open(freshPath());
    const entries = chainEntries(1, 0, 2);
    writer.sealBlock(1, block(entries, 0, 0));
    expect(() => writer.sealBlock(1, block([entries[0]!], 2, 1))).toThrow(/UNIQUE constraint failed: tap_keys/);
    expect(writer.chainState(1)).toMatchObject({ treeSize: 2, blockHeight: 0, nextOffset: 2 });
    writer.sealBlock(1, block(chainEntries(1, 2, 1), 2, 1));
    expect(writer.chainState(1)).toMatchObject({ treeSize: 3, blockHeight: 1, nextOffset: 3 });
    writer.close();
  });

  it('rewrites the partial entry bundle as it grows, also across a reopen', () => {
    const path = freshPath();
    let writer = open(path);
    const all = chainEntries(0, 0, 700);
    writer.sealBlock(0, block(all.slice(0, 100), 0, 0));
    writer.sealBlock(0, block(all.slice(100, 300), 100, 1));
    writer.close();
    writer = open(path);
    writer.sealBlock(0, block(all.slice(300, 512), 300, 2)); // ends exactly on a bundle boundary
    writer.sealBlock(0, block([], 512, 3));
    writer.sealBlock(0, block(all.slice(512, 700), 512, 4));
    writer.close();
    const reader = LedgerReader.open({ path });
    expect(reader.entries(0, 0, 1_000).map((e) => e.bytes)).toEqual(all.map((e) => e.bytes));
    expect(reader.entryCount(0)).toBe(700);
    expect(verifyChain(reader, 0, verifiers)).toMatchObject({ ok: true, blocksVerified: 5, entriesVerified: 700 });
    reader.close();
  });

  it('streams entries for the builder replay, and names an entry whose bundle is missing', () => {
    const path = freshPath();
    const writer = open(path);
    const all = chainEntries(0, 0, 600);
    writer.sealBlock(0, block(all, 0, 0));
    const seen: number[] = [];
    writer.forEachEntry(0, 250, 600, (index, bytes) => {
      expect(bytes).toEqual(all[index]!.bytes);
      seen.push(index);
    });
    expect(seen).toEqual(Array.from({ length: 350 }, (_, i) => 250 + i));
    const db = new Database(path);
    db.prepare('DELETE FROM entry_bundles WHERE chain = 0 AND bundle_index = 1').run();
    db.close();
    expect(() => writer.forEachEntry(0, 250, 600, () => {})).toThrow(/chain 0: entry 256 is missing/);
    expect(() => writer.forEachEntry(0, 0, 600, () => {})).toThrow(/entry 256 is missing/);
    writer.close();
  });

  it('creates the file with 16 KiB pages', () => {
    const path = freshPath();
    open(path).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(16_384);
    db.close();
  });

  it('reports a chain never sealed as empty', () => {
    const writer = open(freshPath());
    expect(writer.chainState(7)).toEqual({ chain: 7, treeSize: 0, blockHeight: null, nextOffset: 0, builderSnapshot: null, latestCheckpoint: null });
    writer.close();
  });

  it('asserts on a block that does not start at the chain\'s next offset', () => {
    const writer = open(freshPath());
    writer.sealBlock(0, block(chainEntries(0, 0, 2), 5, 0));
    expect(() => writer.sealBlock(0, block(chainEntries(0, 2, 2), 8, 1))).toThrow(AssertionError);
    expect(writer.chainState(0)).toMatchObject({ treeSize: 2, nextOffset: 7 });
    writer.close();
  });
});

describe('LedgerWriter after a failed seal', () => {
  it('rolls back a block that fails mid-insert (duplicate tap key) and the next seal continues the same tree', () => {
    const path = freshPath();
    const writer = open(path);
    const expected = new Expected();
    sealNext(writer, 0, expected, 300);
    // 200 fresh entries, then a tap already sealed: the UNIQUE index fails the 201st insert.
    const fresh = chainEntries(0, 300, 200);
    const duplicate = chainEntries(0, 0, 1);
    expect(() => writer.sealBlock(0, block([...fresh, ...duplicate], expected.offsetNext, 1))).toThrow(/UNIQUE constraint failed/);
    // And inside a multi-row insert of tap keys (64 per statement).
    expect(() => writer.sealBlock(0, block([...duplicate, ...fresh], expected.offsetNext, 1))).toThrow(/UNIQUE constraint failed/);
    // Straight on, without chainState (which would re-read the file and hide a forked tree in memory).
    expect(sealNext(writer, 0, expected, 200)).toMatchObject({ blockHeight: 1, indexFirst: 300, treeSize: 500 });
    sealNext(writer, 0, expected, 57);
    expect(writer.chainState(0)).toMatchObject({ treeSize: 557, blockHeight: 2, nextOffset: expected.offsetNext });
    writer.close();
    const reader = LedgerReader.open({ path });
    checkChain(reader, 0, expected);
    reader.close();
  });

  it('rolls back when another connection holds the write lock (SQLITE_BUSY), then continues', () => {
    const path = freshPath();
    const writer = LedgerWriter.open({ path, logName, signer: keyA, create: true, busyTimeoutMs: 0 });
    const expected = new Expected();
    sealNext(writer, 3, expected, 100);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const count = 130;
    const entries = chainEntries(3, expected.leaves.length, count);
    expect(() => writer.sealBlock(3, block(entries, expected.offsetNext, 1))).toThrow(/database is locked/);
    other.exec('ROLLBACK');
    other.close();
    // The same block again: it must get the same index range and root as if the first try never happened.
    const sealed = sealNext(writer, 3, expected, count);
    expect(sealed).toMatchObject({ blockHeight: 1, indexFirst: 100, treeSize: 230 });
    writer.close();
    const reader = LedgerReader.open({ path });
    checkChain(reader, 3, expected);
    reader.close();
  });

  it('refuses to seal on a chain another writer moved (ChainConflictError), and picks it up after chainState', () => {
    const path = freshPath();
    const first = open(path);
    const expected = new Expected();
    sealNext(first, 0, expected, 10);
    const second = open(path, false);
    sealNext(second, 0, expected, 20);
    const entries = chainEntries(0, 10, 5);
    expect(() => first.sealBlock(0, block(entries, 12, 1))).toThrow(ChainConflictError);
    expect(first.chainState(0)).toMatchObject({ treeSize: 30, blockHeight: 1, nextOffset: expected.offsetNext });
    sealNext(first, 0, expected, 5);
    first.close();
    second.close();
    const reader = LedgerReader.open({ path });
    checkChain(reader, 0, expected);
    reader.close();
  });

  it('after its connection is closed mid-run, a reopened writer continues from the last committed block', () => {
    const path = freshPath();
    const writer = open(path);
    const expected = new Expected();
    sealNext(writer, 0, expected, 40);
    writer.close();
    expect(() => writer.sealBlock(0, block(chainEntries(0, 40, 3), expected.offsetNext, 1))).toThrow(/not open/);
    const reopened = open(path, false);
    sealNext(reopened, 0, expected, 3);
    reopened.close();
    const reader = LedgerReader.open({ path });
    checkChain(reader, 0, expected);
    reader.close();
  });
});

describe('LedgerWriter past one tile level', () => {
  it('keeps a chain of 70,000 entries (tile levels 0-2) provable, across a reopen', () => {
    const path = freshPath();
    let writer = open(path);
    const expected = new Expected();
    for (let height = 0; expected.leaves.length < 70_000; height++) {
      sealNext(writer, 0, expected, Math.min(4_096, 70_000 - expected.leaves.length));
      if (height === 8) {
        writer.close();
        writer = open(path, false);
      }
    }
    writer.close();
    const reader = LedgerReader.open({ path });
    checkChain(reader, 0, expected, 997);
    reader.close();
  }, 60_000);
});

/**
 * Checks a stored chain against the expected leaves: every entry's bytes, every
 * checkpoint's root (recomputed with noble), the inclusion proof of every `stride`-th
 * leaf against every checkpoint that covers it, consistency between every pair of
 * checkpoints, and verifyChain.
 */
function checkChain(reader: LedgerReader, chain: number, expected: Expected, stride = 1): void {
  const stored = reader.entries(chain, 0, expected.leaves.length + 1);
  expect(stored.map((e) => e.index)).toEqual(expected.leaves.map((_, i) => i));
  expect(Buffer.concat(stored.map((e) => e.bytes)).equals(Buffer.concat(expected.leaves))).toBe(true);
  const checkpoints = reader.checkpoints(chain, { from: 0, limit: 1_000 });
  expect(checkpoints.map((c) => c.blockHeight)).toEqual(Array.from({ length: expected.height + 1 }, (_, i) => i));
  const opened = checkpoints.map((c) =>
    openCheckpoint(c.note, { verifiers, origin: checkpointOrigin(logName, chain), ed25519: ed25519Node }).checkpoint);
  for (const checkpoint of opened) {
    expect(Buffer.from(checkpoint.rootHash).equals(Buffer.from(expected.root(checkpoint.treeSize)))).toBe(true);
    for (let index = 0; index < checkpoint.treeSize; index += stride) {
      const proof = reader.inclusionProof(chain, index, checkpoint.treeSize);
      verifyInclusion(nobleHasher, index, checkpoint.treeSize, nobleHasher.hashLeaf(expected.leaves[index]!), proof, checkpoint.rootHash);
    }
  }
  for (const [i, older] of opened.entries()) {
    for (const newer of opened.slice(i)) {
      const proof = reader.consistencyProof(chain, older.treeSize, newer.treeSize);
      verifyConsistency(nobleHasher, older.treeSize, newer.treeSize, proof, older.rootHash, newer.rootHash);
    }
  }
  expect(verifyChain(reader, chain, verifiers)).toEqual({
    chain, ok: true, blocksVerified: expected.height + 1, entriesVerified: expected.leaves.length, failure: null, verifierKeys: [formatVerifierKey(verifierKeyOf(keyA))],
  });
}
