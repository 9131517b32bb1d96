// c2sp.org/signed-note, following Go's golang.org/x/mod/sumdb/note (Sign and Open):
//
//   <text, ending in "\n">
//   "\n"
//   "— " <key name> " " <base64(4-byte key hash || signature)> "\n"    (one or more)
//
// The note must be UTF-8 with no control characters other than "\n". The signature covers
// the text's UTF-8 bytes including its final newline, not the blank line.

import { assert } from '@fareledger/domain';
import { equalBytes } from '@noble/curves/utils.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { base64DecodeStrict, base64Encode, isWellFormedString, readUint32BE, utf8DecodeStrict, utf8Encode, writeUint32BE } from './bytes.js';
import { ed25519Noble } from './ed25519.js';
import { AmbiguousVerifierError, InvalidSignatureError, InvalidSignerError, MalformedNoteError, UnverifiedNoteError } from './errors.js';
import { formatKeyHash, isValidKeyName, type Ed25519Options, type SignerKey, type VerifierKey } from './keys.js';

/** Go's note.Open refuses more signatures than this; c2sp.org/signed-note requires at least 16. */
export const noteSignaturesMax = 100;
/**
 * Whole signed note, in UTF-8 bytes. Go sets no size limit; a Fareledger checkpoint is
 * about 400 bytes with one signature and 11 kB with the maximum of 100.
 */
export const noteBytesMax = 65_536;

export interface NoteSignature {
  readonly name: string;
  /** uint32 */
  readonly keyHash: number;
  /** base64(4-byte key hash || signature), exactly as in the signature line. */
  readonly base64: string;
}

export interface Note {
  /** The signed text, ending in "\n". */
  readonly text: string;
  /** Signatures that verified against a known key, in note order. */
  readonly signatures: readonly NoteSignature[];
  /** Signatures by keys not given to openNote (or every signature, for parseNote), in note order, duplicates dropped. */
  readonly unverifiedSignatures: readonly NoteSignature[];
}

const signaturePrefix = '— ';
const controlCharacter = /[\u0000-\u0009\u000b-\u001f]/;

/**
 * Signs `text` (or re-signs a note, keeping its signatures) with every signer, as Go's
 * note.Sign: existing signatures first, minus any by the same name and key hash as a
 * signer, then the new ones in signer order.
 */
export function signNote(note: string | Note, signers: readonly SignerKey[], options: Ed25519Options = {}): string {
  assert(signers.length > 0, 'at least one signer');
  const existing = typeof note === 'string' ? [] : [...note.signatures, ...note.unverifiedSignatures];
  const text = typeof note === 'string' ? note : note.text;
  const textBytes = checkedText(text);
  const ed25519 = options.ed25519 ?? ed25519Noble;
  const replaced = new Set<string>();
  let newLines = '';
  for (const signer of signers) {
    if (!isValidKeyName(signer.name)) throw new InvalidSignerError(signer.name);
    replaced.add(nameHashId(signer.name, signer.keyHash));
    const signature = ed25519.sign(signer.seed, textBytes);
    newLines += signatureLine(signer.name, base64Encode(concatBytes(writeUint32BE(signer.keyHash), signature)));
  }
  let keptLines = '';
  for (const s of existing) {
    if (!isValidKeyName(s.name)) throw new MalformedNoteError(`invalid key name in existing signature ${JSON.stringify(s.name)}`);
    if (replaced.has(nameHashId(s.name, s.keyHash))) continue;
    const raw = base64DecodeStrict(s.base64);
    if (raw === null || raw.length < 5 || readUint32BE(raw, 0) !== s.keyHash) {
      throw new MalformedNoteError(`existing signature by ${s.name} does not match its key hash`);
    }
    keptLines += signatureLine(s.name, s.base64);
  }
  const signed = `${text}\n${keptLines}${newLines}`;
  if (utf8Encode(signed).length > noteBytesMax) throw new MalformedNoteError(`signed note longer than ${noteBytesMax} bytes`);
  return signed;
}

/**
 * Opens a signed note, as Go's note.Open. A signature by a key not in `verifiers` is kept
 * as unverified; one by a known key must verify (InvalidSignatureError otherwise); at
 * least one must verify (UnverifiedNoteError otherwise). Repeated signatures by one key
 * count once. The same key listed twice is fine; two different keys with one name and
 * key hash are an AmbiguousVerifierError, but only if the note has a signature for them.
 */
