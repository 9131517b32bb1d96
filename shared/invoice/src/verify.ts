import {
  base64DecodeStrict, type Checkpoint, CheckpointError, type Ed25519, openCheckpoint, openNote, parseCheckpoint, type VerifierKey,
} from '@fareledger/checkpoint';
import { decodeEntry, EntryDecodeError, equalBytes } from '@fareledger/codecs';
import { type Entry, type Tap, tapKey } from '@fareledger/domain';
import { type Hasher, type InclusionClaim, nobleHasher, VerificationError, verifyConsistency, verifyInclusions } from '@fareledger/merkle';
import { InvoiceInvalidError } from './errors.js';
import { buildCreditInvoice, buildInvoice, type Invoice, type InvoiceContext, type SealedTrip } from './invoice.js';
import { hex32, type ReadBundle, readInvoiceDocument, readProofBundle } from './invoice-document.js';
import { type StatedTlogProof, statesTlogProof } from './proof-bundle.js';

// The offline verifier: given an invoice document and the ledger's verifier keys, and
// nothing from our server, it decides whether the invoice is what the ledger sealed.
//
//  1. Every proof bundle: the leaf's audit path leads to the root of a checkpoint signed
//     by a trusted key, for the invoice's chain; the tlog-proof text says the same.
//  2. The entries in the leaves are a trip (and, for a red invoice, an adjustment of it)
//     and exactly the trip's taps, all of the buyer's account.
//  3. Every field of the invoice is what buildInvoice makes of those entries: number,
//     issue time, buyer, item, amounts and VAT split. What the ledger cannot bind (the
//     seller's name and taxpayer id, the VAT rate, station names) is taken as stated and
//     reported as such; the seller's operatorId is bound.
//  4. With a checkpoint the user kept: that it and the invoice's are of one append-only
//     log (RFC 9162 consistency proof, carried in the invoice's `consistency`).

export interface VerifyInvoiceOptions {
  /** Trusted note verifier keys (`<name>+<hash>+<base64 key>`), old ones too. */
  readonly verifierKeys: readonly VerifierKey[];
  /** When given, checkpoints must be of this log (origin `<logName>/chain/<chain>`). */
  readonly logName?: string;
  /** A signed checkpoint the user kept from before: the invoice's must be consistent with it. */
  readonly since?: string;
  /** Defaults to @noble/curves; Node callers pass ed25519Node, about 12× faster. */
  readonly ed25519?: Ed25519;
  /** Defaults to @noble/hashes' SHA-256 (nobleHasher); Node callers may pass nodeHasher. */
  readonly hasher?: Hasher;
}

export interface InvoiceVerification {
  readonly number: string;
  readonly kind: Invoice['kind'];
  readonly chain: number;
  readonly origin: string;
  readonly treeSize: number;
  readonly totalFen: number;
  /** Names of the keys whose signatures were checked. */
  readonly signedBy: readonly string[];
  /** Taken as the issuer states them: not bound by the ledger. */
  readonly statedNotBound: readonly string[];
  /** The kept checkpoint's size, when `since` was given and the log was consistent with it. */
  readonly sinceTreeSize?: number;
}

export const statedNotBound = ['seller.name', 'seller.taxpayerId', 'seller.address', 'amounts.vatRateBp', 'item.from.name', 'item.to.name'];

/** Throws InvoiceInvalidError with the first reason the invoice is not valid. */
export function verifyInvoice(document: unknown, options: VerifyInvoiceOptions): InvoiceVerification {
  const read = readInvoiceDocument(document);
  const { invoice } = read;
  const opener = new BundleOpener(invoice.chain, options);
  const checked = [opener.open(read.trip, 'proofs.trip'), ...read.taps.map((bundle, i) => opener.open(bundle, `proofs.taps[${i}]`))];
  if (read.adjustment !== undefined) checked.push(opener.open(read.adjustment, 'proofs.adjustment'));
  opener.proveInclusions();
  const opened = checked.map(decoded);
  const trip = opened[0]!;
  const rest = opened.slice(1);
  const taps = rest.slice(0, read.taps.length);
  const adjustment = read.adjustment === undefined ? undefined : rest.at(-1);
  const sealedTrip = sealedTripOf(invoice.chain, trip, taps);
  const context = statedContext(invoice, sealedTrip, (adjustment ?? trip).checkpoint);
  const rebuilt = rebuild(invoice, sealedTrip, adjustment, context);
  // The proofs were checked bundle by bundle above, and the rebuild carries them as they are.
  const difference = sameInvoice(rebuilt, invoice) ? null : firstDifference(withoutProofs(rebuilt), withoutProofs(invoice), '');
  if (difference !== null) throw new InvoiceInvalidError('mismatch', `${difference} is not what the sealed entries make it`);
  const sinceTreeSize = options.since === undefined ? undefined : checkSince(invoice, trip.checkpoint, options, opener.origin);
  return {
    number: invoice.number,
    kind: invoice.kind,
    chain: invoice.chain,
    origin: opener.origin,
    treeSize: trip.checkpoint.treeSize,
    totalFen: invoice.amounts.totalFen,
    signedBy: [...opener.signers],
    statedNotBound,
    ...(sinceTreeSize === undefined ? {} : { sinceTreeSize }),
  };
}

