import { AssertionError } from '@fareledger/domain';
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base64DecodeStrict, base64Encode, isWellFormedString, readUint32BE, utf8DecodeStrict, utf8Encode, writeUint32BE } from './bytes.js';

describe('base64', () => {
  test('RFC 4648 section 10 vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base64Encode(utf8Encode(plain))).toBe(encoded);
      expect(bytesToHex(base64DecodeStrict(encoded)!)).toBe(bytesToHex(utf8Encode(plain)));
    }
  });

  test('matches Buffer for random lengths 0-99 (differential)', () => {
    for (let length = 0; length < 100; length++) {
      const bytes = Uint8Array.from(randomBytes(length));
      const encoded = Buffer.from(bytes).toString('base64');
      expect(base64Encode(bytes)).toBe(encoded);
      expect(bytesToHex(base64DecodeStrict(encoded)!)).toBe(bytesToHex(bytes));
    }
  });

  test.each([
    ['Zg', 'missing padding'],
    ['Zg=', 'short padding'],
    ['Zg===', 'too much padding'],
    ['Zh==', 'non-zero bits under == padding'],
    ['Zm9=', 'non-zero bits under = padding'],
    ['Z===', 'padding in third place'],
    ['Zg==Zg==', 'padding in the middle'],
    ['Zm9v\n', 'newline (Go skips it)'],
    ['Zm 9v', 'space'],
    ['Zm9-', 'URL-safe alphabet'],
    ['Zm9_', 'URL-safe alphabet'],
    ['Zm9é', 'non-ASCII'],
    ['====', 'padding only'],
  ])('rejects %j (%s)', (encoded) => {
    expect(base64DecodeStrict(encoded)).toBe(null);
  });
});

describe('UTF-8', () => {
  test('strict decoding rejects what Go utf8.DecodeRune rejects', () => {
    const invalid = [
      [0xff],
      [0xc0, 0x80], // overlong NUL
      [0xe0, 0x80, 0xaf], // overlong '/'
      [0xed, 0xa0, 0x80], // surrogate U+D800
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x80], // truncated em dash
      [0x80], // lone continuation byte
    ];
    for (const bytes of invalid) expect(utf8DecodeStrict(Uint8Array.from(bytes))).toBe(null);
  });

  test('a leading byte order mark is kept (signatures cover it)', () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]);
    expect(utf8DecodeStrict(bytes)).toBe('\ufeffa');
    expect(bytesToHex(utf8Encode('\ufeffa'))).toBe('efbbbf61');
  });

  test('lone surrogates are not well-formed; pairs are', () => {
    expect(isWellFormedString('a\ud800b')).toBe(false);
    expect(isWellFormedString('\udc00')).toBe(false);
    expect(isWellFormedString('\ud83d\ude8c bus')).toBe(true);
    expect(() => utf8Encode('\ud800')).toThrow(AssertionError);
  });
});

test('uint32 big-endian round trip', () => {
  expect(readUint32BE(Uint8Array.from([0xc7, 0x4f, 0x20, 0xa3]), 0)).toBe(0xc74f20a3);
  expect(bytesToHex(writeUint32BE(0xc74f20a3))).toBe('c74f20a3');
  expect(bytesToHex(writeUint32BE(0))).toBe('00000000');
  expect(() => writeUint32BE(2 ** 32)).toThrow(AssertionError);
});
