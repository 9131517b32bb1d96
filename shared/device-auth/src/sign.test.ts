import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DeviceAuthorization, parseAuthorization } from './authorization.js';
import { bodyDigestHex, signRequest, stringToSign, verifySignature } from './sign.js';

const secret = new Uint8Array(32).fill(0x5a);
const body = new TextEncoder().encode('{"taps":[]}');
const request = { method: 'POST', target: '/v1/taps', body };
const base = { ...request, deviceId: 'bv-0457', keyId: 'k1', secret, timestampMs: 1_772_410_531_000 };

function authorizationOf(header: string): DeviceAuthorization {
  const result = parseAuthorization(header);
  if (!result.ok) throw new Error(result.reason);
  return result.authorization;
}

describe('signRequest and verifySignature', () => {
  it('signs the method upper-case, so a lower-case spelling gives the same signature', () => {
    expect(signRequest({ ...base, method: 'post' })).toBe(signRequest(base));
    expect(stringToSign({ ...request, method: 'post' }, 5)).toBe(`FL1-HMAC-SHA256\nPOST\n/v1/taps\n5\n${bodyDigestHex(body)}`);
  });

  it('hashes an empty body as the empty string', () => {
    expect(bodyDigestHex(new Uint8Array(0))).toBe(createHash('sha256').update('').digest('hex'));
  });

  it('agrees with an independent HMAC over random requests', () => {
    for (let round = 0; round < 200; round += 1) {
      const randomBody = randomBytes(round * 37);
      const randomSecret = randomBytes(32);
      const target = `/v1/taps?n=${round}&q=${randomBytes(4).toString('hex')}`;
      const timestampMs = 1_700_000_000_000 + round;
      const header = signRequest({ ...base, secret: randomSecret, target, timestampMs, body: randomBody });
      const text = ['FL1-HMAC-SHA256', 'POST', target, String(timestampMs), createHash('sha256').update(randomBody).digest('hex')].join('\n');
      expect(header.endsWith(`Signature=${createHmac('sha256', randomSecret).update(text).digest('base64url')}`)).toBe(true);
      expect(verifySignature(authorizationOf(header), randomSecret, { method: 'POST', target, body: randomBody })).toBe(true);
    }
  });

  it.each([
    ['a target with a space', '/v1/taps x'],
    ['a target with a line break', '/v1/taps\nPOST'],
    ['a target in absolute form', 'http://ingest/v1/taps'],
    ['an empty target', ''],
    ['a target of 2049 characters', `/${'a'.repeat(2048)}`],
  ])('verifies %s as false instead of throwing', (_name, target) => {
    const authorization = authorizationOf(signRequest(base));
    expect(verifySignature(authorization, secret, { ...request, target })).toBe(false);
  });

  it('verifies a method that is not a token as false', () => {
    expect(verifySignature(authorizationOf(signRequest(base)), secret, { ...request, method: 'PO ST' })).toBe(false);
  });

  it('accepts a target of exactly 2048 characters', () => {
    const target = `/${'a'.repeat(2047)}`;
    const header = signRequest({ ...base, target });
    expect(verifySignature(authorizationOf(header), secret, { ...request, target })).toBe(true);
  });

  it.each([
    ['a 16-byte secret', { secret: new Uint8Array(16) }, /secret: expected 32 bytes, got 16/],
    ['a secret that is a string', { secret: 'k'.repeat(32) as unknown as Uint8Array }, /secret: expected Uint8Array/],
    ['a fractional timestamp', { timestampMs: 1.5 }, /timestampMs: expected an integer/],
    ['a target without a leading slash', { target: 'v1/taps' }, /bad method or target/],
    ['a deviceId with a space', { deviceId: 'bv 0457' }, /deviceId/],
  ])('asserts on %s when signing', (_name, change, message) => {
    expect(() => signRequest({ ...base, ...change })).toThrow(message);
  });

  it('asserts on a secret or signature of the wrong size when verifying', () => {
    const authorization = authorizationOf(signRequest(base));
    expect(() => verifySignature(authorization, new Uint8Array(31), request)).toThrow(/secret: expected 32 bytes, got 31/);
    expect(() => verifySignature({ ...authorization, signature: new Uint8Array(16) }, secret, request)).toThrow(
      /authorization.signature: expected 32 bytes, got 16/,
    );
  });
});
