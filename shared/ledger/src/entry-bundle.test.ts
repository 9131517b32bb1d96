import { AssertionError } from '@fareledger/domain';
import { describe, expect, it } from 'vitest';
import { bundleWidth, decodeBundle, encodeBundle } from './entry-bundle.js';
import { LedgerError } from './errors.js';

describe('entry bundles (C2SP tlog-tiles: uint16 big-endian length, then the entry)', () => {
  it('encodes entries with their lengths and decodes them back as views', () => {
    const entries = [Uint8Array.of(0x81, 0xa1, 0x76), new Uint8Array(300).fill(7)];
    const bytes = encodeBundle(entries);
    expect([...bytes.subarray(0, 5)]).toEqual([0x00, 0x03, 0x81, 0xa1, 0x76]);
    expect([...bytes.subarray(5, 7)]).toEqual([0x01, 0x2c]);
    expect(bytes.length).toBe(2 + 3 + 2 + 300);
    const decoded = decodeBundle(bytes, 'test');
    expect(decoded).toEqual(entries);
    expect(decoded[1]!.buffer).toBe(bytes.buffer);
  });

  it('holds 1..256 entries', () => {
    const full = Array.from({ length: bundleWidth }, (_, i) => Uint8Array.of(i & 0xff));
    expect(decodeBundle(encodeBundle(full), 'test')).toHaveLength(256);
    expect(() => encodeBundle([...full, Uint8Array.of(1)])).toThrow(AssertionError);
    expect(() => encodeBundle([])).toThrow(AssertionError);
    expect(() => encodeBundle([new Uint8Array(0)])).toThrow(AssertionError);
  });

  it.each<[string, number[], string]>([
    ['an empty bundle', [], 'b: entry bundle holds 0 entries'],
    ['a length prefix cut short', [0x00, 0x01, 0x07, 0x00], 'b: entry bundle ends inside a length prefix'],
    ['a length past the end', [0x00, 0x02, 0x07], 'b: entry bundle holds a bad length 2 at byte 0'],
    ['an empty entry', [0x00, 0x01, 0x07, 0x00, 0x00], 'b: entry bundle holds a bad length 0 at byte 3'],
  ])('refuses %s as damage', (_name, bytes, message) => {
    expect(() => decodeBundle(Uint8Array.from(bytes), 'b')).toThrow(new LedgerError(message));
  });

  it('refuses more than 256 entries', () => {
    const bytes = new Uint8Array(257 * 3);
    for (let i = 0; i < 257; i++) bytes.set([0x00, 0x01, 0x2a], i * 3);
    expect(() => decodeBundle(bytes, 'b')).toThrow(new LedgerError('b: entry bundle holds 257 entries'));
  });
});
