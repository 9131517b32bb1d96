// Merkle log benchmark: appends, proofs and verifications against the raw SHA-256 limit
// of this machine, measured in the same run. `npm run bench:merkle [-- --leaves N]`.
//
// The raw limit is what the hashing alone allows: an appended leaf costs one leaf hash
// (H(0x00 || entry)) and, amortised, one node hash (H(0x01 || l || r)), so the limit in
// leaves/s is 1 / (t_leaf + t_node) with the same SHA-256 the log uses. The goal is
// appends >= 0.75 x that limit.
//
// Three SHA-256s side by side: nodeHasher's (Node's OpenSSL through the batch addon,
// @fareledger/sha256-batch: a batch of leaves or of one level's nodes per call),
// node:crypto's hash() one call a hash (what nodeHasher was before), and @noble/hashes
// (nobleHasher, the browser verifier's).
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  MemoryTileStore,
  rfc6962Hasher,
  rootAt,
  TileHashReader,
  TileWriter,
  verifyConsistency,
  verifyInclusion,
  type Hasher,
  type Sha256,
} from '@fareledger/merkle';
import { nodeHasher } from '@fareledger/merkle/node-hasher';
import { endToEnd, sha256PrefixedInto } from '@fareledger/sha256-batch';
import { hash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const nodeCryptoSha256: Sha256 = (data) => hash('sha256', data, 'buffer');

const usage = `Usage: npm run bench:merkle [-- --leaves N] [--leaf-bytes B] [--batch N]
  --leaves      leaves appended per measured run (default 1000000)
  --leaf-bytes  bytes per leaf, about a trip entry (default 160)
  --batch       leaves per append call, as in a sealed block (default 4096)`;

function readOptions() {
  const { values } = parseArgs({
    options: {
      leaves: { type: 'string', default: '1000000' },
      'leaf-bytes': { type: 'string', default: '160' },
      batch: { type: 'string', default: '4096' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name: string, raw: string, min: number, max: number) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      console.error(`bench:merkle: --${name} must be an integer in ${min}..${max}, got '${raw}'\n${usage}`);
      process.exit(2);
    }
    return value;
  };
  return {
    leavesCount: int('leaves', values.leaves, 1_000, 50_000_000),
    leafBytes: int('leaf-bytes', values['leaf-bytes'], 1, 65_536),
    batchSize: int('batch', values.batch, 1, 1_000_000),
  };
}

/** Best of `runs` timings of fn(), in ns per operation. */
function measure(operations: number, fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const started = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / operations);
  }
  return best;
}

function makeLeaves(count: number, bytes: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const leaf = new Uint8Array(bytes);
    for (let b = 0; b < bytes; b++) leaf[b] = (i * 31 + b * 7) & 0xff;
    return leaf;
  });
}

/**
 * Bare SHA-256 over inputs built beforehand (0x00 || leaf, and one 65-byte node input):
 * no copying, no tree, only the hash calls an append cannot avoid.
 */
function rawLimitNsPerLeaf(sha256: Sha256, leaves: readonly Uint8Array[]): number {
  const leafInputs = leaves.map((leaf) => Uint8Array.of(0x00, ...leaf));
  const nodeInput = new Uint8Array(65).fill(7);
  nodeInput[0] = 0x01;
  return measure(leaves.length, () => {
    for (const input of leafInputs) {
      sha256(input);
      sha256(nodeInput);
    }
  });
}

/** The same for the batch addon: each batch's leaves, then as many node pairs, one call each, inputs laid out beforehand. */
function rawBatchLimitNsPerLeaf(leaves: readonly Uint8Array[], batchSize: number): number {
  const batches: { bytes: Uint8Array; ends: Uint32Array; pairs: Uint8Array; pairEnds: Uint32Array; out: Uint8Array }[] = [];
  for (let at = 0; at < leaves.length; at += batchSize) {
    const batch = leaves.slice(at, at + batchSize);
    const { bytes, ends } = endToEnd(batch);
    const pairs = new Uint8Array(64 * batch.length).fill(7);
    const pairEnds = Uint32Array.from({ length: batch.length }, (_, i) => 64 * (i + 1));
    batches.push({ bytes, ends, pairs, pairEnds, out: new Uint8Array(32 * batch.length) });
  }
  return measure(leaves.length, () => {
    for (const { bytes, ends, pairs, pairEnds, out } of batches) {
      sha256PrefixedInto(0x00, bytes, ends, out);
      sha256PrefixedInto(0x01, pairs, pairEnds, out);
    }
  });
}

function appendNsPerLeaf(hasher: Hasher, leaves: readonly Uint8Array[], batchSize: number, withTiles: boolean): number {
  return measure(leaves.length, () => {
    const range = new CompactRange(hasher);
    const writer = new TileWriter();
    const store = new MemoryTileStore();
    for (let at = 0; at < leaves.length; at += batchSize) {
      range.appendLeaves(leaves.slice(at, at + batchSize), withTiles ? writer.visit : undefined);
      range.root(); // a block seals with the new root
      if (withTiles) store.writeTiles(writer.flush());
    }
  });
}

