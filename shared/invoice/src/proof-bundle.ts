import { base64DecodeStrict, base64Encode } from '@fareledger/checkpoint';
import { assert } from '@fareledger/domain';
import { bytesToHex } from '@noble/hashes/utils.js';

// The proof that one entry is in its chain's log, as DESIGN.md has it: the leaf bytes, the
// RFC 9162 inclusion proof against a signed checkpoint, and the same proof as a C2SP
// tlog-proof@v1 text (c2sp.org/tlog-proof), the standard offline-verifiable form.

export interface ProofBundle {
  /** The entry bytes exactly as sealed (the Merkle leaf), standard base64. */
  readonly leaf: string;
  /** The leaf's index in its chain's log. */
  readonly logIndex: number;
  /** The size of the tree the proof is for: the checkpoint's. */
  readonly treeSize: number;
  /** The tree's root at treeSize, lower-case hex. */
  readonly rootHash: string;
  /** The RFC 9162 audit path, leaf's sibling first, lower-case hex. */
  readonly hashes: readonly string[];
  /** The signed checkpoint note of treeSize, verbatim. */
  readonly checkpoint: string;
  /** The same proof as c2sp.org/tlog-proof@v1 text. */
  readonly tlogProof: string;
}

export const tlogProofHeader = 'c2sp.org/tlog-proof@v1';

export interface ProofBundleInput {
  readonly leaf: Uint8Array;
  readonly logIndex: number;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly hashes: readonly Uint8Array[];
  readonly checkpoint: string;
}

export function proofBundle(input: ProofBundleInput): ProofBundle {
  assert(input.logIndex < input.treeSize, `proof of leaf ${input.logIndex} in a tree of ${input.treeSize}`);
  return {
    leaf: base64Encode(input.leaf),
    logIndex: input.logIndex,
    treeSize: input.treeSize,
    rootHash: bytesToHex(input.rootHash),
    hashes: input.hashes.map((hash) => bytesToHex(hash)),
    checkpoint: input.checkpoint,
    tlogProof: formatTlogProof(input.logIndex, input.hashes, input.checkpoint),
  };
}

/** c2sp.org/tlog-proof@v1: header, `index N`, the audit path in base64, a blank line, the checkpoint verbatim. No extra line. */
export function formatTlogProof(logIndex: number, hashes: readonly Uint8Array[], checkpoint: string): string {
  assert(Number.isSafeInteger(logIndex) && logIndex >= 0, 'tlog-proof index');
  assert(checkpoint.endsWith('\n'), 'a signed note ends with a newline');
  const lines = [tlogProofHeader, `index ${logIndex}`, ...hashes.map((hash) => base64Encode(hash))];
  return `${lines.join('\n')}\n\n${checkpoint}`;
}

export interface TlogProof {
  /** The extra line's data, when there is one (unauthenticated: never trusted). */
  readonly extra: Uint8Array | null;
  readonly logIndex: number;
  readonly hashes: readonly Uint8Array[];
  readonly checkpoint: string;
}

/** Parses tlog-proof@v1 text; null when it is not one (a reader of other logs' proofs may need this). */
export function parseTlogProof(text: string): TlogProof | null {
  const blank = text.indexOf('\n\n');
  if (blank < 0) return null;
  const lines = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (lines[0] !== tlogProofHeader || checkpoint.length === 0) return null;
  let at = 1;
  let extra: Uint8Array | null = null;
  if (lines[at]?.startsWith('extra ')) {
    extra = base64DecodeStrict(lines[at]!.slice('extra '.length));
    if (extra === null) return null;
    at++;
  }
  const indexMatch = /^index (0|[1-9][0-9]{0,15})$/.exec(lines[at] ?? '');
  if (indexMatch === null) return null;
  const logIndex = Number(indexMatch[1]);
  if (!Number.isSafeInteger(logIndex)) return null;
  const hashes: Uint8Array[] = [];
  for (const line of lines.slice(at + 1)) {
    const hash = base64DecodeStrict(line);
    if (hash === null || hash.length !== 32) return null;
    hashes.push(hash);
  }
  return { extra, logIndex, hashes, checkpoint };
}

const base64Codes = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const equalsCode = 0x3d;
const newlineCode = 0x0a;

/** A tlog-proof text that statesTlogProof accepted, and what it states. */
export interface StatedTlogProof {
  readonly text: string;
  readonly hashes: readonly Uint8Array[];
  readonly checkpoint: string;
}

/**
 * Whether `text` is exactly formatTlogProof(logIndex, hashes, checkpoint), compared in
 * place: each hash's base64 is checked character by character against the text, never
 * built (rebuilding the text was a tenth of an invoice's verification). `like`, a proof
 * already accepted: from the first of the hashes that are its own (the same objects at
 * the same places) to the end, `text` must read as its text does, which one comparison
 * decides (a trip's and its taps' proofs share their paths' upper nodes and checkpoint).
 */
export function statesTlogProof(text: string, logIndex: number, hashes: readonly Uint8Array[], checkpoint: string, like?: StatedTlogProof): boolean {
  const head = `${tlogProofHeader}\nindex ${logIndex}\n`;
  const tailChars = 1 + checkpoint.length;
  if (text.length !== head.length + 45 * hashes.length + tailChars || !text.startsWith(head)) return false;
  const own = like === undefined ? hashes.length : firstSharedHash(hashes, checkpoint, like);
  if (own < hashes.length) {
    if (!text.endsWith(like!.text.slice(like!.text.length - 45 * (hashes.length - own) - tailChars))) return false;
  } else if (!text.endsWith(checkpoint) || text.charCodeAt(text.length - tailChars) !== newlineCode) {
    return false;
  }
  let at = head.length;
  for (let i = 0; i < own; i++, at += 45) {
    const hash = hashes[i]!;
    if (hash.length !== 32 || !base64At(text, at, hash) || text.charCodeAt(at + 44) !== newlineCode) return false;
  }
  return true;
}

/** The index from which hashes are like's own to the end, with the same checkpoint; hashes.length when none are. */
function firstSharedHash(hashes: readonly Uint8Array[], checkpoint: string, like: StatedTlogProof): number {
  if (like.hashes.length !== hashes.length || like.checkpoint !== checkpoint) return hashes.length;
  let i = hashes.length;
  while (i > 0 && hashes[i - 1] === like.hashes[i - 1]) i--;
  return i;
}

/** Whether text[at, at + 44) is the padded base64 of 32 bytes. */
function base64At(text: string, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < 30; i += 3, at += 4) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    if (text.charCodeAt(at) !== base64Codes[n >>> 18] || text.charCodeAt(at + 1) !== base64Codes[(n >>> 12) & 63] ||
      text.charCodeAt(at + 2) !== base64Codes[(n >>> 6) & 63] || text.charCodeAt(at + 3) !== base64Codes[n & 63]) return false;
  }
  const n = (bytes[30]! << 16) | (bytes[31]! << 8);
  return text.charCodeAt(at) === base64Codes[n >>> 18] && text.charCodeAt(at + 1) === base64Codes[(n >>> 12) & 63] &&
    text.charCodeAt(at + 2) === base64Codes[(n >>> 6) & 63] && text.charCodeAt(at + 3) === equalsCode;
}
