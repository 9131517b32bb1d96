import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { verifierKeyOf } from '@fareledger/checkpoint';
import { afterAll, describe, expect, it } from 'vitest';
import { block, chainEntries, keyA, logName, tempDir } from '../test/helpers.js';
import { LedgerCommitter } from './block-commit.js';
import { LedgerReader } from './reader.js';
import { verifyChain } from './verify-chain.js';
import { LedgerWriter } from './writer.js';

// The commit thread's half of a seal, on real files: blocks prepared by a writer on one
// connection, stored by a committer on another, several in one transaction.

const dir = tempDir('block-commit');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const freshPath = () => join(dir, `ledger-${serial++}.db`);
const verifiers = [verifierKeyOf(keyA)];
const openWriter = (path: string) => LedgerWriter.open({ path, logName, signer: keyA, create: true });
const openCommitter = (path: string) => LedgerCommitter.open({ path, logName, busyTimeoutMs: 1_000 });

function verifyAll(path: string, chains: readonly number[]) {
  const reader = LedgerReader.open({ path });
  try {
    return chains.map((chain) => verifyChain(reader, chain, verifiers));
  } finally {
    reader.close();
  }
}

describe('LedgerCommitter', () => {
  it('stores blocks of several chains, and consecutive blocks of one chain, in one group', () => {
    const path = freshPath();
    const writer = openWriter(path);
    const committer = openCommitter(path);
    const writes = [
      writer.prepareBlock(0, block(chainEntries(0, 0, 300), 0, 0)).write,
      writer.prepareBlock(1, block(chainEntries(1, 0, 20), 0, 0)).write,
      writer.prepareBlock(0, block(chainEntries(0, 300, 257), 300, 1)).write,
    ];
    expect(committer.commit(writes)).toEqual([{ status: 'committed' }, { status: 'committed' }, { status: 'committed' }]);
    committer.close();
    expect(writer.chainState(0)).toMatchObject({ treeSize: 557, blockHeight: 1, nextOffset: 557 });
    writer.close();
    expect(verifyAll(path, [0, 1])).toMatchObject([{ ok: true, blocksVerified: 2, entriesVerified: 557 }, { ok: true, blocksVerified: 1 }]);
  });

  it('refuses a block whose head moved even when the sizes match, and every block after it', () => {
    const path = freshPath();
    const first = openWriter(path);
    first.sealBlock(0, block(chainEntries(0, 0, 10), 0, 0));
    const second = openWriter(path);
    // first runs ahead of the file by two blocks; meanwhile second seals block 1 with as
    // many entries, so the stored head has the height and size first's block 2 extends.
    const ahead = [first.prepareBlock(0, block(chainEntries(0, 10, 5), 10, 1)).write, first.prepareBlock(0, block(chainEntries(0, 15, 5), 15, 2)).write];
    second.sealBlock(0, block(chainEntries(0, 10, 5), 10, 1, 7));
    const committer = openCommitter(path);
    const outcomes = committer.commit(ahead);
    expect(outcomes).toEqual([
      { status: 'conflict', stored: { treeSize: 15, blockHeight: 1 } },
      { status: 'conflict', stored: { treeSize: 15, blockHeight: 1 } },
    ]);
    committer.close();
    expect(ahead.map((write, i) => first.settle(write, outcomes[i]!))).toEqual([false, false]);
    expect(first.chainState(0)).toMatchObject({ treeSize: 15, blockHeight: 1, nextOffset: 17 });
    first.close();
    second.close();
    expect(verifyAll(path, [0])).toMatchObject([{ ok: true, blocksVerified: 2, entriesVerified: 15 }]);
  });

  it('fails one block alone when SQLite refuses it, storing nothing of it and the rest of its group', () => {
    const path = freshPath();
    const writer = openWriter(path);
    writer.sealBlock(0, block(chainEntries(0, 0, 30), 0, 0));
    // Chain 1's block repeats a tap chain 1 already sealed: its tap key row clashes.
    const entries1 = chainEntries(1, 0, 30);
    writer.sealBlock(1, block(entries1, 0, 0));
    const committer = openCommitter(path);
    const writes = [
      writer.prepareBlock(0, block(chainEntries(0, 30, 30), 30, 1)).write,
      writer.prepareBlock(1, block([entries1[0]!], 30, 1)).write,
      writer.prepareBlock(2, block(chainEntries(2, 0, 30), 0, 0)).write,
    ];
    const outcomes = committer.commit(writes);
    expect(outcomes[0]).toEqual({ status: 'committed' });
    expect(outcomes[1]).toMatchObject({ status: 'failed', message: expect.stringMatching(/^SQLITE_CONSTRAINT/) });
    expect(outcomes[2]).toEqual({ status: 'committed' });
    committer.close();
    expect(writer.settle(writes[0]!, outcomes[0]!)).toBe(true);
    expect(() => writer.settle(writes[1]!, outcomes[1]!)).toThrow(/^ledger chain 1: block 1 was not stored: SQLITE_CONSTRAINT/);
    expect(writer.chainState(1)).toMatchObject({ treeSize: 30, blockHeight: 0, nextOffset: 30 });
    writer.close();
    expect(verifyAll(path, [0, 1, 2])).toMatchObject([{ ok: true, entriesVerified: 60 }, { ok: true, entriesVerified: 30 }, { ok: true, entriesVerified: 30 }]);
  });
});
