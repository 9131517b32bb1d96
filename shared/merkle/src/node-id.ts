import { assertIndex, bitLength, pow2, trailingZeros } from './bits.js';

/**
 * A node of the tree: a perfect subtree of 2^level leaves starting at leaf
 * index * 2^level. Level 0 nodes are the leaves.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

export function nodeId(level: number, index: number): NodeId {
  return { level, index };
}

/** The leaf range [begin, end) a node covers. */
export function coverage(node: NodeId): { begin: number; end: number } {
  const width = pow2(node.level);
  return { begin: node.index * width, end: (node.index + 1) * width };
}

/**
 * The perfect subtrees that exactly cover leaves [begin, end), left to right: the
 * "compact range" of RFC 9162 terms. For [0, n) there is one node per set bit of n,
 * largest first, and the RFC 6962 root of n leaves is these hashes folded from the right.
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  assertIndex(begin, 'begin');
  assertIndex(end, 'end');
  if (begin > end) throw new RangeError(`range begin ${begin} > end ${end}`);
  const nodes: NodeId[] = [];
  let at = begin;
  while (at < end) {
    const fits = bitLength(end - at) - 1;
    const level = at === 0 ? fits : Math.min(trailingZeros(at), fits);
    nodes.push({ level, index: at / pow2(level) });
    at += pow2(level);
  }
  return nodes;
}
