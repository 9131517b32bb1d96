import { assertIndex, bitLength, isOdd } from './bits.js';
import type { Hash, Hasher } from './hasher.js';
import { rangeNodes, type NodeId } from './node-id.js';
import { foldFromRight } from './proof.js';

/** Called for every perfect subtree an append completes, leaves included, in order. */
export type NodeVisitor = (level: number, index: number, hash: Hash) => void;

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

  /** Appends the leaves (raw entry bytes) in order. */
  appendLeaves(leaves: readonly Uint8Array[], visit?: NodeVisitor): void {
    for (const leaf of leaves) this.appendLeafHash(this.#hasher.hashLeaf(leaf), visit);
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
