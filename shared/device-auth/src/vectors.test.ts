import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AuthorizationReason, parseAuthorization } from './authorization.js';
import { bodyDigestHex, signRequest, stringToSign, verifySignature } from './sign.js';

// The language-neutral vectors in ../test-vectors.json were computed with the openssl CLI,
// not with this code (see its `generatedWith`), and are also printed in docs/security.md.

interface ValidVector {
  name: string;
  deviceId: string;
  keyId: string;
  secretHex: string;
  method: string;
  target: string;
  timestampMs: number;
  bodyUtf8?: string;
  bodyHex: string;
  bodySha256Hex: string;
  stringToSign: string;
  signature: string;
  authorization: string;
}

interface InvalidVector {
  name: string;
  secretHex: string;
  method: string;
  target: string;
  bodyHex: string;
  authorization: string;
}

interface MalformedVector {
  name: string;
  authorization: string;
  reason: AuthorizationReason;
}

const vectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  scheme: string;
  valid: ValidVector[];
  invalid: InvalidVector[];
  malformed: MalformedVector[];
};

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

function parsed(header: string) {
  const result = parseAuthorization(header);
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.authorization;
}

describe('test-vectors.json', () => {
  it('holds the expected number of vectors of each kind', () => {
    expect(vectors.scheme).toBe('FL1-HMAC-SHA256');
    expect([vectors.valid.length, vectors.invalid.length, vectors.malformed.length]).toEqual([4, 10, 38]);
  });

  describe.each(vectors.valid)('valid: $name', (vector) => {
    const body = hex(vector.bodyHex);
    const request = { method: vector.method, target: vector.target, body };

    it('has a readable body that is the same bytes', () => {
      if (vector.bodyUtf8 !== undefined) expect(Buffer.from(vector.bodyUtf8, 'utf8').toString('hex')).toBe(vector.bodyHex);
    });

    it('signs to the exact header, through the exact string to sign', () => {
      expect(bodyDigestHex(body)).toBe(vector.bodySha256Hex);
      expect(stringToSign(request, vector.timestampMs)).toBe(vector.stringToSign);
      const header = signRequest({ ...request, deviceId: vector.deviceId, keyId: vector.keyId, secret: hex(vector.secretHex), timestampMs: vector.timestampMs });
      expect(header).toBe(vector.authorization);
    });

    it('agrees with a plain node:crypto HMAC of the string to sign', () => {
      const mac = createHmac('sha256', Buffer.from(vector.secretHex, 'hex')).update(vector.stringToSign).digest('base64url');
      expect(mac).toBe(vector.signature);
    });

    it('parses and verifies', () => {
      const authorization = parsed(vector.authorization);
      expect({ ...authorization, signature: Buffer.from(authorization.signature).toString('base64url') }).toEqual({
        deviceId: vector.deviceId,
        keyId: vector.keyId,
        timestampMs: vector.timestampMs,
        signature: vector.signature,
      });
      expect(verifySignature(authorization, hex(vector.secretHex), request)).toBe(true);
    });
  });

  it.each(vectors.invalid)('invalid: $name', (vector) => {
    const request = { method: vector.method, target: vector.target, body: hex(vector.bodyHex) };
    expect(verifySignature(parsed(vector.authorization), hex(vector.secretHex), request)).toBe(false);
  });

  it.each(vectors.malformed)('malformed: $name', (vector) => {
    expect(parseAuthorization(vector.authorization)).toEqual({ ok: false, reason: vector.reason });
  });
});
