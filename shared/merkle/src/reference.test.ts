import { describe, expect, it, onTestFinished } from 'vitest';
import { buildLog, makeLeaves, toHex } from '../test/helpers.js';
import { ReferenceTree } from '../test/reference.js';
import { nodeHasher } from './node-hasher.js';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  nobleHasher,
  rootAt,
  VerificationError,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './index.js';

// Every (index, size) and (size1, size2) pair for trees of up to 256 leaves, checked
// against the RFC's recursive definitions (test/reference.ts), then verified, then
// mutated. node:crypto keeps the ~1 million hashes this takes to a few seconds.
const N = 256;
const hasher = nodeHasher;
const leaves = makeLeaves(N);
const reference = new ReferenceTree(leaves);
const { reader } = buildLog(hasher, leaves, 13);
const leafHashes = leaves.map((leaf) => hasher.hashLeaf(leaf));
const roots = Array.from({ length: N + 1 }, (_, size) => reference.mth(0, size));

function flipByte(proof: readonly Hash[], element: number, byte: number): Hash[] {
  return proof.map((hash, i) => {
    if (i !== element) return hash;
    const copy = Uint8Array.from(hash);
    copy[byte] = (copy[byte] as number) ^ 0x5a;
    return copy;
  });
}

// Collects every forgery a verifier accepted; plain try/catch because a vitest expect()
// per probe costs more than the probe itself here (~1M probes).
let accepted: string[] = [];
let probes = 0;
const MUTATED_SIZE_MAX = 64; // every pair up to here, then every 7th pair up to N
const EVERY_BYTE_SIZE_MAX = 24; // every byte of every proof hash up to here, one byte above
const mutated = (a: number, b: number) => b <= MUTATED_SIZE_MAX || (a + b) % 7 === 0;

/** Resets the probe tally for a test; VerificationErrors by the 100,000 skip their stacks. */
function beginProbing(): void {
  accepted = [];
  probes = 0;
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  onTestFinished(() => {
    Error.stackTraceLimit = stackTraceLimit;
  });
}

function rejects(check: () => void, what: string): void {
  probes++;
  try {
    check();
  } catch (error) {
    if (error instanceof VerificationError) return;
    throw error;
  }
  accepted.push(what);
}

