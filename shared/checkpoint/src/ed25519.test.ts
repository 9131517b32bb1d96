import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ed25519Noble, type Ed25519 } from './ed25519.js';
import { ed25519Node } from './node-ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const implementations: readonly Ed25519[] = [ed25519Noble, ed25519Node];

// RFC 8032 section 7.1, TEST 1-3.
const rfc8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe.each(implementations)('Ed25519 $name', (ed) => {
  test.each(rfc8032)('RFC 8032 vector with message "$message"', (v) => {
    expect(bytesToHex(ed.publicKeyOf(fromHex(v.seed)))).toBe(v.publicKey);
    expect(bytesToHex(ed.sign(fromHex(v.seed), fromHex(v.message)))).toBe(v.signature);
    expect(ed.verify(fromHex(v.publicKey), fromHex(v.message), fromHex(v.signature))).toBe(true);
    expect(ed.verify(fromHex(v.publicKey), fromHex(`${v.message}00`), fromHex(v.signature))).toBe(false);
  });

  test('a wrong-length signature is invalid, not an exception', () => {
    const v = rfc8032[0]!;
    const signature = fromHex(v.signature);
    expect(ed.verify(fromHex(v.publicKey), new Uint8Array(0), signature.subarray(0, 63))).toBe(false);
    expect(ed.verify(fromHex(v.publicKey), new Uint8Array(0), new Uint8Array([...signature, 0]))).toBe(false);
    expect(ed.verify(fromHex(v.publicKey), new Uint8Array(0), new Uint8Array(0))).toBe(false);
  });

  test('S >= L (malleated signature) is invalid', () => {
    // S + L encodes the same scalar mod L; RFC 8032 and Go both require S < L.
    const v = rfc8032[0]!;
    const signature = fromHex(v.signature);
    const l = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    let sPlusL = s + l;
    for (let i = 32; i < 64; i++) {
      signature[i] = Number(sPlusL & 0xffn);
      sPlusL >>= 8n;
    }
    expect(ed.verify(fromHex(v.publicKey), new Uint8Array(0), signature)).toBe(false);
  });

  test('a public key that is not a curve point verifies nothing', () => {
    // y = 2 has no x on edwards25519.
    const notOnCurve = new Uint8Array(32);
    notOnCurve[0] = 2;
    expect(ed.verify(notOnCurve, new Uint8Array(0), fromHex(rfc8032[0]!.signature))).toBe(false);
  });

  test('wrong seed or public key length is a programmer error', () => {
    expect(() => ed.sign(new Uint8Array(31), new Uint8Array(0))).toThrow(RangeError);
    expect(() => ed.publicKeyOf(new Uint8Array(33))).toThrow(RangeError);
    expect(() => ed.verify(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64))).toThrow(RangeError);
  });
});

describe('noble and node:crypto agree (differential)', () => {
  // Ed25519 signing is deterministic: the same seed and message give the same 64 bytes.
  test('random seeds and messages: identical public keys and signatures, each verifies the other', () => {
    for (let i = 0; i < 64; i++) {
      const seed = Uint8Array.from(randomBytes(32));
      const message = Uint8Array.from(randomBytes(i * 7));
      const publicKey = ed25519Noble.publicKeyOf(seed);
      expect(bytesToHex(ed25519Node.publicKeyOf(seed))).toBe(bytesToHex(publicKey));
      const byNoble = ed25519Noble.sign(seed, message);
      const byNode = ed25519Node.sign(seed, message);
      expect(bytesToHex(byNode)).toBe(bytesToHex(byNoble));
      expect(ed25519Node.verify(publicKey, message, byNoble)).toBe(true);
      expect(ed25519Noble.verify(publicKey, message, byNode)).toBe(true);
      const flipped = byNoble.slice();
      flipped[i % 64] = flipped[i % 64]! ^ 0x01;
      expect(ed25519Node.verify(publicKey, message, flipped)).toBe(false);
      expect(ed25519Noble.verify(publicKey, message, flipped)).toBe(false);
    }
  });

  test('more keys than the KeyObject cache holds still sign correctly', () => {
    const message = new TextEncoder().encode('cache');
    for (let i = 0; i < 70; i++) {
      const seed = new Uint8Array(32).fill(i);
      expect(bytesToHex(ed25519Node.sign(seed, message))).toBe(bytesToHex(ed25519Noble.sign(seed, message)));
    }
  });
});
