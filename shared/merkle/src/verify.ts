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
  assertIndex(index, 'index');
  assertIndex(size, 'size');
  if (index >= size) throw new VerificationError('index-out-of-range', `leaf index ${index} is not in a tree of size ${size}`);
  assertHashLengths([leafHash], 'leaf hash');
  assertHashLengths(proof, 'inclusion proof');
  const at = new PathCursor(index, size - 1);
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
