import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeBody, MalformedBodyError } from './tap-body.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('decodeBody', () => {
  it('decodes JSON and msgpack to the same value', () => {
    const value = { taps: [{ tapId: 't1', distanceM: 1200 }] };
    expect(decodeBody(bytes(JSON.stringify(value)), 'json')).toEqual(value);
    expect(decodeBody(pack(value), 'msgpack')).toEqual(value);
  });

  it.each([
    ['empty JSON', new Uint8Array(0), 'json', 'the body is empty'],
    ['bad UTF-8', Uint8Array.of(0x7b, 0xff, 0x7d), 'json', 'the body is not valid UTF-8'],
    ['bad JSON', bytes('{"taps": ['), 'json', 'the body is not valid JSON'],
    ['truncated msgpack', Uint8Array.of(0x81, 0xa1), 'msgpack', 'the body is not one valid msgpack value'],
    ['two msgpack values', Uint8Array.of(0x01, 0x02), 'msgpack', 'the body is not one valid msgpack value'],
  ] as const)('refuses %s', (_name, body, encoding, message) => {
    expect(() => decodeBody(body, encoding)).toThrow(MalformedBodyError);
    expect(() => decodeBody(body, encoding)).toThrow(message);
  });

  it('cannot set a prototype through a msgpack __proto__ key', () => {
    const body = pack({ ['__proto__']: { admin: true } });
    const value = decodeBody(body, 'msgpack') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { admin?: unknown }).admin).toBeUndefined();
  });
});
