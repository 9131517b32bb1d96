// c2sp.org/tlog-checkpoint note text, with Fareledger's extension lines (docs/checkpoints.md):
//
//   <origin>                          fareledger.example/chain/3
//   <tree size>                       1234
//   <root hash, base64>               2x1M...=
//   fareledger/block <height>         fareledger/block 17
//   fareledger/prev <base64>          fareledger/prev 9n2x...=
//   fareledger/offsets <first> <next> fareledger/offsets 1000 2000
//   fareledger/fares <version>        fareledger/fares 2026-01
//   fareledger/sealed <RFC 3339>      fareledger/sealed 2026-11-23T08:00:00.123Z
//   <other extension lines>           (kept as raw strings)
//
// Every line ends in "\n". Either lines 4-8 are the five fareledger/ lines in this order,
// or no line starts with "fareledger/".

import { sha256 } from '@noble/hashes/sha2.js';
import { aBytes, aSafeUint, assert } from '@fareledger/domain';
import { base64DecodeStrict, base64Encode, isWellFormedString, utf8Encode } from './bytes.js';
import { MalformedCheckpointError, UnexpectedOriginError } from './errors.js';
import { isValidKeyName, type Ed25519Options, type SignerKey, type VerifierKey } from './keys.js';
import { openNote, signNote, type Note } from './note.js';

export const checkpointHashBytes = 32;
export const rootHashBytes = 32;
/** The prev line of block 0 (genesis): 32 zero bytes, base64. */
export const genesisPrevBase64 = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
export const fareTableVersionCharsMax = 32;
export const fareledgerExtensionPrefix = 'fareledger/';

/** The Fareledger extension lines of a sealed block's checkpoint. */
export interface FareledgerExtensions {
  /** 0-based height of the block on its chain. */
  readonly blockHeight: number;
  /** SHA-256 of the previous block's full signed checkpoint note (checkpointHash); 32 zero bytes for block 0. */
  readonly prevCheckpointHash: Uint8Array;
  /** First Kafka offset of the chain's partition covered by this block. */
  readonly kafkaOffsetFirst: number;
  /** The offset after the last one covered (exclusive); equal to kafkaOffsetFirst for an empty range. */
  readonly kafkaOffsetNext: number;
  /** Fare-table version used to price the block's trips, e.g. "2026-01". */
  readonly fareTableVersion: string;
  /** When the block was sealed, Unix epoch milliseconds; written as RFC 3339 UTC with milliseconds. */
  readonly sealedAtMs: number;
}

export interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  /** 32-byte RFC 6962 root hash of the tree at treeSize. */
  readonly rootHash: Uint8Array;
  /** null for a checkpoint without fareledger/ lines (another log's, such as the Go checksum database's). */
  readonly fareledger: FareledgerExtensions | null;
  /** Extension lines after the Fareledger ones, verbatim without their newline. */
  readonly otherExtensions: readonly string[];
}

export type CheckpointFields = Omit<Checkpoint, 'otherExtensions'> & { readonly otherExtensions?: readonly string[] };

/** The origin line of a chain's checkpoints: `<logName>/chain/<chain>`, e.g. fareledger.example/chain/3. */
export function checkpointOrigin(logName: string, chain: number): string {
  assert(isValidLogName(logName), `log name ${JSON.stringify(logName)} is a valid key name`);
  aSafeUint(chain, 'chain');
  return `${logName}/chain/${chain}`;
}

/** A log name is usable as a note key name: non-empty, no white space, '+' or control characters. */
export function isValidLogName(logName: string): boolean {
  return isValidKeyName(logName);
}

export function isValidFareTableVersion(version: string): boolean {
  return fareTableVersionPattern.test(version);
}

const fareTableVersionPattern = new RegExp(`^[0-9A-Za-z][0-9A-Za-z._-]{0,${fareTableVersionCharsMax - 1}}$`);
const decimal = /^(0|[1-9][0-9]*)$/;
const sealedPattern = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;
const controlCharacter = /[\u0000-\u001f\u007f]/;
const uint64Max = 2n ** 64n - 1n;

