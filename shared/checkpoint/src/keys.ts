// Note keys in the formats of Go's golang.org/x/mod/sumdb/note and c2sp.org/signed-note:
//
//   verifier key  <name>+<hash>+<base64(0x01 || 32-byte Ed25519 public key)>
//   signer key    PRIVATE+KEY+<name>+<hash>+<base64(0x01 || 32-byte Ed25519 seed)>
//
// <hash> is the key hash (the C2SP "key ID") as 8 hex digits:
//   SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian.

import { sha256 } from '@noble/hashes/sha2.js';
import { aBytes, assert } from '@fareledger/domain';
import { concatBytes } from '@noble/hashes/utils.js';
import { base64DecodeStrict, base64Encode, isWellFormedString, readUint32BE, utf8Encode } from './bytes.js';
import { ed25519Noble, ed25519PublicKeyBytes, ed25519SeedBytes, type Ed25519 } from './ed25519.js';
import { MalformedKeyError } from './errors.js';

/** Signature type byte of Ed25519 in c2sp.org/signed-note. */
export const algorithmEd25519 = 0x01;

/** A public key that can check note signatures. Build it with parseVerifierKey, verifierKeyOf or verifierKeyFromPublicKey. */
export interface VerifierKey {
  readonly name: string;
  /** uint32 */
  readonly keyHash: number;
  /** 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

export interface Ed25519Options {
  /** Defaults to ed25519Noble; pass ed25519Node from '@fareledger/checkpoint/node-ed25519' on Node. */
  readonly ed25519?: Ed25519;
}

export interface GenerateOptions extends Ed25519Options {
  /** Returns `length` random bytes. Defaults to crypto.getRandomValues (Node 20 and browsers). */
  readonly randomBytes?: (length: number) => Uint8Array;
}

/**
 * A private signing key. The seed sits in a private field, so logging or serialising a
 * SignerKey (JSON.stringify, util.inspect) never prints it.
 */
export class SignerKey {
  readonly #seed: Uint8Array;

  /** Use signerKeyFromSeed or parseSignerKey; this constructor trusts its arguments. */
  constructor(
    readonly name: string,
    readonly keyHash: number,
    readonly publicKey: Uint8Array,
    seed: Uint8Array,
  ) {
    aBytes(seed, ed25519SeedBytes, 'seed');
    aBytes(publicKey, ed25519PublicKeyBytes, 'publicKey');
    this.#seed = seed.slice();
  }

  /** A copy of the 32-byte Ed25519 seed. */
  get seed(): Uint8Array {
    return this.#seed.slice();
  }

  toJSON(): { name: string; keyHash: string } {
    return { name: this.name, keyHash: formatKeyHash(this.keyHash) };
  }
}

/** Key names: non-empty, no Unicode white space, no '+', and (stricter than Go) no control characters. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && isWellFormedString(name) && !invalidNameCharacter.test(name);
}

// Unicode White_Space is exactly Go's unicode.IsSpace; plus '+' and C0 controls and DEL.
const invalidNameCharacter = /[\p{White_Space}+\u0000-\u001f\u007f]/u;

/** The key hash of an Ed25519 public key under `name`. */
export function keyHashEd25519(name: string, publicKey: Uint8Array): number {
  aBytes(publicKey, ed25519PublicKeyBytes, 'publicKey');
  return keyHashOfEncodedKey(name, concatBytes(Uint8Array.of(algorithmEd25519), publicKey));
}

function keyHashOfEncodedKey(name: string, encodedKey: Uint8Array): number {
  return readUint32BE(sha256(concatBytes(utf8Encode(name), Uint8Array.of(0x0a), encodedKey)), 0);
}

export function formatKeyHash(keyHash: number): string {
  assert(Number.isInteger(keyHash) && keyHash >= 0 && keyHash <= 0xffffffff, 'key hash is a uint32');
  return keyHash.toString(16).padStart(8, '0');
}

const hashHex = /^[0-9a-fA-F]{8}$/;

