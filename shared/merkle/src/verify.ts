import { assertIndex, isOdd, isPowerOfTwo } from './bits.js';
import { VerificationError } from './errors.js';
import { HASH_BYTES, type Hash, type Hasher } from './hasher.js';

function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

function assertHashLengths(hashes: readonly Uint8Array[], what: string): void {
  for (const hash of hashes) {
    if (hash.length !== HASH_BYTES) {
      throw new VerificationError('hash-length', `${what} has a ${hash.length}-byte hash, want ${HASH_BYTES}`);
    }
  }
}

/**
 * The (fn, sn) pair of RFC 9162's verification loops: the proven node's and the last
 * node's positions, shifted right together as the path climbs the tree.
 */
class PathCursor {
  constructor(
    public fn: number,
    public sn: number,
  ) {}

  /** Whether the proof hash at this step is the left sibling (hashed in first). */
  get siblingIsLeft(): boolean {
    return isOdd(this.fn) || this.fn === this.sn;
  }

  shift(): void {
    this.fn = Math.floor(this.fn / 2);
    this.sn = Math.floor(this.sn / 2);
  }

  /** Climbs past levels where the node is a right-edge left child with no sibling. */
  shiftUntilOddOrZero(): void {
    while (!isOdd(this.fn) && this.fn !== 0) this.shift();
  }
}

/** Checks an inclusion proof's arguments (VerificationError when no proof can be for them) and starts its walk. */
function inclusionCursor(index: number, size: number, leafHash: Hash, proof: readonly Hash[]): PathCursor {
  assertIndex(index, 'index');
  assertIndex(size, 'size');
  if (index >= size) throw new VerificationError('index-out-of-range', `leaf index ${index} is not in a tree of size ${size}`);
  assertHashLengths([leafHash], 'leaf hash');
  assertHashLengths(proof, 'inclusion proof');
  return new PathCursor(index, size - 1);
}

/**
 * The root an inclusion proof leads to, by RFC 9162 §2.1.3.2. Throws VerificationError
 * when the proof cannot be a proof for (index, size) at all (wrong length, index out of
 * range); the caller compares the returned root.
 */
export function rootFromInclusionProof(
  hasher: Hasher,
  index: number,
  size: number,
  leafHash: Hash,
  proof: readonly Hash[],
): Hash {
  const at = inclusionCursor(index, size, leafHash, proof);
  let root = leafHash;
  for (const sibling of proof) {
    if (at.sn === 0) throw new VerificationError('proof-length', `inclusion proof is longer than a tree of size ${size} needs`);
    if (at.siblingIsLeft) {
      root = hasher.hashChildren(sibling, root);
      at.shiftUntilOddOrZero();
    } else {
      root = hasher.hashChildren(root, sibling);
    }
    at.shift();
  }
  if (at.sn !== 0) throw new VerificationError('proof-length', `inclusion proof is shorter than a tree of size ${size} needs`);
  return root;
}

/** Checks that leafHash is leaf `index` of the tree of `size` with this root. */
export function verifyInclusion(
  hasher: Hasher,
  index: number,
  size: number,
  leafHash: Hash,
  proof: readonly Hash[],
  root: Hash,
): void {
  assertHashLengths([root], 'root');
  const computed = rootFromInclusionProof(hasher, index, size, leafHash, proof);
  if (!equalHashes(computed, root)) {
    throw new VerificationError('root-mismatch', `inclusion proof of leaf ${index} leads to another root than tree size ${size}'s`);
  }
}

/** One leaf's inclusion proof, for verifyInclusions. */
export interface InclusionClaim {
  readonly index: number;
  readonly leafHash: Hash;
  readonly proof: readonly Hash[];
}

/**
 * verifyInclusion of several leaves of one tree at once, hashing the nodes their paths
 * share once: the proofs of neighbouring leaves (a trip and its taps) meet a few levels
 * up and are the same nodes from there to the root. A claim whose path reaches a node an
 * earlier claim proved (same level and index) is proven there, if its node there is that
 * node and the rest of its proof is the earlier claim's rest; otherwise it fails, as it
 * would alone (a tree has one node at a place). So it accepts exactly the claims that
 * verifyInclusion accepts one by one; VerificationError.claim names the first that fails.
 */
