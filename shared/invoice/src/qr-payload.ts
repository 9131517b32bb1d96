import { base64DecodeStrict, base64Encode, parseCheckpoint, parseNote } from '@fareledger/checkpoint';
import { assert } from '@fareledger/domain';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { InvoiceInvalidError } from './errors.js';
import type { Invoice } from './invoice.js';
import { formatTlogProof, type ProofBundle } from './proof-bundle.js';

// What a printed invoice's QR code carries: the trip entry's proof bundle, packed, so the
// /verify page can check the printed trip against a signed checkpoint with no network.
// A whole invoice (every tap's proof too, as JSON) is 4-6 KB, more than a QR code holds;
// the trip entry alone names the account, the stations or route, the times and the
// amounts, and its taps are in the JSON document the wallet keeps.
//
//   u8 version (1) | u8 chain high, u8 chain low | u48 log index | u16 leaf length | leaf
//   | u8 path length | path hashes (32 bytes each) | the signed checkpoint note (UTF-8, the rest)
//
// In the URL it is base64url without padding, after `#q=` (a fragment: never sent to a server).

const version = 1;
const headerBytes = 1 + 2 + 6 + 2;

export interface QrProof {
  readonly chain: number;
  readonly bundle: ProofBundle;
}

export function encodeQrProof(invoice: Invoice): Uint8Array {
  const bundle = invoice.proofs.trip;
  const leaf = base64DecodeStrict(bundle.leaf)!;
  const note = new TextEncoder().encode(bundle.checkpoint);
  assert(bundle.hashes.length <= 255 && leaf.length <= 0xffff, 'QR proof bounds');
  const out = new Uint8Array(headerBytes + leaf.length + 1 + bundle.hashes.length * 32 + note.length);
  const view = new DataView(out.buffer);
  out[0] = version;
  view.setUint16(1, invoice.chain);
  view.setUint16(3, Math.floor(bundle.logIndex / 2 ** 32));
  view.setUint32(5, bundle.logIndex >>> 0);
  view.setUint16(9, leaf.length);
  out.set(leaf, headerBytes);
  let at = headerBytes + leaf.length;
  out[at++] = bundle.hashes.length;
  for (const hash of bundle.hashes) {
    out.set(hexToBytes(hash), at);
    at += 32;
  }
  out.set(note, at);
  return out;
}

/** Unpacks a QR payload into the trip's proof bundle; InvoiceInvalidError('malformed') if it is not one. */
export function decodeQrProof(bytes: Uint8Array): QrProof {
  const bad = (why: string) => new InvoiceInvalidError('malformed', `not a Fareledger invoice QR code: ${why}`);
  if (bytes.length < headerBytes + 2 || bytes[0] !== version) throw bad(`version ${bytes[0]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chain = view.getUint16(1);
  const logIndex = view.getUint16(3) * 2 ** 32 + view.getUint32(5);
  const leafLength = view.getUint16(9);
  let at = headerBytes + leafLength;
  if (leafLength === 0 || at + 1 > bytes.length) throw bad('the leaf runs past the end');
  const leaf = bytes.subarray(headerBytes, at);
  const pathLength = bytes[at++]!;
  if (at + pathLength * 32 >= bytes.length) throw bad('the audit path runs past the end');
  const hashes: string[] = [];
  for (let i = 0; i < pathLength; i++, at += 32) hashes.push(bytesToHex(bytes.subarray(at, at + 32)));
  let checkpoint: string;
  try {
    checkpoint = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at));
  } catch {
    throw bad('the checkpoint is not UTF-8');
  }
  let treeSize: number;
  let rootHash: string;
  try {
    const parsed = parseCheckpoint(parseNote(checkpoint).text);
    treeSize = parsed.treeSize;
    rootHash = bytesToHex(parsed.rootHash);
  } catch {
    throw bad('the checkpoint is not a signed checkpoint');
  }
  const hashBytes = hashes.map((hash) => hexToBytes(hash));
  return {
    chain,
    bundle: { leaf: base64Encode(leaf), logIndex, treeSize, rootHash, hashes, checkpoint, tlogProof: formatTlogProof(logIndex, hashBytes, checkpoint) },
  };
}

export function base64UrlEncode(bytes: Uint8Array): string {
  return base64Encode(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function base64UrlDecode(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const base64 = text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}
