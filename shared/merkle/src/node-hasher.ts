// Node-only entry point (`@fareledger/merkle/node-hasher`): kept apart so that the main
// entry never imports Node and stays loadable in a browser verifier.
import { createHash } from 'node:crypto';
import { sha256PrefixedEach, sha256PrefixedInto } from '@fareledger/sha256-batch';
import { assertChildHashes, assertPairs, HASH_BYTES, type Hash, type Hasher } from './hasher.js';

const leafPrefix = 0x00;
const nodePrefix = 0x01;
const emptyRoot = new Uint8Array(createHash('sha256').digest());

/** ends[i] = 64·(i + 1): node pairs are 64-byte messages. Grown on demand, shared by calls. */
let pairEnds = new Uint32Array(0);

function pairEndsFor(count: number): Uint32Array {
  if (count > pairEnds.length) {
    pairEnds = Uint32Array.from({ length: Math.max(count, 2 * pairEnds.length, 1024) }, (_, i) => 2 * HASH_BYTES * (i + 1));
  }
  return pairEnds.subarray(0, count);
}

const onePair = new Uint8Array(2 * HASH_BYTES);

/**
 * RFC 6962 hasher on Node's OpenSSL SHA-256 through @fareledger/sha256-batch: a whole
 * block's leaves, and each level of its new nodes, in one native call. node:crypto's
 * hash() costs about 2 µs a call on the 2-core dev machine, ten times the SHA-256 of a
 * ledger entry; see bench/merkle.ts for the figures side by side.
 */
export const nodeHasher: Hasher = {
  hashLeaf: (leaf: Uint8Array): Hash => sha256PrefixedEach(leafPrefix, [leaf]),
  hashChildren(left: Hash, right: Hash): Hash {
    assertChildHashes(left, right);
    onePair.set(left, 0);
    onePair.set(right, HASH_BYTES);
    return hashChildPairs(onePair);
  },
  emptyRoot: () => emptyRoot.slice(),
  hashLeaves: (leaves: readonly Uint8Array[]): Uint8Array => sha256PrefixedEach(leafPrefix, leaves),
  hashChildPairs,
};

function hashChildPairs(pairs: Uint8Array): Uint8Array {
  assertPairs(pairs);
  const count = pairs.length / (2 * HASH_BYTES);
  const out = new Uint8Array(HASH_BYTES * count);
  sha256PrefixedInto(nodePrefix, pairs, pairEndsFor(count), out);
  return out;
}
