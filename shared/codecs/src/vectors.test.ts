import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Entry, parseEntry } from '@fareledger/domain';
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry } from './entry-codec.js';
import { type DecodeReason, decodeReasons, EntryDecodeError } from './errors.js';

// The language-neutral vectors every implementation of the ledger format must pass.
type Vectors = {
  schemaVersion: number;
  valid: { name: string; description: string; entry: Entry; hex: string; leafHash: string }[];
  invalid: { name: string; description: string; hex: string; reason: DecodeReason }[];
};
const vectors = JSON.parse(readFileSync(new URL('../test-vectors/entries.json', import.meta.url), 'utf8')) as Vectors;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

describe('valid vectors', () => {
  it('has 13, covering every type, mode and status', () => {
    expect(vectors.schemaVersion).toBe(1);
    const kinds = vectors.valid.map(({ entry }) => {
      if (entry.type === 'tap') return `tap:${entry.tap.mode}`;
      if (entry.type === 'trip') return `trip:${entry.trip.mode}:${entry.trip.status}`;
      return `adjustment:${entry.adjustment.kind}`;
    });
    expect(new Set(kinds)).toEqual(
      new Set(['tap:metro', 'tap:bus', 'tap:taxi', 'trip:metro:complete', 'trip:metro:incomplete', 'trip:bus:complete', 'trip:taxi:complete', 'adjustment:refund', 'adjustment:correction']),
    );
    expect(vectors.valid.length).toBe(13);
  });

  it.each(vectors.valid.map((v) => [v.name, v] as const))('%s: encodes to hex, decodes to entry', (_name, vector) => {
    expect(hex(encodeEntry(vector.entry))).toBe(vector.hex);
    expect(decodeEntry(fromHex(vector.hex))).toEqual(parseEntry(vector.entry));
  });

  it.each(vectors.valid.map((v) => [v.name, v] as const))('%s: leafHash is SHA-256(0x00 || bytes)', (_name, vector) => {
    const leafHash = createHash('sha256').update(Uint8Array.of(0)).update(fromHex(vector.hex)).digest('hex');
    expect(leafHash).toBe(vector.leafHash);
  });

  // A second, independent msgpack implementation reads the same map, in the same key order.
  it.each(vectors.valid.map((v) => [v.name, v] as const))('%s: msgpackr decodes the same fields', (_name, vector) => {
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'number' });
    const decoded = unpackr.unpack(fromHex(vector.hex)) as Map<string, unknown>;
    const body = Object.entries((vector.entry as unknown as Record<string, object>)[vector.entry.type] as object);
    expect([...decoded.entries()]).toEqual([['v', 1], ['type', vector.entry.type], ...body]);
  });
});

describe('invalid vectors', () => {
  it.each(vectors.invalid.map((v) => [v.name, v] as const))('%s: rejected as %s', (_name, vector) => {
    let reason: string = 'accepted';
    try {
      decodeEntry(fromHex(vector.hex));
    } catch (error) {
      if (!(error instanceof EntryDecodeError)) throw error;
      reason = error.reason;
    }
    expect(reason).toBe(vector.reason);
  });

  it('cover every reason but the not-canonical safety net', () => {
    const covered = new Set(vectors.invalid.map(({ reason }) => reason));
    expect(decodeReasons.filter((reason) => !covered.has(reason))).toEqual(['not-canonical']);
    expect(vectors.invalid.length).toBe(61);
  });

  it('have unique names and unique bytes', () => {
    expect(new Set(vectors.invalid.map(({ name }) => name)).size).toBe(vectors.invalid.length);
    expect(new Set(vectors.invalid.map((v) => v.hex)).size).toBe(vectors.invalid.length);
  });
});