/** The note text of a checkpoint. Invalid fields are a bug in the caller (assertion). */
export function formatCheckpoint(checkpoint: CheckpointFields): string {
  const { origin, treeSize, rootHash, fareledger } = checkpoint;
  assert(origin !== '' && isWellFormedString(origin) && !controlCharacter.test(origin), 'origin is one non-empty line');
  aSafeUint(treeSize, 'treeSize');
  aBytes(rootHash, rootHashBytes, 'rootHash');
  let text = `${origin}\n${treeSize}\n${base64Encode(rootHash)}\n`;
  if (fareledger !== null) text += formatFareledgerLines(fareledger);
  for (const line of checkpoint.otherExtensions ?? []) {
    assert(line !== '' && isWellFormedString(line) && !controlCharacter.test(line), 'extension line is one non-empty line');
    assert(!line.startsWith(fareledgerExtensionPrefix), 'other extension lines are outside fareledger/');
    text += `${line}\n`;
  }
  return text;
}

function formatFareledgerLines(f: FareledgerExtensions): string {
  aSafeUint(f.blockHeight, 'blockHeight');
  aBytes(f.prevCheckpointHash, checkpointHashBytes, 'prevCheckpointHash');
  assert((f.blockHeight === 0) === isZero(f.prevCheckpointHash), 'prevCheckpointHash is zero exactly for block 0');
  aSafeUint(f.kafkaOffsetFirst, 'kafkaOffsetFirst');
  aSafeUint(f.kafkaOffsetNext, 'kafkaOffsetNext');
  assert(f.kafkaOffsetFirst <= f.kafkaOffsetNext, 'kafkaOffsetFirst <= kafkaOffsetNext');
  assert(isValidFareTableVersion(f.fareTableVersion), `fare-table version ${JSON.stringify(f.fareTableVersion)} is valid`);
  aSafeUint(f.sealedAtMs, 'sealedAtMs');
  const sealed = new Date(f.sealedAtMs).toISOString();
  assert(sealedPattern.test(sealed), 'sealedAtMs is before year 10000');
  return (
    `fareledger/block ${f.blockHeight}\n` +
    `fareledger/prev ${base64Encode(f.prevCheckpointHash)}\n` +
    `fareledger/offsets ${f.kafkaOffsetFirst} ${f.kafkaOffsetNext}\n` +
    `fareledger/fares ${f.fareTableVersion}\n` +
    `fareledger/sealed ${sealed}\n`
  );
}

/** Parses checkpoint note text, checking every line; throws MalformedCheckpointError. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new MalformedCheckpointError(0, 'text does not end in a newline');
  if (!isWellFormedString(text)) throw new MalformedCheckpointError(0, 'text is not valid Unicode');
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    if (line === '') throw new MalformedCheckpointError(i + 1, 'empty line');
    if (controlCharacter.test(line)) throw new MalformedCheckpointError(i + 1, 'control character');
  });
  if (lines.length < 3) throw new MalformedCheckpointError(0, 'fewer than 3 lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  const treeSize = parseUint(sizeLine, 2, 'tree size');
  const rootHash = base64DecodeStrict(rootLine);
  if (rootHash === null || rootHash.length !== rootHashBytes) {
    throw new MalformedCheckpointError(3, 'root hash is not canonical base64 of 32 bytes');
  }
  const hasFareledger = extensions[0]?.startsWith(fareledgerExtensionPrefix) ?? false;
  const fareledger = hasFareledger ? parseFareledgerLines(extensions) : null;
  const otherExtensions = extensions.slice(hasFareledger ? fareledgerLineCount : 0);
  otherExtensions.forEach((line, i) => {
    if (line.startsWith(fareledgerExtensionPrefix)) {
      const lineNumber = 4 + (hasFareledger ? fareledgerLineCount : 0) + i;
      throw new MalformedCheckpointError(lineNumber, 'unexpected fareledger/ line (only the five defined ones, as lines 4-8, once each)');
    }
  });
  return Object.freeze({ origin, treeSize, rootHash, fareledger, otherExtensions: Object.freeze(otherExtensions) });
}

const fareledgerLineCount = 5;

/** `lines` are the extension lines; the first 5 must be the Fareledger ones (lines 4-8). */
function parseFareledgerLines(lines: readonly string[]): FareledgerExtensions {
  const value = (index: number, keyword: string): string => {
    const line = lines[index];
    const prefix = `${fareledgerExtensionPrefix}${keyword} `;
    if (line === undefined || !line.startsWith(prefix)) {
      throw new MalformedCheckpointError(4 + index, `expected "${prefix}..."`);
    }
    return line.slice(prefix.length);
  };
  const blockHeight = parseUint(value(0, 'block'), 4, 'block height');
  const prevCheckpointHash = base64DecodeStrict(value(1, 'prev'));
  if (prevCheckpointHash === null || prevCheckpointHash.length !== checkpointHashBytes) {
    throw new MalformedCheckpointError(5, 'prev is not canonical base64 of 32 bytes');
  }
  if ((blockHeight === 0) !== isZero(prevCheckpointHash)) {
    throw new MalformedCheckpointError(5, 'prev must be 32 zero bytes for block 0, and only for block 0');
  }
  const offsets = value(2, 'offsets').split(' ');
  if (offsets.length !== 2) throw new MalformedCheckpointError(6, 'expected two offsets: first and next');
  const kafkaOffsetFirst = parseUint(offsets[0]!, 6, 'first offset');
  const kafkaOffsetNext = parseUint(offsets[1]!, 6, 'next offset');
  if (kafkaOffsetFirst > kafkaOffsetNext) throw new MalformedCheckpointError(6, 'first offset is after next offset');
  const fareTableVersion = value(3, 'fares');
  if (!isValidFareTableVersion(fareTableVersion)) throw new MalformedCheckpointError(7, 'malformed fare-table version');
  const sealed = value(4, 'sealed');
  const sealedAtMs = Date.parse(sealed);
  // The round trip rejects impossible dates such as 2026-02-30, which Date.parse rolls over.
  if (!sealedPattern.test(sealed) || !Number.isSafeInteger(sealedAtMs) || sealedAtMs < 0 || new Date(sealedAtMs).toISOString() !== sealed) {
    throw new MalformedCheckpointError(8, 'seal time is not RFC 3339 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)');
  }
  return Object.freeze({ blockHeight, prevCheckpointHash, kafkaOffsetFirst, kafkaOffsetNext, fareTableVersion, sealedAtMs });
}

