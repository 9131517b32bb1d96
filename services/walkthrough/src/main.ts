// npm start (for now): the ledger core end to end, in memory. See ../README.md.
import {
  checkpointHash,
  checkpointOrigin,
  formatVerifierKey,
  generateSignerKey,
  genesisPrevBase64,
  openCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  verifierKeyOf,
  type SignerKey,
} from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { decodeEntry, encodeEntry } from '@fareledger/codecs';
import { adjustmentEntry, examples, formatFen, tapEntry, tripEntry, type Entry } from '@fareledger/domain';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  MemoryTileStore,
  TileHashReader,
  TileWriter,
  VerificationError,
  verifyConsistency,
  verifyInclusion,
} from '@fareledger/merkle';
import { nodeHasher as hasher } from '@fareledger/merkle/node-hasher';

const usage = `Usage: npm start [-- --help]

Seals two blocks of example fare entries (metro, bus and taxi taps, priced trips, a refund)
into chain 0's RFC 6962 log as Ed25519-signed C2SP checkpoints, then verifies the metro
trip's inclusion proof and the checkpoints' consistency with only the public verifier key.
Everything is in memory with a signing key made for this run. Exit status: 0 all checks
hold, 1 a check failed, 2 usage error.`;

const logName = 'fareledger.example';
const chain = 0;
const origin = checkpointOrigin(logName, chain);
const fareTableVersion = examples.metroTrip.fareTableVersion;

interface SealedBlock {
  readonly signedCheckpoint: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
}

/** The chain's log: entries appended, tiles stored, blocks sealed as signed checkpoints. */
class Chain {
  readonly range = new CompactRange(hasher);
  readonly store = new MemoryTileStore();
  readonly reader = new TileHashReader(this.store);
  readonly leaves: Uint8Array[] = [];
  readonly #writer = new TileWriter();
  readonly #blocks: SealedBlock[] = [];

  constructor(private readonly signer: SignerKey) {}

