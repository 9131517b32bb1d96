import { InvoiceInvalidError } from './errors.js';
import type { Invoice } from './invoice.js';
import type { ProofBundle } from './proof-bundle.js';

// The verifier's first look at an untrusted document: the shape of what it reads before
// rebuilding the invoice from the entries (the proof bundles, and what the issuer states
// and the ledger does not bind). Every other field is then compared with the rebuilt
// invoice, which checks it exactly. Hand-written rather than invoiceSchema.safeParse: zod
// was 15 µs of a 190 µs verification, the hex patterns of the audit paths a third of it.
// invoice-document.test.ts checks it refuses what invoiceSchema refuses.

type Json = Record<string, unknown>;

const topKeys = new Set(['format', 'number', 'kind', 'chain', 'issuedAt', 'seller', 'buyer', 'item', 'amounts', 'credit', 'proofs', 'consistency']);
const requiredTopKeys = ['format', 'number', 'kind', 'chain', 'issuedAt', 'seller', 'buyer', 'item', 'amounts', 'proofs'];
const bundleKeys = ['leaf', 'logIndex', 'treeSize', 'rootHash', 'hashes', 'checkpoint', 'tlogProof'];
const sellerKeys = ['operatorId', 'name', 'taxpayerId', 'address'];
const proofHashesMax = 64;
const noteCharsMax = 65_536;

function malformed(at: string, what: string): InvoiceInvalidError {
  return new InvoiceInvalidError('malformed', `not a fareledger-invoice/v1 document: ${at}: ${what}`);
}

function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(at, 'must be an object');
  return value as Json;
}

/**
 * Exactly these keys: the count first (the callers then check each key's value, so a
 * missing one fails there), and the names only when the count is off (for-in with
 * hasOwn per bundle was a twentieth of a verification).
 */
function exactKeys(value: Json, keys: readonly string[], at: string): void {
  const own = Object.keys(value);
  if (own.length === keys.length && own.every((key, i) => key === keys[i] || keys.includes(key))) return;
  const extra = own.find((key) => !keys.includes(key));
  if (extra !== undefined) throw malformed(`${at}.${extra}`, 'is not a field of it');
  throw malformed(at, `must have exactly ${keys.join(', ')}`);
}

function text(value: unknown, at: string, lengthMax: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > lengthMax) throw malformed(at, `must be a string of 1..${lengthMax} characters`);
  return value;
}

function int(value: unknown, at: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) throw malformed(at, `must be an integer ${min}..${max}`);
  return value as number;
}

/** A byte by its two lower-case hex digits' char codes, (c1 << 7) | c2; -1 for anything else. */
const hexPair = new Int16Array(128 * 128).fill(-1);
for (let hi = 0; hi < 16; hi++) {
  for (let lo = 0; lo < 16; lo++) hexPair[('0123456789abcdef'.charCodeAt(hi) << 7) | '0123456789abcdef'.charCodeAt(lo)] = (hi << 4) | lo;
}

/** 32 bytes from 64 lower-case hex digits, or null. */
export function hex32(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || value.length !== 64) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const c1 = value.charCodeAt(2 * i);
    const c2 = value.charCodeAt(2 * i + 1);
    const byte = c1 < 128 && c2 < 128 ? hexPair[(c1 << 7) | c2]! : -1;
    if (byte < 0) return null;
    out[i] = byte;
  }
  return out;
}

/** A proof bundle with its hashes decoded. */
export interface ReadBundle {
  readonly bundle: ProofBundle;
  readonly rootHash: Uint8Array;
  readonly hashes: readonly Uint8Array[];
}

/**
 * A proof bundle's shape, its hashes decoded. `like`, an earlier bundle of the same
 * document: a hash written as it wrote the one at the same place is its bytes, not decoded
 * again (a trip's and its taps' paths share all but their first nodes, and decoding hex
 * was a twentieth of a verification).
 */
