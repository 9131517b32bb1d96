import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base64Encode } from './bytes.js';
import { ed25519Noble } from './ed25519.js';
import { MalformedKeyError } from './errors.js';
import {
  formatKeyHash,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  keyHashEd25519,
  parseSignerKey,
  parseVerifierKey,
  signerKeyFromSeed,
  verifierKeyFromPublicKey,
  verifierKeyOf,
} from './keys.js';
import { ed25519Node } from './node-ed25519.js';

interface GoVectors {
  keys: { name: string; keyHash: string; verifierKey: string; signerKey: string | null }[];
  badVerifierKeys: { description: string; verifierKey: string; reason: string }[];
}
const vectors = JSON.parse(readFileSync(new URL('../testdata/go-note-vectors.json', import.meta.url), 'utf8')) as GoVectors;

const peterVerifierKey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const peterSignerKey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';

describe('key vectors from Go and trillian-examples', () => {
  test.each(vectors.keys)('$name+$keyHash', (k) => {
    const verifier = parseVerifierKey(k.verifierKey);
    expect(verifier.name).toBe(k.name);
    expect(formatKeyHash(verifier.keyHash)).toBe(k.keyHash);
    expect(keyHashEd25519(k.name, verifier.publicKey)).toBe(verifier.keyHash);
    expect(formatVerifierKey(verifier)).toBe(k.verifierKey);
    if (k.signerKey === null) return;
    for (const ed25519 of [ed25519Noble, ed25519Node]) {
      const signer = parseSignerKey(k.signerKey, { ed25519 });
      expect(formatKeyHash(signer.keyHash)).toBe(k.keyHash);
      expect(formatVerifierKey(verifierKeyOf(signer))).toBe(k.verifierKey);
      expect(formatSignerKey(signer)).toBe(k.signerKey);
    }
  });

  test('the PeterNeumann key hash is c74f20a3', () => {
    const key = parseVerifierKey(peterVerifierKey);
    expect(key.keyHash).toBe(0xc74f20a3);
    expect(bytesToHex(key.publicKey)).toBe('1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6');
  });

  test.each(vectors.badVerifierKeys)('$description', (k) => {
    expect(() => parseVerifierKey(k.verifierKey)).toThrow(expect.objectContaining({ code: 'malformed_key', reason: k.reason }));
  });
});

// Go's TestNewVerifier and TestNewSigner: every proper substring and every single-character
// increment of a valid key string must be rejected.
describe.each([
  { kind: 'verifier', key: peterVerifierKey, parse: (s: string) => parseVerifierKey(s) },
  { kind: 'signer', key: peterSignerKey, parse: (s: string) => parseSignerKey(s) },
])('$kind key manglings are rejected', ({ key, parse }) => {
  test('every proper substring', () => {
    let checked = 0;
    for (let i = 0; i <= key.length; i++) {
      for (let j = i + 1; j <= key.length; j++) {
        if (i === 0 && j === key.length) continue;
        expect(() => parse(key.slice(i, j)), key.slice(i, j)).toThrow(MalformedKeyError);
        checked++;
      }
    }
    expect(checked).toBe((key.length * (key.length + 1)) / 2 - 1);
  });

  test('every single-character increment', () => {
    for (let i = 0; i < key.length; i++) {
      const mangled = key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1);
      expect(() => parse(mangled), mangled).toThrow(MalformedKeyError);
    }
  });
});