/** Decimal with no leading zeros (C2SP tree size rules); must fit a safe integer here. */
function parseUint(s: string, line: number, what: string): number {
  if (!decimal.test(s)) throw new MalformedCheckpointError(line, `${what} is not a decimal without leading zeros`);
  // Fifteen digits or fewer are below 2^53: no BigInt needed to bound them.
  if (s.length > 15 && (s.length > 20 || BigInt(s) > uint64Max)) throw new MalformedCheckpointError(line, `${what} is above 2^64-1`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new MalformedCheckpointError(line, `${what} is above 2^53-1, which Fareledger does not support`);
  return n;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/** Formats and signs a checkpoint; returns the signed note. */
export function signCheckpoint(checkpoint: CheckpointFields, signers: readonly SignerKey[], options: Ed25519Options = {}): string {
  return signNote(formatCheckpoint(checkpoint), signers, options);
}

export interface OpenCheckpointOptions extends Ed25519Options {
  /** Trusted keys; several (old and new) during and after a key rotation. */
  readonly verifiers: readonly VerifierKey[];
  /** The origin the checkpoint must have, e.g. checkpointOrigin(logName, chain). */
  readonly origin: string;
  /** Require the five fareledger/ lines (default true); false to open other logs' checkpoints. */
  readonly requireFareledger?: boolean;
}

/**
 * Verifies a signed checkpoint (openNote rules: at least one signature by a known key, no
 * failing one), parses its text, and checks its origin.
 */
export function openCheckpoint(signedNote: Uint8Array | string, options: OpenCheckpointOptions): { checkpoint: Checkpoint; note: Note } {
  const note = openNote(signedNote, options.verifiers, options);
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== options.origin) throw new UnexpectedOriginError(checkpoint.origin, options.origin);
  if ((options.requireFareledger ?? true) && checkpoint.fareledger === null) {
    throw new MalformedCheckpointError(4, 'missing the fareledger/ extension lines');
  }
  return { checkpoint, note };
}

/** SHA-256 of a full signed checkpoint note (text, blank line and signatures): the next block's prev line. */
export function checkpointHash(signedNote: Uint8Array | string): Uint8Array {
  return sha256(typeof signedNote === 'string' ? utf8Encode(signedNote) : signedNote);
}
