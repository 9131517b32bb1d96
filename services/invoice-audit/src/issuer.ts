import type { StoredCheckpoint } from '@fareledger/ledger';
import { decodeEntry } from '@fareledger/codecs';
import { type Entry, type Tap } from '@fareledger/domain';
import type { MetroNetwork } from '@fareledger/domain/fares';
import {
  buildCreditInvoice, buildInvoice, type Invoice, type InvoiceConsistency, type InvoiceContext,
  type OperatorRegistry, parseInvoiceNumber, proofBundle, type ProofBundle, type SealedTrip, sellerOf,
} from '@fareledger/invoice';
import type { LedgerReader } from '@fareledger/ledger';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { LedgerIndex } from './ledger-index.js';

// Issues invoices from the ledger: an entry's invoice is built from the entry, its taps and
// their proofs against the checkpoint of the block that sealed it. That makes an invoice a
// fixed document (fetched twice, it is the same bytes), so issued invoices are cached.

export interface IssuedInvoice {
  readonly invoice: Invoice;
  /**
   * The invoice's JSON in UTF-8, as served: bytes, not a string, so a fetch writes them as
   * they are (a 5 KB string was measured at a third of a cached fetch's CPU in writev's
   * encoding and Buffer.byteLength).
   */
  readonly json: Uint8Array<ArrayBuffer>;
}

const utf8 = new TextEncoder();

export class InvoiceIssuer {
  readonly #cache = new Map<number, IssuedInvoice>();

  constructor(
    readonly reader: LedgerReader,
    readonly index: LedgerIndex,
    readonly operators: OperatorRegistry,
    readonly network: MetroNetwork,
    readonly cacheEntriesMax: number,
    /** Each invoice built from the ledger (for metrics). */
    readonly onIssued: (kind: Invoice['kind']) => void = () => {},
  ) {}

  /** The invoice of this number, or undefined: no such entry, a tap entry, not yet indexed, or a number that is not this entry's. */
  byNumber(number: string): IssuedInvoice | undefined {
    const parts = parseInvoiceNumber(number);
    if (parts === null) return undefined;
    const issued = this.at(parts.chain, parts.logIndex);
    return issued?.invoice.number === number ? issued : undefined;
  }

  /** The invoice of the trip or adjustment entry at (chain, logIndex), once the read copy has indexed it. */
  at(chain: number, logIndex: number): IssuedInvoice | undefined {
    if (logIndex >= this.index.followedSize(chain)) return undefined;
    // First in, first out, not least recently used: a wallet fetches a trip's invoice when
    // the trip ends, and seldom later, so the newest invoices are the ones asked for.
    const key = chain * 2 ** 40 + logIndex;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const invoice = this.#issue(chain, logIndex);
    if (invoice === undefined) return undefined;
    this.onIssued(invoice.kind);
    const issued = { invoice, json: utf8.encode(JSON.stringify(invoice)) };
    if (this.cacheEntriesMax > 0) {
      if (this.#cache.size >= this.cacheEntriesMax) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(key, issued);
    }
    return issued;
  }

  /** A consistency proof between tree size `since` and the invoice's, for a wallet that kept a checkpoint of that size. */
  consistency(invoice: Invoice, since: number): InvoiceConsistency {
    const size = invoice.proofs.trip.treeSize;
    const [fromSize, toSize] = since <= size ? [since, size] : [size, since];
    const hashes = this.reader.consistencyProof(invoice.chain, fromSize, toSize).map((hash) => bytesToHex(hash));
    return { fromSize, toSize, hashes };
  }

  #issue(chain: number, logIndex: number): Invoice | undefined {
    const entry = this.#entry(chain, logIndex);
    if (entry === undefined || entry.type === 'tap') return undefined;
    const checkpoint = this.reader.sealingCheckpoint(chain, logIndex);
    if (checkpoint === undefined) return undefined;
    if (entry.type === 'trip') {
      const sealed = this.#sealedTrip(chain, logIndex, entry.trip);
      const [trip, ...taps] = this.#proofs(sealed, checkpoint);
      return buildInvoice(sealed, this.#context(sealed.trip, checkpoint), { trip: trip!, taps });
    }
    const original = this.index.trip(entry.adjustment.tripId);
    if (original === undefined || original.chain !== chain) return undefined;
    const tripEntry = this.#entry(chain, original.logIndex);
    if (tripEntry?.type !== 'trip') return undefined;
    const sealed = this.#sealedTrip(chain, original.logIndex, tripEntry.trip);
    const bundles = this.#proofs(sealed, checkpoint, [logIndex]);
    const proofs = { trip: bundles[0]!, taps: bundles.slice(1, -1), adjustment: bundles.at(-1)! };
    return buildCreditInvoice({ chain, logIndex, adjustment: entry.adjustment }, sealed, this.#context(sealed.trip, checkpoint), proofs);
  }

  #sealedTrip(chain: number, logIndex: number, trip: SealedTrip['trip']): SealedTrip & { readonly tapIndexes: number[] } {
    const taps: Tap[] = [];
    const tapIndexes: number[] = [];
    for (const key of trip.tapKeys) {
      const at = this.index.tapIndex(key);
      const entry = at === undefined ? undefined : this.#entry(at.chain, at.logIndex);
      if (at === undefined || entry?.type !== 'tap' || at.chain !== chain) throw new Error(`trip ${trip.tripId} names tap ${key}, which chain ${chain} does not hold before it`);
      taps.push(entry.tap);
      tapIndexes.push(at.logIndex);
    }
    return { chain, logIndex, trip, taps, tapIndexes };
  }

  #proofs(sealed: SealedTrip & { readonly tapIndexes: number[] }, checkpoint: StoredCheckpoint, extra: readonly number[] = []): ProofBundle[] {
    const indexes = [sealed.logIndex, ...sealed.tapIndexes, ...extra];
    const proofs = this.reader.inclusionProofs(sealed.chain, indexes, checkpoint.treeSize);
    return indexes.map((logIndex, i) => proofBundle({
      leaf: this.reader.entry(sealed.chain, logIndex)!.bytes, logIndex, treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash,
      hashes: proofs[i]!, checkpoint: checkpoint.note,
    }));
  }

  #context(trip: SealedTrip['trip'], checkpoint: StoredCheckpoint): InvoiceContext {
    const stations = this.network;
    return {
      ...sellerOf(this.operators.operator(trip.operatorId), trip.operatorId, trip.mode),
      stationName: (stationId) => stations.stations[stations.stationIndex(stationId)]?.name ?? stationId,
      sealedAtMs: checkpoint.sealedAtMs,
    };
  }

  #entry(chain: number, logIndex: number): Entry | undefined {
    const stored = this.reader.entry(chain, logIndex);
    return stored === undefined ? undefined : decodeEntry(stored.bytes);
  }
}