export function openNote(message: Uint8Array | string, verifiers: readonly VerifierKey[], options: Ed25519Options = {}): Note {
  const { text, textBytes, lines } = splitNote(message);
  const known = verifierIndex(verifiers);
  const ed25519 = options.ed25519 ?? ed25519Noble;
  const signatures: NoteSignature[] = [];
  const unverifiedSignatures: NoteSignature[] = [];
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  for (const line of lines) {
    const { signature, raw } = parseSignatureLine(line);
    const id = nameHashId(signature.name, signature.keyHash);
    const candidates = known.get(id);
    if (candidates === undefined) {
      if (!seenUnverified.has(line)) unverifiedSignatures.push(signature);
      seenUnverified.add(line);
      continue;
    }
    if (candidates.length > 1) throw new AmbiguousVerifierError(signature.name, signature.keyHash);
    if (seen.has(id)) continue;
    seen.add(id);
    if (!ed25519.verify(candidates[0]!.publicKey, textBytes, raw.subarray(4))) {
      throw new InvalidSignatureError(signature.name, signature.keyHash);
    }
    signatures.push(signature);
  }
  const note: Note = Object.freeze({ text, signatures, unverifiedSignatures });
  if (signatures.length === 0) throw new UnverifiedNoteError(note);
  return note;
}

/** Parses a signed note without verifying anything: every signature is unverified. */
export function parseNote(message: Uint8Array | string): Note {
  const { text, lines } = splitNote(message);
  const unverifiedSignatures: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const { signature } = parseSignatureLine(line);
    if (!seen.has(line)) unverifiedSignatures.push(signature);
    seen.add(line);
  }
  return Object.freeze({ text, signatures: [], unverifiedSignatures });
}

/** Checks note text as Sign needs it: well-formed, ends in "\n", no control characters but "\n". */
function checkedText(text: string): Uint8Array {
  if (!text.endsWith('\n')) throw new MalformedNoteError('text does not end in a newline');
  if (!isWellFormedString(text)) throw new MalformedNoteError('text is not valid Unicode');
  if (controlCharacter.test(text)) throw new MalformedNoteError('control character in text');
  const bytes = utf8Encode(text);
  if (bytes.length > noteBytesMax) throw new MalformedNoteError(`text longer than ${noteBytesMax} bytes`);
  return bytes;
}

function splitNote(message: Uint8Array | string): { text: string; textBytes: Uint8Array; lines: string[] } {
  const decoded = decodeNote(message);
  if (controlCharacter.test(decoded)) throw new MalformedNoteError('control character');
  // The text ends at the last blank line; signature lines are never empty.
  const split = decoded.lastIndexOf('\n\n');
  if (split < 0) throw new MalformedNoteError('no blank line before signatures');
  const text = decoded.slice(0, split + 1);
  const block = decoded.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw new MalformedNoteError('no signature lines, or no final newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > noteSignaturesMax) throw new MalformedNoteError(`more than ${noteSignaturesMax} signatures`);
  return { text, textBytes: utf8Encode(text), lines };
}

function decodeNote(message: Uint8Array | string): string {
  if (typeof message === 'string') {
    if (!isWellFormedString(message)) throw new MalformedNoteError('not valid Unicode');
    // A UTF-16 code unit is at most 3 UTF-8 bytes: only a long note needs encoding to be measured.
    if (message.length * 3 > noteBytesMax && utf8Encode(message).length > noteBytesMax) throw new MalformedNoteError(`longer than ${noteBytesMax} bytes`);
    return message;
  }
  assert(message instanceof Uint8Array, 'message is a string or Uint8Array');
  if (message.length > noteBytesMax) throw new MalformedNoteError(`longer than ${noteBytesMax} bytes`);
  const decoded = utf8DecodeStrict(message);
  if (decoded === null) throw new MalformedNoteError('not valid UTF-8');
  return decoded;
}

function parseSignatureLine(line: string): { signature: NoteSignature; raw: Uint8Array } {
  if (!line.startsWith(signaturePrefix)) throw new MalformedNoteError('signature line does not start with "— "');
  const rest = line.slice(signaturePrefix.length);
  const space = rest.indexOf(' ');
  const name = space < 0 ? rest : rest.slice(0, space);
  const base64 = space < 0 ? '' : rest.slice(space + 1);
  const raw = base64DecodeStrict(base64);
  if (!isValidKeyName(name) || base64 === '' || raw === null || raw.length < 5) {
    throw new MalformedNoteError('bad signature line');
  }
  return { signature: Object.freeze({ name, keyHash: readUint32BE(raw, 0), base64 }), raw };
}

function signatureLine(name: string, base64: string): string {
  return `${signaturePrefix}${name} ${base64}\n`;
}

function nameHashId(name: string, keyHash: number): string {
  return `${name}+${formatKeyHash(keyHash)}`;
}

/** Known keys by name and key hash; the same key listed twice is kept once. */
function verifierIndex(verifiers: readonly VerifierKey[]): Map<string, VerifierKey[]> {
  const index = new Map<string, VerifierKey[]>();
  for (const v of verifiers) {
    const id = nameHashId(v.name, v.keyHash);
    const list = index.get(id);
    if (list === undefined) index.set(id, [v]);
    else if (!list.some((other) => equalBytes(other.publicKey, v.publicKey))) list.push(v);
  }
  return index;
}