  seal(entries: readonly Entry[], kafkaOffsetFirst: number, sealedAtMs: number): SealedBlock {
    const leaves = entries.map(encodeEntry);
    this.range.appendLeaves(leaves, this.#writer.visit);
    this.store.writeTiles(this.#writer.flush());
    this.leaves.push(...leaves);
    const previous = this.#blocks.at(-1);
    const treeSize = this.range.size;
    const rootHash = this.range.root();
    const signedCheckpoint = signCheckpoint(
      {
        origin,
        treeSize,
        rootHash,
        fareledger: {
          blockHeight: this.#blocks.length,
          prevCheckpointHash: previous === undefined ? Buffer.from(genesisPrevBase64, 'base64') : checkpointHash(previous.signedCheckpoint),
          kafkaOffsetFirst,
          kafkaOffsetNext: kafkaOffsetFirst + entries.length,
          fareTableVersion,
          sealedAtMs,
        },
      },
      [this.signer],
      { ed25519: ed25519Node },
    );
    const block = { signedCheckpoint, treeSize, rootHash };
    this.#blocks.push(block);
    return block;
  }
}

/** What a passenger's wallet holds for one trip: entry bytes, proof and checkpoint. */
interface ProofBundle {
  readonly leaf: string;
  readonly logIndex: number;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly hashes: string[];
  readonly checkpoint: string;
}

function proofBundle(chainLog: Chain, logIndex: number, block: SealedBlock): ProofBundle {
  return {
    leaf: Buffer.from(chainLog.leaves[logIndex]!).toString('base64'),
    logIndex,
    treeSize: block.treeSize,
    rootHash: Buffer.from(block.rootHash).toString('hex'),
    hashes: inclusionProof(chainLog.reader, hasher, logIndex, block.treeSize).map((h) => Buffer.from(h).toString('hex')),
    checkpoint: block.signedCheckpoint,
  };
}

/** A signed checkpoint of this chain, opened with nothing but the verifier key string. */
function openWithKey(signedCheckpoint: string, verifierKey: string) {
  return openCheckpoint(signedCheckpoint, { verifiers: [parseVerifierKey(verifierKey)], origin, ed25519: ed25519Node }).checkpoint;
}

/** The offline verifier: trusts only the verifier key string. Throws on any failure. */
function verifyBundle(bundle: ProofBundle, verifierKey: string): Entry {
  const checkpoint = openWithKey(bundle.checkpoint, verifierKey);
  if (checkpoint.treeSize !== bundle.treeSize) throw new VerificationError('size-order', 'bundle and checkpoint disagree on the tree size');
  if (Buffer.from(checkpoint.rootHash).toString('hex') !== bundle.rootHash) {
    throw new VerificationError('root-mismatch', 'bundle and checkpoint disagree on the root hash');
  }
  const leaf = Buffer.from(bundle.leaf, 'base64');
  const proof = bundle.hashes.map((h) => Buffer.from(h, 'hex'));
  verifyInclusion(hasher, bundle.logIndex, checkpoint.treeSize, hasher.hashLeaf(leaf), proof, checkpoint.rootHash);
  return decodeEntry(leaf);
}

function check(label: string, run: () => string): boolean {
  try {
    console.log(`  ok    ${label}: ${run()}`);
    return true;
  } catch (error) {
    console.log(`  FAIL  ${label}: ${(error as Error).message}`);
    return false;
  }
}

function expectRejected(label: string, run: () => unknown): boolean {
  try {
    run();
  } catch (error) {
    console.log(`  ok    ${label}: rejected (${(error as Error).message})`);
    return true;
  }
  console.log(`  FAIL  ${label}: accepted`);
  return false;
}

function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  if (argv.length > 0) {
    console.error(`walkthrough: unknown arguments ${argv.join(' ')}\n\n${usage}`);
    return 2;
  }
  const signer = generateSignerKey(origin, { ed25519: ed25519Node });
  const verifierKey = formatVerifierKey(verifierKeyOf(signer));
  const chainLog = new Chain(signer);
  const { metroTapIn, metroTapOut, metroTrip, busTap, busTrip, taxiTap, taxiTrip, refund } = examples;

  console.log(`Fareledger ledger core walkthrough: chain ${chain} of ${logName}, in memory\n`);
  console.log(`Verifier key (generated for this run; all a passenger needs):\n  ${verifierKey}\n`);
  const block0 = chainLog.seal([tapEntry(metroTapIn), tapEntry(metroTapOut), tripEntry(metroTrip)], 0, metroTapOut.receivedAtMs + 250);
  const block1 = chainLog.seal(
    [tapEntry(busTap), tripEntry(busTrip), tapEntry(taxiTap), tripEntry(taxiTrip), adjustmentEntry(refund)],
    3,
    refund.createdAtMs + 250,
  );
  console.log(`Block 0 sealed, 3 entries (two metro taps, the priced trip):\n${indent(block0.signedCheckpoint)}`);
  console.log(`Block 1 sealed, 5 entries (bus, taxi, a refund):\n${indent(block1.signedCheckpoint)}`);

  const tripIndex = 2;
  const bundle = proofBundle(chainLog, tripIndex, block1);
  console.log('Proof bundle of the metro trip (what its e-invoice carries):');
  console.log(indent(JSON.stringify({ ...bundle, checkpoint: '(block 1 above)' }, null, 2)));

  console.log('Offline checks, with only the verifier key:');
  const results = [
    check('metro trip inclusion in block 1', () => {
      const entry = verifyBundle(bundle, verifierKey);
      if (entry.type !== 'trip') throw new Error(`leaf ${tripIndex} is a ${entry.type}, not a trip`);
      const { fromStationId, toStationId, chargedFen } = entry.trip as { fromStationId?: string; toStationId?: string; chargedFen: number };
      return `leaf ${tripIndex} of ${bundle.treeSize} is trip ${entry.trip.tripId}, ${fromStationId} -> ${toStationId}, charged ${formatFen(chargedFen)} yuan`;
    }),
    check('block 0 -> block 1 consistency', () => {
      const old = openWithKey(block0.signedCheckpoint, verifierKey);
      const now = openWithKey(block1.signedCheckpoint, verifierKey);
      const proof = consistencyProof(chainLog.reader, hasher, old.treeSize, now.treeSize);
      verifyConsistency(hasher, old.treeSize, now.treeSize, proof, old.rootHash, now.rootHash);
      return `tree ${old.treeSize} is a prefix of tree ${now.treeSize} (${proof.length} proof hashes)`;
    }),
    expectRejected('the same bundle with one leaf byte changed', () => verifyBundle(withFlippedLeafByte(bundle, 40), verifierKey)),
    expectRejected('the same bundle checked against another key', () =>
      verifyBundle(bundle, formatVerifierKey(verifierKeyOf(generateSignerKey(origin, { ed25519: ed25519Node })))),
    ),
  ];
  const failed = results.filter((ok) => !ok).length;
  console.log(failed === 0 ? '\nAll checks hold.' : `\n${failed} check(s) failed.`);
  return failed === 0 ? 0 : 1;
}

function withFlippedLeafByte(bundle: ProofBundle, byte: number): ProofBundle {
  const leaf = Buffer.from(bundle.leaf, 'base64');
  leaf[byte] = (leaf[byte] as number) ^ 0x01;
  return { ...bundle, leaf: leaf.toString('base64') };
}

function indent(text: string): string {
  return `${text.trimEnd().split('\n').map((line) => `  ${line}`).join('\n')}\n`;
}

process.exitCode = main(process.argv.slice(2));