/** Parses `<name>+<hash>+<base64 key>`; the hash must match name and key. */
export function parseVerifierKey(vkey: string): VerifierKey {
  const [name, rest] = cut(vkey, '+');
  const [hash16, key64] = cut(rest, '+');
  const key = base64DecodeStrict(key64);
  if (!hashHex.test(hash16) || key === null || !isValidKeyName(name) || key.length === 0) {
    throw new MalformedKeyError('verifier', 'syntax');
  }
  // Same order of checks as Go's note.NewVerifier: the hash covers the algorithm byte.
  const keyHash = Number.parseInt(hash16, 16);
  if (keyHash !== keyHashOfEncodedKey(name, key)) throw new MalformedKeyError('verifier', 'hash');
  if (key[0] !== algorithmEd25519) throw new MalformedKeyError('verifier', 'algorithm');
  if (key.length !== 1 + ed25519PublicKeyBytes) throw new MalformedKeyError('verifier', 'syntax');
  return Object.freeze({ name, keyHash, publicKey: key.slice(1) });
}

export function formatVerifierKey(key: VerifierKey): string {
  assert(isValidKeyName(key.name), 'verifier key name is valid');
  aBytes(key.publicKey, ed25519PublicKeyBytes, 'publicKey');
  return `${key.name}+${formatKeyHash(key.keyHash)}+${base64Encode(concatBytes(Uint8Array.of(algorithmEd25519), key.publicKey))}`;
}

/** Go's note.NewEd25519VerifierKey: the verifier key for a raw public key under `name`. */
export function verifierKeyFromPublicKey(name: string, publicKey: Uint8Array): VerifierKey {
  assert(isValidKeyName(name), 'key name is valid');
  return Object.freeze({ name, keyHash: keyHashEd25519(name, publicKey), publicKey: publicKey.slice() });
}

export function verifierKeyOf(signer: SignerKey): VerifierKey {
  return Object.freeze({ name: signer.name, keyHash: signer.keyHash, publicKey: signer.publicKey.slice() });
}

/** Parses `PRIVATE+KEY+<name>+<hash>+<base64 seed>`; the hash must match the derived public key. */
export function parseSignerKey(skey: string, options: Ed25519Options = {}): SignerKey {
  const [private1, rest1] = cut(skey, '+');
  const [private2, rest2] = cut(rest1, '+');
  const [name, rest3] = cut(rest2, '+');
  const [hash16, key64] = cut(rest3, '+');
  const key = base64DecodeStrict(key64);
  if (private1 !== 'PRIVATE' || private2 !== 'KEY' || !hashHex.test(hash16) || key === null || !isValidKeyName(name) || key.length === 0) {
    throw new MalformedKeyError('signer', 'syntax');
  }
  if (key[0] !== algorithmEd25519) throw new MalformedKeyError('signer', 'algorithm');
  if (key.length !== 1 + ed25519SeedBytes) throw new MalformedKeyError('signer', 'syntax');
  const signer = signerKeyFromSeed(name, key.subarray(1), options);
  if (signer.keyHash !== Number.parseInt(hash16, 16)) throw new MalformedKeyError('signer', 'hash');
  return signer;
}

export function formatSignerKey(key: SignerKey): string {
  return `PRIVATE+KEY+${key.name}+${formatKeyHash(key.keyHash)}+${base64Encode(concatBytes(Uint8Array.of(algorithmEd25519), key.seed))}`;
}

export function signerKeyFromSeed(name: string, seed: Uint8Array, options: Ed25519Options = {}): SignerKey {
  assert(isValidKeyName(name), 'key name is valid');
  aBytes(seed, ed25519SeedBytes, 'seed');
  const publicKey = (options.ed25519 ?? ed25519Noble).publicKeyOf(seed);
  return new SignerKey(name, keyHashEd25519(name, publicKey), publicKey, seed);
}

/** A new random signer key; publish verifierKeyOf(key) and keep formatSignerKey(key) secret. */
export function generateSignerKey(name: string, options: GenerateOptions = {}): SignerKey {
  const seed = (options.randomBytes ?? randomBytesDefault)(ed25519SeedBytes);
  aBytes(seed, ed25519SeedBytes, 'randomBytes result');
  return signerKeyFromSeed(name, seed, options);
}

function randomBytesDefault(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** Go's strings.Cut: the text before and after the first `separator`, or all of `s` and "". */
function cut(s: string, separator: string): [string, string] {
  const i = s.indexOf(separator);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + separator.length)];
}