/**
 * The fast path of the comparison: the document as the issuer wrote it has the rebuilt
 * invoice's fields in the same order, so one walk in step decides. Any other order
 * falls back to firstDifference, which ignores order (JSON objects have none).
 */
function sameInvoice(rebuilt: Invoice, document: Invoice): boolean {
  return sameInOrder(withoutProofs(rebuilt), withoutProofs(document));
}

/** Deep equality of JSON values with object keys in the same order (cheaper than two JSON texts). */
function sameInOrder(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameInOrder(item, b[i]));
  if (Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    if (key !== keysB[i] || !sameInOrder((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

export interface EntryProofVerification {
  readonly chain: number;
  readonly logIndex: number;
  /** The entry the leaf holds, decoded. */
  readonly entry: Entry;
  readonly origin: string;
  readonly treeSize: number;
  readonly sealedAtMs: number;
  readonly signedBy: readonly string[];
}

/**
 * Checks one proof bundle alone (what a printed invoice's QR code carries): the leaf is in
 * the chain's log under a checkpoint signed by a trusted key. Throws InvoiceInvalidError.
 */
export function verifyEntryProof(chain: number, bundle: unknown, options: VerifyInvoiceOptions): EntryProofVerification {
  const opener = new BundleOpener(chain, options);
  const checked = opener.open(readProofBundle(bundle, 'proof'), 'proof');
  opener.proveInclusions();
  const opened = decoded(checked);
  return {
    chain,
    logIndex: opened.logIndex,
    entry: opened.entry,
    origin: opener.origin,
    treeSize: opened.checkpoint.treeSize,
    sealedAtMs: opened.checkpoint.fareledger!.sealedAtMs,
    signedBy: [...opener.signers],
  };
}

/** A bundle whose checkpoint opened; its leaf's inclusion is proven by proveInclusions. */
interface CheckedBundle {
  readonly at: string;
  readonly logIndex: number;
  readonly leaf: Uint8Array;
  readonly checkpoint: Checkpoint;
  readonly note: string;
}

/** A bundle proven, its leaf decoded (only after the proof: a leaf not in the log is an inclusion failure, whatever it holds). */
interface OpenedBundle {
  readonly at: string;
  readonly logIndex: number;
  readonly entry: Entry;
  readonly checkpoint: Checkpoint;
  readonly note: string;
}

/** Checks bundles one by one; a checkpoint's signature is checked once, however many bundles share it. */
class BundleOpener {
  readonly signers = new Set<string>();
  #origin: string | undefined;
  readonly #checkpoints = new Map<string, Checkpoint>();
  readonly #claims = new Map<string, { at: string; claim: InclusionClaim }[]>();
  readonly #hasher: Hasher;
  /** The first bundle's tlog proof, which the others' are read like. */
  #stated: StatedTlogProof | undefined;

  constructor(readonly chain: number, readonly options: VerifyInvoiceOptions) {
    this.#hasher = options.hasher ?? nobleHasher;
  }

  get origin(): string {
    return this.#origin ?? '';
  }

  open({ bundle, rootHash, hashes }: ReadBundle, at: string): CheckedBundle {
    const leaf = base64DecodeStrict(bundle.leaf);
    if (leaf === null) throw new InvoiceInvalidError('malformed', `${at}.leaf is not canonical base64`);
    if (!statesTlogProof(bundle.tlogProof, bundle.logIndex, hashes, bundle.checkpoint, this.#stated)) {
      throw new InvoiceInvalidError('tlog-proof', `${at}.tlogProof does not state the bundle's index, audit path and checkpoint`);
    }
    this.#stated ??= { text: bundle.tlogProof, hashes, checkpoint: bundle.checkpoint };
    const checkpoint = this.#checkpoint(bundle.checkpoint, at);
    if (checkpoint.treeSize !== bundle.treeSize) {
      throw new InvoiceInvalidError('checkpoint', `${at}: the checkpoint is of tree size ${checkpoint.treeSize}, the proof of ${bundle.treeSize}`);
    }
    if (!equalBytes(checkpoint.rootHash, rootHash)) throw new InvoiceInvalidError('checkpoint', `${at}.rootHash is not the checkpoint's root`);
    const claims = this.#claims.get(bundle.checkpoint) ?? [];
    this.#claims.set(bundle.checkpoint, claims);
    claims.push({ at, claim: { index: bundle.logIndex, leafHash: this.#hasher.hashLeaf(leaf), proof: hashes } });
    return { at, logIndex: bundle.logIndex, leaf, checkpoint, note: bundle.checkpoint };
  }

  /**
   * The inclusion proofs of every bundle opened, each against its checkpoint's root; the
   * proofs of one checkpoint together, so the nodes their paths share are hashed once
   * (verifyInclusions accepts exactly what they would alone).
   */
  proveInclusions(): void {
    for (const [note, claims] of this.#claims) {
      const checkpoint = this.#checkpoints.get(note)!;
      try {
        verifyInclusions(this.#hasher, checkpoint.treeSize, checkpoint.rootHash, claims.map(({ claim }) => claim));
      } catch (error) {
        if (error instanceof VerificationError) throw new InvoiceInvalidError('inclusion', `${claims[error.claim ?? 0]!.at}: ${error.message}`);
        throw error;
      }
    }
    this.#claims.clear();
  }

  /**
   * Opens a checkpoint note with the trusted keys, once per distinct note: its signature,
   * then its origin (the log's, as given or as the first checkpoint says, and the
   * invoice's chain) and its Fareledger lines.
   */
  #checkpoint(text: string, at: string): Checkpoint {
    const known = this.#checkpoints.get(text);
    if (known !== undefined) return known;
    try {
      const note = openNote(text, this.options.verifierKeys, this.options.ed25519 ? { ed25519: this.options.ed25519 } : {});
      const checkpoint = parseCheckpoint(note.text);
      this.#checkOrigin(checkpoint.origin, at);
      if (checkpoint.fareledger === null) throw new InvoiceInvalidError('checkpoint', `${at}.checkpoint has no fareledger/ lines`);
      for (const signature of note.signatures) this.signers.add(signature.name);
      this.#checkpoints.set(text, checkpoint);
      return checkpoint;
    } catch (error) {
      if (error instanceof CheckpointError) throw new InvoiceInvalidError('checkpoint', `${at}.checkpoint: ${error.message}`);
      throw error;
    }
  }

  #checkOrigin(origin: string, at: string): void {
    const suffix = `/chain/${this.chain}`;
    const expected = this.#origin ?? (this.options.logName === undefined ? undefined : `${this.options.logName}${suffix}`);
    if (expected !== undefined && origin !== expected) throw new InvoiceInvalidError('checkpoint', `${at}.checkpoint is of ${origin}, not of ${expected}`);
    if (!origin.endsWith(suffix)) throw new InvoiceInvalidError('checkpoint', `${at}.checkpoint is of ${origin}, not of chain ${this.chain}`);
    this.#origin = origin;
  }
}

function decoded(bundle: CheckedBundle): OpenedBundle {
  return { at: bundle.at, logIndex: bundle.logIndex, entry: decodeLeaf(bundle.leaf, bundle.at), checkpoint: bundle.checkpoint, note: bundle.note };
}

function decodeLeaf(leaf: Uint8Array, at: string): Entry {
  try {
    return decodeEntry(leaf);
  } catch (error) {
    if (error instanceof EntryDecodeError) throw new InvoiceInvalidError('leaf', `${at}.leaf is not a ledger entry: ${error.message}`);
    throw error;
  }
}

function sealedTripOf(chain: number, trip: OpenedBundle, taps: readonly OpenedBundle[]): SealedTrip {
  if (trip.entry.type !== 'trip') throw new InvoiceInvalidError('leaf', `${trip.at}.leaf is a ${trip.entry.type} entry, not a trip`);
  const { tapKeys, account } = trip.entry.trip;
  if (taps.length !== tapKeys.length) throw new InvoiceInvalidError('mismatch', `the trip names ${tapKeys.length} taps, the invoice proves ${taps.length}`);
  const tapsOfTrip: Tap[] = taps.map((bundle, i) => {
    if (bundle.entry.type !== 'tap') throw new InvoiceInvalidError('leaf', `${bundle.at}.leaf is a ${bundle.entry.type} entry, not a tap`);
    const tap = bundle.entry.tap;
    if (tapKey(tap) !== tapKeys[i]) throw new InvoiceInvalidError('mismatch', `${bundle.at} is tap ${tapKey(tap)}, the trip's is ${tapKeys[i]}`);
    if (tap.account !== account) throw new InvoiceInvalidError('mismatch', `${bundle.at} is of another account than the trip`);
    if (bundle.logIndex >= trip.logIndex) throw new InvoiceInvalidError('mismatch', `${bundle.at} comes after its trip in the log`);
    return tap;
  });
  for (const bundle of taps) {
    if (bundle.note !== trip.note) throw new InvoiceInvalidError('checkpoint', `${bundle.at} is against another checkpoint than the trip`);
  }
  return { chain, logIndex: trip.logIndex, trip: trip.entry.trip, taps: tapsOfTrip };
}

/** The invoice's stated facts the ledger does not hold, checked where the ledger does bind them. */
function statedContext(invoice: Invoice, sealed: SealedTrip, checkpoint: Checkpoint): InvoiceContext {
  if (invoice.seller.operatorId !== sealed.trip.operatorId) {
    throw new InvoiceInvalidError('mismatch', `seller.operatorId is ${invoice.seller.operatorId}, the trip's operator is ${sealed.trip.operatorId}`);
  }
  const names = new Map<string, string>();
  for (const station of [invoice.item.from, invoice.item.to]) if (station !== undefined) names.set(station.stationId, station.name);
  return {
    seller: invoice.seller,
    vatRateBp: invoice.amounts.vatRateBp,
    stationName: (stationId) => names.get(stationId) ?? '',
    sealedAtMs: checkpoint.fareledger!.sealedAtMs,
  };
}

function rebuild(invoice: Invoice, sealedTrip: SealedTrip, adjustment: OpenedBundle | undefined, context: InvoiceContext): Invoice {
  if (invoice.kind === 'blue') {
    if (adjustment !== undefined || invoice.credit !== undefined) throw new InvoiceInvalidError('mismatch', 'a blue invoice carries no credit and no adjustment proof');
    return buildInvoice(sealedTrip, context, invoice.proofs);
  }
  if (adjustment === undefined || invoice.credit === undefined) throw new InvoiceInvalidError('mismatch', 'a red invoice needs its credit and the adjustment proof');
  if (adjustment.entry.type !== 'adjustment') throw new InvoiceInvalidError('leaf', `${adjustment.at}.leaf is a ${adjustment.entry.type} entry, not an adjustment`);
  const credit = adjustment.entry.adjustment;
  const { trip } = sealedTrip;
  if (credit.tripId !== trip.tripId || credit.account !== trip.account) throw new InvoiceInvalidError('mismatch', 'the adjustment is of another trip');
  if (adjustment.logIndex <= sealedTrip.logIndex) throw new InvoiceInvalidError('mismatch', 'the adjustment comes before its trip in the log');
  if (credit.amountFen > trip.chargedFen) throw new InvoiceInvalidError('mismatch', 'the adjustment credits more than the trip charged');
  if (adjustment.note !== invoice.proofs.trip.checkpoint) throw new InvoiceInvalidError('checkpoint', 'the adjustment is against another checkpoint than its trip');
  return buildCreditInvoice({ chain: invoice.chain, logIndex: adjustment.logIndex, adjustment: credit }, sealedTrip, context, invoice.proofs);
}

function checkSince(invoice: Invoice, checkpoint: Checkpoint, options: VerifyInvoiceOptions, origin: string): number {
  let kept: Checkpoint;
  try {
    kept = openCheckpoint(options.since!, { verifiers: options.verifierKeys, origin, ...(options.ed25519 ? { ed25519: options.ed25519 } : {}) }).checkpoint;
  } catch (error) {
    if (error instanceof CheckpointError) throw new InvoiceInvalidError('consistency', `the kept checkpoint: ${error.message}`);
    throw error;
  }
  const [older, newer] = kept.treeSize <= checkpoint.treeSize ? [kept, checkpoint] : [checkpoint, kept];
  const proof = invoice.consistency;
  if (older.treeSize !== newer.treeSize && older.treeSize !== 0) {
    if (proof === undefined) {
      throw new InvoiceInvalidError('consistency', `no consistency proof between tree sizes ${older.treeSize} and ${newer.treeSize}; fetch the invoice with ?since=${kept.treeSize}`);
    }
    if (proof.fromSize !== older.treeSize || proof.toSize !== newer.treeSize) {
      throw new InvoiceInvalidError('consistency', `the consistency proof is from ${proof.fromSize} to ${proof.toSize}, not ${older.treeSize} to ${newer.treeSize}`);
    }
  }
  try {
    verifyConsistency(options.hasher ?? nobleHasher, older.treeSize, newer.treeSize, (proof?.hashes ?? []).map((hash) => hex32(hash)!), older.rootHash, newer.rootHash);
  } catch (error) {
    if (error instanceof VerificationError) throw new InvoiceInvalidError('consistency', `the kept checkpoint and the invoice's are not of one append-only log: ${error.message}`);
    throw error;
  }
  return kept.treeSize;
}

function withoutProofs(invoice: Invoice): Omit<Invoice, 'consistency' | 'proofs'> {
  const { consistency: _consistency, proofs: _proofs, ...rest } = invoice;
  return rest;
}

/** The path of the first field where a and b differ (key order ignored), or null. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b) ? null : path || '(document)';
  if (Array.isArray(a) !== Array.isArray(b)) return path || '(document)';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const at = Array.isArray(a) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
    const difference = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at);
    if (difference !== null) return difference;
  }
  return null;
}
