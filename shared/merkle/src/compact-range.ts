import { assertIndex, bitLength, isOdd, shiftRight } from './bits.js';
import { HASH_BYTES, type Hash, type Hasher } from './hasher.js';
import { rangeNodes, type NodeId } from './node-id.js';
import { foldFromRight } from './proof.js';

/**
 * Shown the perfect subtrees an append completes, leaves included: `hashes` holds the
 * hashes of the consecutive nodes [firstIndex, firstIndex + hashes.length / 32) of `level`.
 * appendLeafHash shows them one node at a time, in order; appendLeaves one run per level,
 * lowest level first. The hashes are views valid during the call: copy what is kept.
 */
export type NodeVisitor = (level: number, firstIndex: number, hashes: Uint8Array) => void;

function popCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/**
 * The append-only state of an RFC 6962 log of `size` leaves: the hashes of the perfect
 * subtrees covering [0, size), one per set bit of size, largest first. Appending a leaf
 * costs its leaf hash plus one node hash per subtree it completes (one on average), so
 * a batch of n leaves costs about 2n hashes plus log2(size) for the new root.
 */
export class CompactRange {
  readonly #hasher: Hasher;
  readonly #hashes: Hash[];
  #size: number;

  /** Restores a range from the hashes of compactRangeIds(size), e.g. read back from storage. */
  constructor(hasher: Hasher, size = 0, hashes: readonly Hash[] = []) {
    assertIndex(size, 'size');
    if (hashes.length !== popCount(size)) {
      throw new RangeError(`a compact range of size ${size} has ${popCount(size)} hashes, got ${hashes.length}`);
    }
    this.#hasher = hasher;
    this.#hashes = hashes.slice();
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  /** The hashes of compactRangeIds(size), largest subtree first. */
  hashes(): Hash[] {
    return this.#hashes.slice();
  }

  appendLeafHash(leafHash: Hash, visit?: NodeVisitor): void {
    let hash = leafHash;
    let index = this.#size;
    let level = 0;
    visit?.(level, index, hash);
    // A right child completes its parent: merge with the left sibling on the stack.
    while (isOdd(index)) {
      const left = this.#hashes.pop();
      if (left === undefined) throw new Error('compact range invariant broken: no left sibling to merge');
      hash = this.#hasher.hashChildren(left, hash);
      index = (index - 1) / 2;
      level += 1;
      visit?.(level, index, hash);
    }
    this.#hashes.push(hash);
    this.#size += 1;
  }

  /**
   * Appends the leaves (raw entry bytes) in order. The new nodes are computed a level at
   * a time, each level in one hasher call (hashLeaves, then hashChildPairs): the new nodes
   * of a level depend only on the level below, so a native hasher pays its call cost about
   * log2(n) times a batch instead of 2n times. `visit` is shown each level's new nodes as
   * one run.
   */
  appendLeaves(leaves: readonly Uint8Array[], visit?: NodeVisitor): void {
    if (leaves.length === 0) return;
    const sizeBefore = this.#size;
    const sizeAfter = sizeBefore + leaves.length;
    assertIndex(sizeAfter, 'size');
    const levels = this.#newNodeHashes(sizeBefore, sizeAfter, this.#hasher.hashLeaves(leaves));
    if (visit !== undefined) levels.forEach((hashes, level) => visit(level, shiftRight(sizeBefore, level), hashes));
    // The new range: per set bit of sizeAfter, largest first, its subtree's root, new in
    // this batch or else the same subtree the old range held for that bit.
    const hashes: Hash[] = [];
    for (let level = bitLength(sizeAfter) - 1; level >= 0; level--) {
      const end = shiftRight(sizeAfter, level);
      if (!isOdd(end)) continue;
      const first = shiftRight(sizeBefore, level);
      if (end - 1 >= first) hashes.push(levels[level]!.slice((end - 1 - first) * HASH_BYTES, (end - first) * HASH_BYTES));
      else hashes.push(this.#storedSubtree(sizeBefore, level));
    }
    this.#hashes.splice(0, this.#hashes.length, ...hashes);
    this.#size = sizeAfter;
  }

  /** The range's subtree of `level` (bit `level` of its size is set): after the larger ones. */
  #storedSubtree(size: number, level: number): Hash {
    return this.#hashes[popCount(shiftRight(size, level + 1))]!;
  }

  /**
   * The hashes of every node an append from sizeBefore to sizeAfter leaves completes,
   * by level: levels[h] holds nodes [sizeBefore >> h, sizeAfter >> h) of level h, 32 bytes
   * each. A node's children are both new, except the first node's left child when
   * sizeBefore >> h is odd: that one is the range's stored subtree of level h.
   */
  #newNodeHashes(sizeBefore: number, sizeAfter: number, leafHashes: Uint8Array): Uint8Array[] {
    const levels = [leafHashes];
    for (let level = 0; ; level++) {
      const first = shiftRight(sizeBefore, level);
      const parentFirst = shiftRight(sizeBefore, level + 1);
      const parentEnd = shiftRight(sizeAfter, level + 1);
      if (parentFirst >= parentEnd) return levels;
      const below = levels[level]!;
      const pairsEnd = (2 * parentEnd - first) * HASH_BYTES;
      let pairs: Uint8Array;
      if (isOdd(first)) {
        // The first parent's left child is old: the range's subtree of this level.
        const storedLeft = this.#storedSubtree(sizeBefore, level);
        pairs = new Uint8Array(HASH_BYTES + pairsEnd);
        pairs.set(storedLeft, 0);
        pairs.set(below.subarray(0, pairsEnd), HASH_BYTES);
      } else {
        pairs = below.subarray(0, pairsEnd);
      }
      levels.push(this.#hasher.hashChildPairs(pairs));
    }
  }

  root(): Hash {
    return foldFromRight(this.#hasher, this.#hashes);
  }

  clone(): CompactRange {
    return new CompactRange(this.#hasher, this.#size, this.#hashes);
  }
}

/** The nodes whose hashes make up the compact range of a tree of `size` leaves. */
export function compactRangeIds(size: number): NodeId[] {
  return rangeNodes(0, size);
}

/** Height of the tree of `size` leaves: the number of levels above the leaves. */
export function treeHeight(size: number): number {
  return size <= 1 ? 0 : bitLength(size - 1);
}