const perSecond = (nsPerOp: number) => 1e9 / nsPerOp;
const format = (n: number) => Math.round(n).toLocaleString('en-US');

function benchHasher(name: string, hasher: Hasher, rawNs: number, leaves: readonly Uint8Array[], batchSize: number) {
  const appendNs = appendNsPerLeaf(hasher, leaves, batchSize, false);
  const appendTilesNs = appendNsPerLeaf(hasher, leaves, batchSize, true);

  // A stored log of all the leaves, then proofs and verifications at random positions.
  const range = new CompactRange(hasher);
  const writer = new TileWriter();
  const store = new MemoryTileStore();
  range.appendLeaves(leaves, writer.visit);
  store.writeTiles(writer.flush());
  const reader = new TileHashReader(store);
  const size = leaves.length;
  const probes = 10_000;
  const indices = Array.from({ length: probes }, (_, i) => (i * 7_919 + 13) % size);
  const sizes1 = Array.from({ length: probes }, (_, i) => 1 + ((i * 104_729) % (size - 1)));
  const root = range.root();
  const leafHashes = indices.map((index) => hasher.hashLeaf(leaves[index]!));
  const inclusionProofs = indices.map((index) => inclusionProof(reader, hasher, index, size));
  const consistencyProofs = sizes1.map((size1) => consistencyProof(reader, hasher, size1, size));
  const roots1 = sizes1.map((size1) => rootAt(reader, hasher, size1));

  const inclusionNs = measure(probes, () => indices.forEach((index) => inclusionProof(reader, hasher, index, size)));
  const consistencyNs = measure(probes, () => sizes1.forEach((size1) => consistencyProof(reader, hasher, size1, size)));
  const verifyInclusionNs = measure(probes, () =>
    indices.forEach((index, i) => verifyInclusion(hasher, index, size, leafHashes[i]!, inclusionProofs[i]!, root)),
  );
  const verifyConsistencyNs = measure(probes, () =>
    sizes1.forEach((size1, i) => verifyConsistency(hasher, size1, size, consistencyProofs[i]!, roots1[i]!, root)),
  );
  const proofHashes = inclusionProofs.reduce((sum, proof) => sum + proof.length, 0) / probes;

  return [
    [`${name}: raw SHA-256 limit (leaf + node hash)`, perSecond(rawNs), 'leaves/s', ''],
    [`${name}: log append (compact range + root per batch)`, perSecond(appendNs), 'leaves/s', (rawNs / appendNs).toFixed(2)],
    [`${name}: log append + tiles (what a seal does)`, perSecond(appendTilesNs), 'leaves/s', (rawNs / appendTilesNs).toFixed(2)],
    [`${name}: inclusion proofs from tiles`, perSecond(inclusionNs), 'proofs/s', ''],
    [`${name}: consistency proofs from tiles`, perSecond(consistencyNs), 'proofs/s', ''],
    [`${name}: inclusion verifications (${proofHashes.toFixed(1)} hashes)`, perSecond(verifyInclusionNs), 'verif./s', ''],
    [`${name}: consistency verifications`, perSecond(verifyConsistencyNs), 'verif./s', ''],
  ] as const;
}

function main(): void {
  const { leavesCount, leafBytes, batchSize } = readOptions();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`bench:merkle — Node ${process.version}, ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log(`${format(leavesCount)} leaves of ${leafBytes} bytes, appended in batches of ${format(batchSize)}; best of 3 runs\n`);
  const leaves = makeLeaves(leavesCount, leafBytes);
  const fewer = leaves.slice(0, Math.min(leavesCount, 200_000));
  const rows = [
    ...benchHasher('native batch', nodeHasher, rawBatchLimitNsPerLeaf(leaves, batchSize), leaves, batchSize),
    ...benchHasher('node:crypto', rfc6962Hasher(nodeCryptoSha256), rawLimitNsPerLeaf(nodeCryptoSha256, fewer), fewer, batchSize),
    ...benchHasher('@noble/hashes', rfc6962Hasher(nobleSha256), rawLimitNsPerLeaf(nobleSha256, fewer), fewer, batchSize),
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  console.log(`${'figure'.padEnd(width)}  ${'rate'.padStart(12)}  unit       ratio to raw`);
  for (const [label, rate, unit, ratio] of rows) {
    console.log(`${label.padEnd(width)}  ${format(rate).padStart(12)}  ${unit.padEnd(9)}  ${ratio}`);
  }
  const appendRatio = Number(rows[2]?.[3]);
  console.log(`\ngoal: appends with tiles on the native batch hasher >= 0.75 x raw limit: ${appendRatio.toFixed(2)}, ${appendRatio >= 0.75 ? 'met' : 'NOT met'}`);
}

main();