describe(`against the naive RFC 6962 definitions, all trees of 0..${N} leaves`, () => {
  it('computes MTH for every size, incrementally and from stored tiles, on both hashers', () => {
    const range = new CompactRange(hasher);
    const nobleRange = new CompactRange(nobleHasher);
    expect(toHex(range.root())).toBe(toHex(roots[0]!));
    for (let size = 1; size <= N; size++) {
      range.appendLeafHash(leafHashes[size - 1]!);
      nobleRange.appendLeaves([leaves[size - 1]!]);
      const want = toHex(roots[size]!);
      expect(toHex(range.root()), `size ${size}`).toBe(want);
      expect(toHex(nobleRange.root()), `size ${size}`).toBe(want);
      expect(toHex(rootAt(reader, hasher, size)), `size ${size}`).toBe(want);
    }
  });

  it('builds PATH(m, D[n]) for every leaf m < n <= 256, which verifies', () => {
    let checked = 0;
    for (let size = 1; size <= N; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(reader, hasher, index, size);
        expect(proof.map(toHex)).toEqual(reference.path(index, size).map(toHex));
        verifyInclusion(hasher, index, size, leafHashes[index]!, proof, roots[size]!);
        checked++;
      }
    }
    expect(checked).toBe((N * (N + 1)) / 2);
  });

  it('builds PROOF(m, D[n]) for every 0 <= m <= n <= 256, which verifies', () => {
    let checked = 0;
    for (let size2 = 0; size2 <= N; size2++) {
      for (let size1 = 0; size1 <= size2; size1++) {
        const proof = consistencyProof(reader, hasher, size1, size2);
        const want = size1 === 0 ? [] : reference.proof(size1, size2);
        expect(proof.map(toHex), `${size1} -> ${size2}`).toEqual(want.map(toHex));
        verifyConsistency(hasher, size1, size2, proof, roots[size1]!, roots[size2]!);
        checked++;
      }
    }
    expect(checked).toBe(((N + 1) * (N + 2)) / 2);
  });

  it('rejects inclusion proofs with a wrong index, a wrong size with its own root, a wrong root, a changed byte (pairs to 64, every 7th to 256)', () => {
    beginProbing();
    for (let size = 1; size <= N; size++) {
      for (let index = 0; index < size; index++) {
        if (!mutated(index, size)) continue;
        const proof = inclusionProof(reader, hasher, index, size);
        const leafHash = leafHashes[index]!;
        const root = roots[size]!;
        for (const wrongIndex of [index - 1, index + 1, index ^ 2, size]) {
          if (wrongIndex >= 0 && wrongIndex !== index) rejects(() => verifyInclusion(hasher, wrongIndex, size, leafHash, proof, root), `index ${wrongIndex} for ${index}/${size}`);
        }
        for (const wrongSize of [size - 1, size + 1, size * 2]) {
          if (wrongSize > 0 && wrongSize <= N) rejects(() => verifyInclusion(hasher, index, wrongSize, leafHash, proof, roots[wrongSize]!), `size ${wrongSize} for ${index}/${size}`);
        }
        rejects(() => verifyInclusion(hasher, index, size, leafHash, proof, roots[size - 1]!), `root of ${size - 1} for ${index}/${size}`);
        rejects(() => verifyInclusion(hasher, index, size, leafHashes[(index + 1) % N]!, proof, root), `other leaf for ${index}/${size}`);
        if (proof.length > 0) {
          rejects(() => verifyInclusion(hasher, index, size, leafHash, proof.slice(1), root), `head dropped ${index}/${size}`);
          rejects(() => verifyInclusion(hasher, index, size, leafHash, proof.slice(0, -1), root), `tail dropped ${index}/${size}`);
        }
        rejects(() => verifyInclusion(hasher, index, size, leafHash, [...proof, root], root), `root appended ${index}/${size}`);
        // Every byte of every proof hash for small trees; one varying byte per hash above.
        proof.forEach((_, element) => {
          const bytes = size <= EVERY_BYTE_SIZE_MAX ? Array.from({ length: 32 }, (_, b) => b) : [(index + element) % 32];
          for (const byte of bytes) rejects(() => verifyInclusion(hasher, index, size, leafHash, flipByte(proof, element, byte), root), `byte ${element}.${byte} of ${index}/${size}`);
        });
      }
    }
    expect(accepted).toEqual([]);
    expect(probes).toBe(157_262);
  });

  it('rejects consistency proofs with a wrong size with its own root, a wrong root, a changed byte (pairs to 64, every 7th to 256)', () => {
    beginProbing();
    for (let size2 = 2; size2 <= N; size2++) {
      for (let size1 = 1; size1 < size2; size1++) {
        if (!mutated(size1, size2)) continue;
        const proof = consistencyProof(reader, hasher, size1, size2);
        const root1 = roots[size1]!;
        const root2 = roots[size2]!;
        for (const wrong1 of [size1 - 1, size1 + 1, size1 ^ 2]) {
          if (wrong1 > 0 && wrong1 < size2 && wrong1 !== size1) rejects(() => verifyConsistency(hasher, wrong1, size2, proof, roots[wrong1]!, root2), `size1 ${wrong1} for ${size1}->${size2}`);
        }
        for (const wrong2 of [size2 - 1, size2 + 1]) {
          if (wrong2 > size1 && wrong2 <= N) rejects(() => verifyConsistency(hasher, size1, wrong2, proof, root1, roots[wrong2]!), `size2 ${wrong2} for ${size1}->${size2}`);
        }
        rejects(() => verifyConsistency(hasher, size1, size2, proof, root2, root1), `swapped roots ${size1}->${size2}`);
        rejects(() => verifyConsistency(hasher, size1, size2, proof, roots[size1 - 1]!, root2), `wrong root1 ${size1}->${size2}`);
        rejects(() => verifyConsistency(hasher, size1, size2, proof, root1, roots[size2 - 1]!), `wrong root2 ${size1}->${size2}`);
        rejects(() => verifyConsistency(hasher, size1, size2, proof.slice(0, -1), root1, root2), `truncated ${size1}->${size2}`);
        rejects(() => verifyConsistency(hasher, size1, size2, [...proof, root2], root1, root2), `extended ${size1}->${size2}`);
        proof.forEach((_, element) => {
          const bytes = size2 <= EVERY_BYTE_SIZE_MAX ? Array.from({ length: 32 }, (_, b) => b) : [(size1 + element) % 32];
          for (const byte of bytes) rejects(() => verifyConsistency(hasher, size1, size2, flipByte(proof, element, byte), root1, root2), `byte ${element}.${byte} of ${size1}->${size2}`);
        });
      }
    }
    expect(accepted).toEqual([]);
    expect(probes).toBe(143_267);
  });
});