export function verifyInclusions(hasher: Hasher, size: number, root: Hash, claims: readonly InclusionClaim[]): void {
  assertHashLengths([root], 'root');
  // Nodes of the paths walked, by place: the node, and the proof and step that go on from
  // it. A claim's nodes go in as it is walked: a later claim meets them only once the
  // claim is proven (claims are walked one after the other, and a failure ends the call).
  const proven = new Map<number, ProvenNode>();
  claims.forEach((claim, c) => {
    try {
      if (!verifyClaim(hasher, size, root, claim, proven)) {
        throw new VerificationError('root-mismatch', `inclusion proof of leaf ${claim.index} leads to another root than tree size ${size}'s`);
      }
    } catch (error) {
      if (error instanceof VerificationError) error.claim = c;
      throw error;
    }
  });
}

interface ProvenNode {
  readonly node: Hash;
  readonly proof: readonly Hash[];
  readonly step: number;
}

function verifyClaim(hasher: Hasher, size: number, root: Hash, { index, leafHash, proof }: InclusionClaim, proven: Map<number, ProvenNode>): boolean {
  const at = inclusionCursor(index, size, leafHash, proof);
  let level = 0;
  let node = leafHash;
  for (let step = 0; step < proof.length; step++) {
    // A node's place as one number (a string key cost more than the lookups it saves):
    // index · 64 + level, exact while the index is below 2^47.
    const key = at.fn * 64 + level;
    const met = proven.get(key);
    if (met !== undefined) return equalHashes(met.node, node) && sameRest(proof, step, met.proof, met.step);
    proven.set(key, { node, proof, step });
    if (at.sn === 0) throw new VerificationError('proof-length', `inclusion proof is longer than a tree of size ${size} needs`);
    const sibling = proof[step] as Hash;
    if (at.siblingIsLeft) {
      node = hasher.hashChildren(sibling, node);
      while (!isOdd(at.fn) && at.fn !== 0) {
        at.shift();
        level += 1;
      }
    } else {
      node = hasher.hashChildren(node, sibling);
    }
    at.shift();
    level += 1;
  }
  if (at.sn !== 0) throw new VerificationError('proof-length', `inclusion proof is shorter than a tree of size ${size} needs`);
  return equalHashes(node, root);
}

/** Whether a[from..] and b[bFrom..] are the same hashes. */
function sameRest(a: readonly Hash[], from: number, b: readonly Hash[], bFrom: number): boolean {
  if (a.length - from !== b.length - bFrom) return false;
  for (let i = 0; from + i < a.length; i++) if (!equalHashes(a[from + i] as Hash, b[bFrom + i] as Hash)) return false;
  return true;
}

/**
 * Checks that the tree of size2 with root2 extends the tree of size1 with root1, by
 * RFC 9162 §2.1.4.2: both roots are rebuilt from the proof.
 */
export function verifyConsistency(
  hasher: Hasher,
  size1: number,
  size2: number,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): void {
  assertIndex(size1, 'size1');
  assertIndex(size2, 'size2');
  if (size1 > size2) throw new VerificationError('size-order', `tree size ${size1} is larger than ${size2}`);
  assertHashLengths(proof, 'consistency proof');
  if (size1 === size2) {
    if (proof.length !== 0) throw new VerificationError('proof-length', 'a consistency proof between equal sizes must be empty');
    assertHashLengths([root1, root2], 'root');
    if (!equalHashes(root1, root2)) throw new VerificationError('root-mismatch', `two different roots for tree size ${size1}`);
    return;
  }
  if (size1 === 0) {
    if (proof.length !== 0) throw new VerificationError('proof-length', 'a consistency proof from the empty tree must be empty');
    return;
  }
  assertHashLengths([root1, root2], 'root');
  if (proof.length === 0) throw new VerificationError('proof-length', `empty consistency proof from size ${size1} to ${size2}`);

  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  const at = new PathCursor(size1 - 1, size2 - 1);
  while (isOdd(at.fn)) at.shift();
  let fr = path[0] as Hash;
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Hash;
    if (at.sn === 0) throw new VerificationError('proof-length', `consistency proof from ${size1} to ${size2} is too long`);
    if (at.siblingIsLeft) {
      fr = hasher.hashChildren(c, fr);
      sr = hasher.hashChildren(c, sr);
      at.shiftUntilOddOrZero();
    } else {
      sr = hasher.hashChildren(sr, c);
    }
    at.shift();
  }
  if (at.sn !== 0) throw new VerificationError('proof-length', `consistency proof from ${size1} to ${size2} is too short`);
  if (!equalHashes(fr, root1)) throw new VerificationError('root-mismatch', `consistency proof does not lead to the root of tree size ${size1}`);
  if (!equalHashes(sr, root2)) throw new VerificationError('root-mismatch', `consistency proof does not lead to the root of tree size ${size2}`);
}
