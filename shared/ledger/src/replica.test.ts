import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { verifierKeyOf } from '@fareledger/checkpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { block, chainEntries, keyA, keyB, logName, tempDir } from '../test/helpers.js';
import { LedgerReader } from './reader.js';
import { verifyChain } from './verify-chain.js';
import { LedgerWriter, ReplicaBlockError } from './writer.js';

// A replica (a writer without a signer) stores blocks sealed elsewhere, checked, so that
// its file reads and verifies as the original does.

const dir = tempDir('replica');
const sourcePath = join(dir, 'source.db');
const trusted = [verifierKeyOf(keyA)];
const blocks: { entries: Uint8Array[]; note: string }[] = [];

beforeAll(() => {
  const source = LedgerWriter.open({ path: sourcePath, logName, signer: keyA, create: true });
  for (let height = 0; height < 4; height++) {
    const entries = chainEntries(0, height * 300, height === 2 ? 0 : 300);
    const sealed = source.sealBlock(0, block(entries, height * 300, height, 300));
    blocks.push({ entries: entries.map((e) => e.bytes), note: sealed.checkpoint });
  }
  source.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replica(name: string): LedgerWriter {
  return LedgerWriter.open({ path: join(dir, `${name}.db`), logName, create: true });
}

function refusal(run: () => void): string {
  try {
    run();
    return 'stored';
  } catch (error) {
    if (error instanceof ReplicaBlockError) return error.reason;
    throw error;
  }
}

describe('LedgerWriter.replicateBlock', () => {
  it('stores the blocks of another ledger so that the replica reads and verifies as it does', () => {
    const copy = replica('copy');
    for (const { entries, note } of blocks) copy.replicateBlock(0, entries, note, trusted);
    copy.close();
    const [source, target] = [LedgerReader.open({ path: sourcePath }), LedgerReader.open({ path: join(dir, 'copy.db') })];
    expect(target.entries(0, 0, 900)).toEqual(source.entries(0, 0, 900));
    expect(target.checkpoints(0, { from: 0, limit: 10 })).toEqual(source.checkpoints(0, { from: 0, limit: 10 }));
    expect(target.chain(0)).toEqual(source.chain(0));
    expect(target.inclusionProof(0, 123, 900)).toEqual(source.inclusionProof(0, 123, 900));
    expect(target.tapKeyCount(0)).toBe(source.tapKeyCount(0));
    expect(verifyChain(target, 0, trusted)).toMatchObject({ ok: true, blocksVerified: 4, entriesVerified: 900 });
    source.close();
    target.close();
  });

  it('refuses a block it cannot check, and stores nothing of it', () => {
    const copy = replica('refusals');
    const [b0, b1] = [blocks[0]!, blocks[1]!];
    expect(refusal(() => copy.replicateBlock(0, b0.entries, b0.note, [verifierKeyOf(keyB)]))).toBe('signature');
    expect(refusal(() => copy.replicateBlock(1, b0.entries, b0.note, trusted))).toBe('origin');
    expect(refusal(() => copy.replicateBlock(0, b1.entries, b1.note, trusted))).toBe('height');
    const flipped = b0.entries.map((e, i) => (i === 7 ? Uint8Array.from(e, (byte, j) => (j === 20 ? byte ^ 1 : byte)) : e));
    expect(refusal(() => copy.replicateBlock(0, flipped, b0.note, trusted))).not.toBe('stored');
    expect(refusal(() => copy.replicateBlock(0, b0.entries.slice(1), b0.note, trusted))).toBe('tree-size');
    expect(refusal(() => copy.replicateBlock(0, b0.entries, b0.note, trusted))).toBe('stored');
    expect(refusal(() => copy.replicateBlock(0, b0.entries, b0.note, trusted))).toBe('height'); // a redelivery
    expect(copy.chainState(0)).toMatchObject({ treeSize: 300, blockHeight: 0 });
    copy.close();
  });

  it('keeps its place in the topic beside the chains, which readers ignore', () => {
    const copy = replica('positions');
    expect(copy.replicaPositions()).toEqual(new Map());
    copy.replicateBlock(0, blocks[0]!.entries, blocks[0]!.note, trusted);
    copy.setReplicaPosition(0, 17);
    copy.setReplicaPosition(0, 18);
    copy.setReplicaPosition(3, 2);
    expect(copy.replicaPositions()).toEqual(new Map([[0, 18], [3, 2]]));
    copy.close();
    const reader = LedgerReader.open({ path: join(dir, 'positions.db'), logName });
    expect(verifyChain(reader, 0, trusted).ok).toBe(true);
    reader.close();
  });
});
