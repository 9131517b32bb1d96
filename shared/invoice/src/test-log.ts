import { base64DecodeStrict, checkpointHash, checkpointOrigin, genesisPrevBase64, signCheckpoint, signerKeyFromSeed, verifierKeyOf } from '@fareledger/checkpoint';
import { encodeEntry } from '@fareledger/codecs';
import { adjustmentEntry, type Entry, examples, tapEntry, tripEntry } from '@fareledger/domain';
import { CompactRange, consistencyProof, inclusionProof, MemoryTileStore, nobleHasher, TileHashReader, TileWriter } from '@fareledger/merkle';
import { sha256 } from '@noble/hashes/sha2.js';
import { buildCreditInvoice, buildInvoice, type Invoice, type InvoiceContext, type SealedTrip, sellerOf } from './invoice.js';
import { loadSzmOperators } from './node-data.js';
import { proofBundle } from './proof-bundle.js';

// A chain's log in memory, signed like the batcher's, to issue real invoices in tests of
// the pure core (the service's tests use the real SQLite ledger).

export const testLogName = 'fareledger.test/szm';
export const testSigner = signerKeyFromSeed('fareledger.test/szm-key', sha256(new TextEncoder().encode('invoice test key')));
export const testVerifier = verifierKeyOf(testSigner);
export const otherSigner = signerKeyFromSeed('fareledger.test/szm-key', sha256(new TextEncoder().encode('another key')));

export class TestLog {
  readonly leaves: Uint8Array[] = [];
  readonly entries: Entry[] = [];
  readonly checkpoints: string[] = [];
  readonly #store = new MemoryTileStore();
  readonly #range = new CompactRange(nobleHasher);
  readonly #writer = new TileWriter();
  #prev = base64DecodeStrict(genesisPrevBase64)!;

  constructor(readonly chain = 3) {}

  append(...entries: Entry[]): number[] {
    const first = this.leaves.length;
    const bytes = entries.map((entry) => encodeEntry(entry));
    this.#range.appendLeaves(bytes, this.#writer.visit);
    this.#store.writeTiles(this.#writer.flush());
    this.leaves.push(...bytes);
    this.entries.push(...entries);
    return entries.map((_, i) => first + i);
  }

  /** Seals what was appended: a signed checkpoint of the whole tree. */
  seal(sealedAtMs: number, signer = testSigner): string {
    const note = signCheckpoint({
      origin: checkpointOrigin(testLogName, this.chain),
      treeSize: this.leaves.length,
      rootHash: this.#range.root(),
      fareledger: {
        blockHeight: this.checkpoints.length,
        prevCheckpointHash: this.#prev,
        kafkaOffsetFirst: 0,
        kafkaOffsetNext: this.leaves.length,
        fareTableVersion: 'szm-2026.1',
        sealedAtMs,
      },
    }, [signer]);
    this.#prev = checkpointHash(note);
    this.checkpoints.push(note);
    return note;
  }

  bundle(logIndex: number, checkpoint: string, treeSize: number) {
    const hashes = inclusionProof(new TileHashReader(this.#store), nobleHasher, logIndex, treeSize);
    const rootHash = this.#root(treeSize);
    return proofBundle({ leaf: this.leaves[logIndex]!, logIndex, treeSize, rootHash, hashes, checkpoint });
  }

  consistency(fromSize: number, toSize: number): Uint8Array[] {
    return consistencyProof(new TileHashReader(this.#store), nobleHasher, fromSize, toSize);
  }

  #root(treeSize: number): Uint8Array {
    const note = this.checkpoints.find((text) => text.split('\n')[1] === String(treeSize))!;
    return base64DecodeStrict(note.split('\n')[2]!)!;
  }
}

export const sealedAtMs = examples.metroTapOut.eventTimeMs + 180;
const operators = loadSzmOperators();
const stationNames: Record<string, string> = { 'L1-S07': 'Gangxia', 'L1-S19': 'Taoyuan' };

export function contextOf(trip: SealedTrip['trip'], atMs = sealedAtMs): InvoiceContext {
  return { ...sellerOf(operators.operator(trip.operatorId), trip.operatorId, trip.mode), stationName: (id) => stationNames[id] ?? id, sealedAtMs: atMs };
}

/** A log with the example metro journey (two taps, then its trip) sealed, and its invoice. */
export function metroInvoice(): { log: TestLog; invoice: Invoice; sealed: SealedTrip } {
  const log = new TestLog();
  log.append(tapEntry(examples.busTap));
  const [tapIn, tapOut, tripIndex] = log.append(tapEntry(examples.metroTapIn), tapEntry(examples.metroTapOut), tripEntry(examples.metroTrip));
  const note = log.seal(sealedAtMs);
  const size = log.leaves.length;
  const sealed: SealedTrip = { chain: log.chain, logIndex: tripIndex!, trip: examples.metroTrip, taps: [examples.metroTapIn, examples.metroTapOut] };
  const invoice = buildInvoice(sealed, contextOf(examples.metroTrip), {
    trip: log.bundle(tripIndex!, note, size),
    taps: [log.bundle(tapIn!, note, size), log.bundle(tapOut!, note, size)],
  });
  return { log, invoice, sealed };
}

/** The red-letter credit of the example refund of metroInvoice's trip, appended and sealed after it. */
export function refundInvoice(log: TestLog, sealed: SealedTrip, amountFen = examples.refund.amountFen): Invoice {
  const adjustment = { ...examples.refund, amountFen };
  const [index] = log.append(adjustmentEntry(adjustment));
  const atMs = examples.refund.createdAtMs + 300;
  const note = log.seal(atMs);
  const size = log.leaves.length;
  const tapIndexes = [sealed.logIndex - 2, sealed.logIndex - 1];
  return buildCreditInvoice({ chain: log.chain, logIndex: index!, adjustment }, sealed, contextOf(sealed.trip, atMs), {
    trip: log.bundle(sealed.logIndex, note, size),
    taps: tapIndexes.map((i) => log.bundle(i, note, size)),
    adjustment: log.bundle(index!, note, size),
  });
}
