import { randomBytes } from 'node:crypto';
import { mulberry32 } from '@fareledger/domain';
import { describe, expect, it } from 'vitest';
import { CompactRange, type NodeVisitor } from './compact-range.js';
import { nobleHasher, type Hasher } from './hasher.js';
import { nodeHasher } from './node-hasher.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A visitor that records each node it is shown, one per run element, copying the hashes (they may be views). */
function recorder(): { visit: NodeVisitor; seen: string[] } {
  const seen: string[] = [];
  const visit: NodeVisitor = (level, firstIndex, hashes) => {
    for (let i = 0; i < hashes.length / 32; i++) seen.push(`${level}/${firstIndex + i}:${hex(hashes.subarray(32 * i, 32 * i + 32))}`);
  };
  return { seen, visit };
}

/** Nodes by (level, index): batches show them level by level, one by one shows them as completed. */
const byNode = (seen: readonly string[]) => [...seen].sort((a, b) => {
  const [la, ia] = a.split(/[/:]/).map(Number) as [number, number];
  const [lb, ib] = b.split(/[/:]/).map(Number) as [number, number];
  return la - lb || ia - ib;
});

describe.each([['noble', nobleHasher], ['native', nodeHasher]] as [string, Hasher][])('CompactRange.appendLeaves (%s)', (_name, hasher) => {
  it('gives the sizes, hashes, roots and visited nodes of appending leaf by leaf, whatever the batches', () => {
    const random = mulberry32(62);
    for (let trial = 0; trial < 12; trial++) {
      const startSize = trial < 4 ? trial : Math.floor(random() * 3000);
      const leaves = Array.from({ length: startSize + 2500 }, (_, i) => randomBytes(1 + ((i * 13) % 200)));
      const one = new CompactRange(hasher);
      const oneSeen = recorder();
      leaves.forEach((leaf, i) => one.appendLeafHash(nobleHasher.hashLeaf(leaf), i < startSize ? undefined : oneSeen.visit));

      // Restored at startSize from the one-by-one range's hashes, then appended in random batches.
      const prefix = new CompactRange(hasher);
      prefix.appendLeaves(leaves.slice(0, startSize));
      const batched = new CompactRange(hasher, startSize, prefix.hashes());
      const batchedSeen = recorder();
      for (let at = startSize; at < leaves.length;) {
        const count = Math.min(leaves.length - at, [1, 2, 3, 255, 256, 257, 1000][Math.floor(random() * 7)]!);
        batched.appendLeaves(leaves.slice(at, at + count), batchedSeen.visit);
        at += count;
        expect(batched.size).toBe(at);
      }
      expect(byNode(batchedSeen.seen)).toEqual(byNode(oneSeen.seen));
      expect(new Set(batchedSeen.seen).size).toBe(batchedSeen.seen.length); // each node once
      expect(batched.hashes().map(hex)).toEqual(one.hashes().map(hex));
      expect(hex(batched.root())).toBe(hex(one.root()));
    }
  });

  it('keeps no views into a batch\'s buffers among its hashes', () => {
    const range = new CompactRange(hasher);
    range.appendLeaves(Array.from({ length: 1023 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8)));
    for (const hash of range.hashes()) expect(hash.buffer.byteLength).toBe(32);
    range.appendLeaves([]);
    expect(range.size).toBe(1023);
  });
});