describe('key errors say why', () => {
  test.each([
    ['', 'syntax'],
    ['PeterNeumann', 'syntax'],
    ['PeterNeumann+c74f20a3', 'syntax'],
    ['PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'syntax'],
    ['PeterNeumann+c74f20a3g+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'syntax'],
    ['PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'syntax'],
    ['Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'syntax'],
    ['PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T', 'syntax'],
    ['PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'hash'],
    ['PeterNeumanN+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'hash'],
  ])('verifier %j: %s', (key, reason) => {
    expect(() => parseVerifierKey(key)).toThrow(expect.objectContaining({ name: 'MalformedKeyError', kind: 'verifier', reason }));
  });

  test('hex digits of the hash may be upper case, as Go accepts', () => {
    expect(parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').keyHash).toBe(0xc74f20a3);
    expect(formatVerifierKey(parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe(peterVerifierKey);
  });

  test.each([
    ['PRIVATE+KEY+PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'hash'], // the public key as a seed
    ['PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'hash'],
    ['PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'algorithm'],
    ['PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDE=', 'syntax'],
    ['private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'syntax'],
    [peterVerifierKey, 'syntax'],
  ])('signer %j: %s', (key, reason) => {
    expect(() => parseSignerKey(key)).toThrow(expect.objectContaining({ name: 'MalformedKeyError', kind: 'signer', reason }));
  });
});

describe('generating keys', () => {
  const peterSeed = parseSignerKey(peterSignerKey).seed;

  test('with an injected random source, the seed decides everything', () => {
    const requested: number[] = [];
    const key = generateSignerKey('PeterNeumann', {
      randomBytes: (length) => {
        requested.push(length);
        return peterSeed;
      },
    });
    expect(requested).toEqual([32]);
    expect(formatSignerKey(key)).toBe(peterSignerKey);
    expect(formatVerifierKey(verifierKeyOf(key))).toBe(peterVerifierKey);
  });

  test('a random source that returns the wrong length is a programmer error', () => {
    expect(() => generateSignerKey('EnochRoot', { randomBytes: () => new Uint8Array(31) })).toThrow(RangeError);
  });

  test('default randomness: keys differ and round-trip through their strings (Go TestGenerateKey)', () => {
    const a = generateSignerKey('EnochRoot');
    const b = generateSignerKey('EnochRoot', { ed25519: ed25519Node });
    expect(bytesToHex(a.seed)).not.toBe(bytesToHex(b.seed));
    for (const key of [a, b]) {
      const signer = parseSignerKey(formatSignerKey(key));
      const verifier = parseVerifierKey(formatVerifierKey(verifierKeyOf(key)));
      expect(signer.name).toBe('EnochRoot');
      expect(verifier.keyHash).toBe(signer.keyHash);
      const message = new TextEncoder().encode('hi');
      const signature = ed25519Noble.sign(signer.seed, message);
      expect(ed25519Noble.verify(verifier.publicKey, message, signature)).toBe(true);
      signature[0] = signature[0]! ^ 1;
      expect(ed25519Noble.verify(verifier.publicKey, message, signature)).toBe(false);
    }
  });

  test('verifierKeyFromPublicKey matches the signer (Go TestFromEd25519)', () => {
    const signer = signerKeyFromSeed('EnochRoot', new Uint8Array(32).fill(7));
    const verifier = verifierKeyFromPublicKey('EnochRoot', signer.publicKey);
    expect(formatVerifierKey(verifier)).toBe(formatVerifierKey(verifierKeyOf(signer)));
    expect(() => verifierKeyFromPublicKey('EnochRoot', signer.publicKey.subarray(0, 31))).toThrow(RangeError);
  });
});

test('a SignerKey never prints its seed', () => {
  const key = parseSignerKey(peterSignerKey);
  const seedHex = bytesToHex(key.seed);
  const seedBase64 = base64Encode(key.seed);
  expect(JSON.stringify(key)).toBe('{"name":"PeterNeumann","keyHash":"c74f20a3"}');
  const printed = inspect(key, { depth: 5 });
  expect(printed).not.toContain(seedBase64);
  expect(printed).not.toContain([...key.seed.subarray(0, 4)].join(', ')); // how inspect prints bytes
  expect(seedHex).toBe('810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173');
  // The getter hands out a copy: changing it does not change the key.
  key.seed.fill(0);
  expect(bytesToHex(key.seed)).toBe(seedHex);
});

describe('key names (Go isValidName, plus no control characters)', () => {
  test.each([
    ['PeterNeumann', true],
    ['sum.golang.org', true],
    ['fareledger.example/chain/0', true],
    ['naïve—名前', true],
    ['\ufeffbom', true], // U+FEFF is not White_Space in Go or Unicode
    ['', false],
    ['a b', false],
    ['a+b', false],
    ['a\tb', false],
    ['a\u0085b', false], // NEL: Go's unicode.IsSpace
    ['a\u00a0b', false], // NBSP
    ['a\u2003b', false], // EM SPACE
    ['a\u3000b', false], // IDEOGRAPHIC SPACE
    ['a\u0001b', false], // control: allowed by Go, but could never appear in a valid note
    ['a\u007fb', false],
    ['a\ud800b', false], // lone surrogate: not UTF-8
  ])('%j is %s', (name, valid) => {
    expect(isValidKeyName(name)).toBe(valid);
  });
});
