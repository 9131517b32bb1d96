import { describe, expect, it } from 'vitest';
import { formatAuthorization, isCredentialId, parseAuthorization } from './authorization.js';
import { authorizationLengthMax } from './limits.js';

const signature = new Uint8Array(32).map((_, i) => i * 7);
const signatureText = Buffer.from(signature).toString('base64url');

describe('parseAuthorization', () => {
  it('reads every field', () => {
    const result = parseAuthorization(`FL1-HMAC-SHA256 Credential=bv-0457/k2, Timestamp=0, Signature=${signatureText}`);
    expect(result).toEqual({ ok: true, authorization: { deviceId: 'bv-0457', keyId: 'k2', timestampMs: 0, signature: Buffer.from(signature) } });
  });

  it('accepts the longest header the grammar allows, and it fits the bound', () => {
    const deviceId = `a.b_c:d-${'Z'.repeat(56)}`;
    const keyId = '9'.repeat(64);
    const header = `FL1-HMAC-SHA256 Credential=${deviceId}/${keyId}, Timestamp=9007199254740991, Signature=${signatureText}`;
    expect(header.length).toBe(239);
    expect(header.length).toBeLessThanOrEqual(authorizationLengthMax);
    const result = parseAuthorization(header);
    expect(result.ok && result.authorization).toEqual({ deviceId, keyId, timestampMs: 9_007_199_254_740_991, signature: Buffer.from(signature) });
  });

  it.each([undefined, null, ''])('calls %j missing', (header) => {
    expect(parseAuthorization(header)).toEqual({ ok: false, reason: 'missing' });
  });

  it('bounds the work on a huge header', () => {
    expect(parseAuthorization(`FL1-HMAC-SHA256 ${', '.repeat(500_000)}`)).toEqual({ ok: false, reason: 'too-long' });
  });
});

describe('formatAuthorization', () => {
  it('is the inverse of parseAuthorization', () => {
    const authorization = { deviceId: 'sztx:B-88231.pos', keyId: 'k12', timestampMs: 1_772_413_200_000, signature };
    const header = formatAuthorization(authorization);
    expect(header).toBe(`FL1-HMAC-SHA256 Credential=sztx:B-88231.pos/k12, Timestamp=1772413200000, Signature=${signatureText}`);
    expect(parseAuthorization(header)).toEqual({ ok: true, authorization: { ...authorization, signature: Buffer.from(signature) } });
  });

  it.each([
    ['a deviceId with a slash', { deviceId: 'a/b' }, /deviceId/],
    ['an empty keyId', { keyId: '' }, /keyId/],
    ['a negative timestamp', { timestampMs: -1 }, /timestampMs: expected an integer/],
    ['a 31-byte signature', { signature: new Uint8Array(31) }, /signature: expected 32 bytes, got 31/],
  ])('asserts on %s', (_name, change, message) => {
    expect(() => formatAuthorization({ deviceId: 'd', keyId: 'k', timestampMs: 1, signature, ...change })).toThrow(message);
  });
});

describe('isCredentialId', () => {
  it.each([
    ['k1', true],
    ['A-Z.a_z:0-9', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['', false],
    ['a/b', false],
    ['a b', false],
    ['a,b', false],
    ['é', false],
    ['a\n', false],
  ])('%j → %s', (value, expected) => {
    expect(isCredentialId(value)).toBe(expected);
  });
});
