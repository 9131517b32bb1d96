import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildLog, fromHex, toHex } from '../test/helpers.js';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  nobleHasher,
  rootAt,
  VerificationError,
  verifyConsistency,
  verifyInclusion,
} from './index.js';

interface Vectors {
  leaves: string[];
  roots: string[];
  nodeHashes: string[][];
  inclusion: { index: number; size: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
  negatives: {
    inclusion: { description: string; index: number; size: number; leafHash: string; proof: string[]; root: string }[];
    consistency: { description: string; size1: number; size2: number; root1: string; root2: string; proof: string[] }[];
  };
}

const vectors: Vectors = JSON.parse(readFileSync(new URL('../test-vectors/rfc6962.json', import.meta.url), 'utf8'));
const hasher = nobleHasher;
const leaves = vectors.leaves.map(fromHex);
const log = buildLog(hasher, leaves, 3);

describe('RFC 6962 reference vectors', () => {
  it('gives the reference root for every tree size from 0 to 8', () => {
    const range = new CompactRange(hasher);
    expect(toHex(range.root())).toBe(vectors.roots[0]);
    leaves.forEach((leaf, i) => {
      range.appendLeaves([leaf]);
      expect(toHex(range.root()), `size ${i + 1}`).toBe(vectors.roots[i + 1]);
    });
    vectors.roots.forEach((root, size) => expect(toHex(rootAt(log.reader, hasher, size))).toBe(root));
  });

  it('stores the reference hash of every perfect subtree', () => {
    vectors.nodeHashes.forEach((row, level) =>
      row.forEach((hash, index) => expect(toHex(log.reader.readHashes([{ level, index }])[0]!)).toBe(hash)),
    );
  });

  it.each(vectors.inclusion)('builds and verifies the inclusion proof of leaf $index in size $size', ({ index, size, proof }) => {
    expect(inclusionProof(log.reader, hasher, index, size).map(toHex)).toEqual(proof);
    const leafHash = hasher.hashLeaf(leaves[index]!);
    expect(() => verifyInclusion(hasher, index, size, leafHash, proof.map(fromHex), fromHex(vectors.roots[size]!))).not.toThrow();
  });

  it.each(vectors.consistency)('builds and verifies the consistency proof from $size1 to $size2', ({ size1, size2, proof }) => {
    expect(consistencyProof(log.reader, hasher, size1, size2).map(toHex)).toEqual(proof);
    const root1 = fromHex(vectors.roots[size1]!);
    const root2 = fromHex(vectors.roots[size2]!);
    expect(() => verifyConsistency(hasher, size1, size2, proof.map(fromHex), root1, root2)).not.toThrow();
  });

  it.each(vectors.negatives.inclusion)('rejects inclusion: $description', (probe) => {
    expect(() =>
      verifyInclusion(hasher, probe.index, probe.size, fromHex(probe.leafHash), probe.proof.map(fromHex), fromHex(probe.root)),
    ).toThrow(VerificationError);
  });

  it.each(vectors.negatives.consistency)('rejects consistency: $description', (probe) => {
    expect(() =>
      verifyConsistency(hasher, probe.size1, probe.size2, probe.proof.map(fromHex), fromHex(probe.root1), fromHex(probe.root2)),
    ).toThrow(VerificationError);
  });
});

describe('verification edge cases (transparency-dev/merkle TestVerifyConsistency)', () => {
  const empty = fromHex(vectors.roots[0]!);
  const a = new Uint8Array(32).fill(1);
  const b = new Uint8Array(32).fill(2);
  it.each([
    { size1: 0, size2: 0, root1: a, root2: a, proof: [] as Uint8Array[], ok: true },
    { size1: 0, size2: 1, root1: a, root2: b, proof: [], ok: true },
    { size1: 1, size2: 1, root1: b, root2: b, proof: [], ok: true },
    { size1: 0, size2: 0, root1: a, root2: b, proof: [], ok: false },
    { size1: 1, size2: 1, root1: a, root2: b, proof: [], ok: false },
    { size1: 1, size2: 0, root1: a, root2: b, proof: [], ok: false },
    { size1: 2, size2: 1, root1: a, root2: b, proof: [], ok: false },
    { size1: 1, size2: 2, root1: a, root2: b, proof: [], ok: false },
    { size1: 0, size2: 0, root1: empty, root2: empty, proof: [empty], ok: false },
    { size1: 0, size2: 1, root1: empty, root2: empty, proof: [empty], ok: false },
    { size1: 1, size2: 1, root1: empty, root2: empty, proof: [empty], ok: false },
  ])('size $size1 to $size2 with $proof.length proof hashes: ok=$ok', ({ size1, size2, root1, root2, proof, ok }) => {
    const check = () => verifyConsistency(hasher, size1, size2, proof, root1, root2);
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(VerificationError);
  });

  it('rejects any inclusion claim in an empty or too small tree, and roots or leaves of the wrong length', () => {
    const some = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');
    for (const [index, size] of [[0, 0], [1, 0], [2, 1]] as const) {
      expect(() => verifyInclusion(hasher, index, size, some, [], empty)).toThrow(VerificationError);
    }
    const leafHash = hasher.hashLeaf(Buffer.from('data'));
    expect(() => verifyInclusion(hasher, 0, 1, leafHash, [], leafHash)).not.toThrow();
    expect(() => verifyInclusion(hasher, 0, 1, new Uint8Array(0), [], leafHash)).toThrow(VerificationError);
    expect(() => verifyInclusion(hasher, 0, 1, leafHash, [], new Uint8Array(0))).toThrow(VerificationError);
  });
});