export function readProofBundle(value: unknown, at: string, like?: ReadBundle): ReadBundle {
  const b = object(value, at);
  exactKeys(b, bundleKeys, at);
  text(b.leaf, `${at}.leaf`, 8_192);
  int(b.logIndex, `${at}.logIndex`, 0, Number.MAX_SAFE_INTEGER);
  int(b.treeSize, `${at}.treeSize`, 1, Number.MAX_SAFE_INTEGER);
  const rootHash = like !== undefined && b.rootHash === like.bundle.rootHash ? like.rootHash : hex32(b.rootHash);
  if (rootHash === null) throw malformed(`${at}.rootHash`, 'must be 32 bytes in lower-case hex');
  if (!Array.isArray(b.hashes) || b.hashes.length > proofHashesMax) throw malformed(`${at}.hashes`, `must be a list of at most ${proofHashesMax} hashes`);
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < b.hashes.length; i++) {
    const bytes = like !== undefined && i < like.hashes.length && b.hashes[i] === like.bundle.hashes[i] ? like.hashes[i]! : hex32(b.hashes[i]);
    if (bytes === null) throw malformed(`${at}.hashes[${i}]`, 'must be 32 bytes in lower-case hex');
    hashes.push(bytes);
  }
  text(b.checkpoint, `${at}.checkpoint`, noteCharsMax);
  text(b.tlogProof, `${at}.tlogProof`, noteCharsMax + proofHashesMax * 48);
  return { bundle: b as unknown as ProofBundle, rootHash, hashes };
}

export interface ReadInvoice {
  readonly invoice: Invoice;
  readonly trip: ReadBundle;
  readonly taps: readonly ReadBundle[];
  readonly adjustment: ReadBundle | undefined;
}

/** The document's shape, as far as the verifier reads it before the rebuild; InvoiceInvalidError('malformed') otherwise. */
export function readInvoiceDocument(document: unknown): ReadInvoice {
  const d = object(document, '(document)');
  for (const key of Object.keys(d)) if (!topKeys.has(key)) throw malformed(key, 'is not a field of an invoice');
  for (const key of requiredTopKeys) if (d[key] === undefined) throw malformed(key, 'is missing');
  if (d.format !== 'fareledger-invoice/v1') throw malformed('format', 'must be fareledger-invoice/v1');
  if (typeof d.number !== 'string' || !/^[0-9]{20}$/.test(d.number)) throw malformed('number', 'must be 20 digits');
  if (d.kind !== 'blue' && d.kind !== 'red') throw malformed('kind', 'must be blue or red');
  int(d.chain, 'chain', 0, 65_535);
  const seller = object(d.seller, 'seller');
  exactKeys(seller, sellerKeys, 'seller');
  for (const key of sellerKeys) text(seller[key], `seller.${key}`, 200);
  if ((seller.taxpayerId as string).length !== 18) throw malformed('seller.taxpayerId', 'must be 18 characters (a unified social credit code)');
  const amounts = object(d.amounts, 'amounts');
  int(amounts.vatRateBp, 'amounts.vatRateBp', 0, 10_000);
  const item = object(d.item, 'item');
  for (const end of ['from', 'to'] as const) {
    if (item[end] === undefined) continue;
    const station = object(item[end], `item.${end}`);
    exactKeys(station, ['stationId', 'name'], `item.${end}`);
    text(station.stationId, `item.${end}.stationId`, 64);
    text(station.name, `item.${end}.name`, 200);
  }
  const proofs = object(d.proofs, 'proofs');
  for (const key of Object.keys(proofs)) if (key !== 'trip' && key !== 'taps' && key !== 'adjustment') throw malformed(`proofs.${key}`, 'is not a field of it');
  if (!Array.isArray(proofs.taps) || proofs.taps.length < 1 || proofs.taps.length > 2) throw malformed('proofs.taps', 'must be a list of 1 or 2 bundles');
  if (d.consistency !== undefined) {
    const c = object(d.consistency, 'consistency');
    exactKeys(c, ['fromSize', 'toSize', 'hashes'], 'consistency');
    int(c.fromSize, 'consistency.fromSize', 0, Number.MAX_SAFE_INTEGER);
    int(c.toSize, 'consistency.toSize', 0, Number.MAX_SAFE_INTEGER);
    if (!Array.isArray(c.hashes) || c.hashes.length > 2 * proofHashesMax || !c.hashes.every((hash) => hex32(hash) !== null)) {
      throw malformed('consistency.hashes', 'must be a list of hashes in lower-case hex');
    }
  }
  const trip = readProofBundle(proofs.trip, 'proofs.trip');
  return {
    invoice: d as unknown as Invoice,
    trip,
    taps: proofs.taps.map((bundle, i) => readProofBundle(bundle, `proofs.taps[${i}]`, trip)),
    adjustment: proofs.adjustment === undefined ? undefined : readProofBundle(proofs.adjustment, 'proofs.adjustment', trip),
  };
}
