import { assertIndex, isOdd, pow2, shiftRight, trailingZeros } from './bits.js';
import { ProofRequestError } from './errors.js';
import type { Hash, Hasher } from './hasher.js';
import { rangeNodes, type NodeId } from './node-id.js';

/**
 * Supplies stored hashes of perfect subtrees. A proof needs O(log n) of them; an
 * implementation should fetch them in as few reads as its layout allows (see tiles.ts).
 * Throws MissingHashError for a node it does not have.
 */
export interface HashReader {
  readHashes(ids: readonly NodeId[]): Hash[];
}

/**
 * The stored nodes a proof is made of, in proof order. The nodes in
 * [ephemeralBegin, ephemeralEnd) together cover the right edge of the tree, which is not
 * a perfect subtree and so is not stored: its hash is those nodes' hashes folded from
 * the right (see collapseProof). Proof generation is thus pure: which nodes to read is
 * decided here, reading them is the storage's business.
 */
export interface ProofNodes {
  readonly ids: readonly NodeId[];
  readonly ephemeralBegin: number;
  readonly ephemeralEnd: number;
}

/**
 * Nodes of the audit path of perfect node (level, index) up to the root of a tree of
 * `size` leaves. Walking up, a sibling is a stored node for as long as the parent is a
 * perfect subtree inside the tree; at the first parent that is not ("the fork"), the
 * right sibling, if any, is the ephemeral right edge [end, size), and everything above
 * is a left sibling: the perfect subtrees covering [0, begin), smallest first.
 */
function pathNodes(level: number, index: number, size: number): ProofNodes {
  const ids: NodeId[] = [];
  let nodeLevel = level;
  let nodeIndex = index;
  while ((shiftRight(nodeIndex, 1) + 1) * pow2(nodeLevel + 1) <= size) {
    ids.push({ level: nodeLevel, index: isOdd(nodeIndex) ? nodeIndex - 1 : nodeIndex + 1 });
    nodeLevel += 1;
    nodeIndex = shiftRight(nodeIndex, 1);
  }
  const begin = nodeIndex * pow2(nodeLevel);
  const end = begin + pow2(nodeLevel);
  const ephemeralBegin = ids.length;
  if (end < size) ids.push(...rangeNodes(end, size));
  const ephemeralEnd = ids.length;
  ids.push(...rangeNodes(0, begin).reverse());
  return { ids, ephemeralBegin, ephemeralEnd };
}

/** Nodes of the RFC 9162 §2.1.3 inclusion proof of leaf `index` in a tree of `size`. */
export function inclusionProofNodes(index: number, size: number): ProofNodes {
  assertIndex(index, 'index');
  assertIndex(size, 'size');
  if (index >= size) throw new ProofRequestError(`leaf index ${index} is not in a tree of size ${size}`);
  return pathNodes(0, index, size);
}

/** Nodes of the RFC 9162 §2.1.4 consistency proof from tree size1 to tree size2. */
export function consistencyProofNodes(size1: number, size2: number): ProofNodes {
  assertIndex(size1, 'size1');
  assertIndex(size2, 'size2');
  if (size1 > size2) throw new ProofRequestError(`tree size ${size1} is larger than ${size2}`);
  if (size1 === 0 || size1 === size2) return { ids: [], ephemeralBegin: 0, ephemeralEnd: 0 };
  // The largest perfect subtree ending at size1, then its audit path in tree size2. When
  // size1 is a power of two that subtree is the old root, which the verifier already
  // holds, so it is left out.
  const level = trailingZeros(size1);
  const index = shiftRight(size1 - 1, level);
  const path = pathNodes(level, index, size2);
  const seed: NodeId = { level, index };
  if (index === 0) return path;
  return {
    ids: [seed, ...path.ids],
    ephemeralBegin: path.ephemeralBegin + 1,
    ephemeralEnd: path.ephemeralEnd + 1,
  };
}

/** Turns the stored hashes of `nodes` (same order) into the proof, hashing the right edge. */
export function collapseProof(hasher: Hasher, nodes: ProofNodes, hashes: readonly Hash[]): Hash[] {
  if (hashes.length !== nodes.ids.length) {
    throw new TypeError(`expected ${nodes.ids.length} hashes for the proof nodes, got ${hashes.length}`);
  }
  const { ephemeralBegin, ephemeralEnd } = nodes;
  if (ephemeralEnd - ephemeralBegin <= 1) return hashes.slice();
  let edge = hashes[ephemeralEnd - 1] as Hash;
  for (let i = ephemeralEnd - 2; i >= ephemeralBegin; i--) {
    edge = hasher.hashChildren(hashes[i] as Hash, edge);
  }
  return [...hashes.slice(0, ephemeralBegin), edge, ...hashes.slice(ephemeralEnd)];
}

/** Inclusion proof of leaf `index` in tree `size`, read from stored hashes. */
export function inclusionProof(reader: HashReader, hasher: Hasher, index: number, size: number): Hash[] {
  const nodes = inclusionProofNodes(index, size);
  return collapseProof(hasher, nodes, reader.readHashes(nodes.ids));
}

/** Consistency proof from tree size1 to tree size2, read from stored hashes. */
export function consistencyProof(reader: HashReader, hasher: Hasher, size1: number, size2: number): Hash[] {
  const nodes = consistencyProofNodes(size1, size2);
  return collapseProof(hasher, nodes, reader.readHashes(nodes.ids));
}

/** Root of the tree's first `size` leaves, from stored hashes: one read of ≤ log2(n) nodes. */
export function rootAt(reader: HashReader, hasher: Hasher, size: number): Hash {
  if (size === 0) return hasher.emptyRoot();
  const hashes = reader.readHashes(rangeNodes(0, size));
  return foldFromRight(hasher, hashes);
}

/** The RFC 6962 root over a compact range's hashes: H(h0, H(h1, H(h2, ...))). */
export function foldFromRight(hasher: Hasher, hashes: readonly Hash[]): Hash {
  let root = hashes[hashes.length - 1];
  if (root === undefined) return hasher.emptyRoot();
  for (let i = hashes.length - 2; i >= 0; i--) root = hasher.hashChildren(hashes[i] as Hash, root);
  return root;
}
