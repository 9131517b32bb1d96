import { describe, expect, it } from 'vitest';
import { makeLeaves } from '../test/helpers.js';
import { ReferenceTree } from '../test/reference.js';
import { type Hash, type InclusionClaim, nobleHasher, VerificationError, verifyInclusion, verifyInclusions } from './index.js';
import { nodeHasher } from './node-hasher.js';

// verifyInclusions must accept exactly what verifyInclusion accepts claim by claim, and
// name the same first failing claim: a differential test over every tree size to 130,
// neighbouring and scattered leaves, and every kind of damage to one claim.

const hasher = nodeHasher;
const leaves = makeLeaves(130);
const reference = new ReferenceTree(leaves);
const leafHashes = leaves.map((leaf) => hasher.hashLeaf(leaf));

/** The index of the first claim verifyInclusion refuses alone, or -1. */
function firstFailingAlone(size: number, root: Hash, claims: readonly InclusionClaim[]): number {
  return claims.findIndex((claim) => {
    try {
      verifyInclusion(hasher, claim.index, size, claim.leafHash, claim.proof, root);
      return false;
    } catch (error) {
      if (error instanceof VerificationError) return true;
      throw error;
    }
  });
}

function firstFailingTogether(size: number, root: Hash, claims: readonly InclusionClaim[]): number {
  try {
    verifyInclusions(hasher, size, root, claims);
    return -1;
  } catch (error) {
    if (error instanceof VerificationError) return error.claim!;
    throw error;
  }
}

function claim(index: number, size: number): InclusionClaim {
  return { index, leafHash: leafHashes[index]!, proof: reference.path(index, size) };
}

const flip = (hash: Hash) => Uint8Array.from(hash, (byte, i) => (i === 5 ? byte ^ 1 : byte));

describe('verifyInclusions', () => {
  it('agrees with verifyInclusion claim by claim, on valid and damaged claims', () => {
    let cases = 0;
    for (let size = 1; size <= 130; size++) {
      const root = reference.mth(0, size);
      const sets = [[size - 1], [0, size - 1], [Math.max(0, size - 3), Math.max(0, size - 2), size - 1], [Math.floor(size / 2), Math.floor(size / 2), 0]]
        .map((indexes) => indexes.map((index) => claim(index, size)));
      for (const claims of sets) {
        expect(firstFailingTogether(size, root, claims)).toBe(-1);
        for (let target = 0; target < claims.length; target++) {
          const victim = claims[target]!;
          const damaged: InclusionClaim[] = [
            { ...victim, leafHash: flip(victim.leafHash) },
            ...victim.proof.map((_, i) => ({ ...victim, proof: victim.proof.map((h, j) => (j === i ? flip(h) : h)) })),
            { ...victim, proof: victim.proof.slice(1) },
            { ...victim, proof: [...victim.proof, victim.leafHash] },
            { ...victim, index: (victim.index + 1) % size },
          ];
          for (const bad of damaged) {
            const mixed = claims.map((c, i) => (i === target ? bad : c));
            expect(firstFailingTogether(size, root, mixed), `size ${size}, claim ${target}`).toBe(firstFailingAlone(size, root, mixed));
            cases += 1;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(10_000);
  });

  it('hashes the nodes shared by neighbouring leaves once', () => {
    let calls = 0;
    const counting = { ...nobleHasher, hashChildren: (l: Hash, r: Hash) => ((calls += 1), nobleHasher.hashChildren(l, r)) };
    const size = 130;
    const claims = [127, 128, 129].map((index) => claim(index, size));
    verifyInclusions(counting, size, reference.mth(0, size), claims);
    const separately = claims.reduce((sum, c) => sum + c.proof.length, 0);
    expect(calls).toBeLessThan(separately);
  });
});
