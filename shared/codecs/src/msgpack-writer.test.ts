import { AssertionError } from '@fareledger/domain';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { CanonicalWriter, fixint, intHead } from './msgpack-writer.js';
import { wordsOf } from './wire-fields.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function written(write: (w: CanonicalWriter) => void): string {
  const writer = new CanonicalWriter(70_000);
  write(writer);
  return hex(writer.finish());
}

// Each boundary of the msgpack spec's int formats, written by hand.
const intCases: [number, string][] = [
  [0, '00'],
  [1, '01'],
  [0x7f, '7f'],
  [0x80, 'cc80'],
  [0xff, 'ccff'],
  [0x100, 'cd0100'],
  [0xffff, 'cdffff'],
  [0x10000, 'ce00010000'],
  [0xffffffff, 'ceffffffff'],
  [0x100000000, 'cf0000000100000000'],
  [1_772_413_331_000, 'cf0000019cac112638'],
  [Number.MAX_SAFE_INTEGER, 'cf001fffffffffffff'],
  [-1, 'ff'],
  [-32, 'e0'],
  [-33, 'd0df'],
  [-128, 'd080'],
  [-129, 'd1ff7f'],
  [-300, 'd1fed4'],
  [-32768, 'd18000'],
  [-32769, 'd2ffff7fff'],
  [-2147483648, 'd280000000'],
  [-2147483649, 'd3ffffffff7fffffff'],
  [Number.MIN_SAFE_INTEGER, 'd3ffe0000000000001'],
];

describe('CanonicalWriter.int', () => {
  it.each(intCases)('%d → %s', (value, expected) => {
    expect(written((w) => w.int(value))).toBe(expected);
  });

  it('writes -0 as 0', () => {
    expect(written((w) => w.int(-0))).toBe('00');
  });

  it.each([[0.5], [Number.NaN], [2 ** 53], [Infinity]])('asserts on %s', (value) => {
    expect(() => written((w) => w.int(value))).toThrow(AssertionError);
  });

  it('agrees with msgpackr (useRecords: false) below 2^32, where msgpackr writes ints', () => {
    const packr = new Packr({ useRecords: false });
    for (const [value, expected] of intCases.filter(([v]) => Math.abs(v) < 2 ** 31 || (v >= 0 && v < 2 ** 32))) {
      expect(hex(packr.pack(value))).toBe(expected);
    }
  });

  it('differs from msgpackr at and above 2^32: msgpackr writes float 64, or int 64 for a bigint', () => {
    const packr = new Packr({ useRecords: false });
    expect(hex(packr.pack(1_772_413_331_000))).toBe('cb4279cac112638000');
    expect(hex(packr.pack(1_772_413_331_000n))).toBe('d30000019cac112638');
    expect(hex(packr.pack(5n))).toBe('d30000000000000005');
    // With records on (msgpackr's default) 64..127 are not fixints.
    expect(hex(new Packr().pack(0x45))).toBe('cc45');
  });

  it('decodes back through msgpackr to the same value', () => {
    const unpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });
    for (const [value] of intCases) expect(unpackr.unpack(Buffer.from(written((w) => w.int(value)), 'hex'))).toBe(value);
  });
});

describe('intHead', () => {
  it.each([
    [0n, fixint],
    [127n, fixint],
    [128n, 0xcc],
    [-32n, fixint],
    [-33n, 0xd0],
    [2n ** 32n, 0xcf],
    [2n ** 64n - 1n, 0xcf],
    [-(2n ** 63n), 0xd3],
  ])('%s → %d', (value, head) => {
    expect(intHead(value)).toBe(head);
  });
});

describe('CanonicalWriter.str', () => {
  it.each([
    ['', 'a0'],
    ['v', 'a176'],
    ['type', 'a474797065'],
    ['é', 'a2c3a9'],
    ['闸', 'a3e997b8'],
  ])('%j → %s', (value, expected) => {
    expect(written((w) => w.str(value))).toBe(expected);
  });

  it.each([
    [31, 'bf'],
    [32, 'd920'],
    [255, 'd9ff'],
    [256, 'da0100'],
    [65535, 'daffff'],
    [65536, 'db00010000'],
  ])('%d bytes take header %s', (size, header) => {
    const out = written((w) => w.str('x'.repeat(size)));
    expect(out.slice(0, header.length)).toBe(header);
    expect(out.length).toBe(header.length + size * 2);
  });

  // ASCII is copied four units at a time; the first other unit, in a group of four or in
  // the tail, sends the whole string through TextEncoder again.
  it.each([
    ['abcd', 'a461626364'],
    ['abcdefg', 'a7616263646566 67'],
    ['éabc', 'a5c3a9616263'],
    ['abcdé', 'a661626364c3a9'],
    ['abcdefgh闸', 'ab6162636465666768e997b8'],
  ])('%j → %s', (value, expected) => {
    expect(written((w) => w.str(value))).toBe(expected.replace(/ /g, ''));
  });

  it('counts UTF-8 bytes, not characters: 11 CJK characters are 33 bytes, str 8', () => {
    expect(written((w) => w.str('闸'.repeat(11))).slice(0, 4)).toBe('d921');
  });
});

describe('CanonicalWriter headers', () => {
  it.each([
    [0, '80', '90'],
    [15, '8f', '9f'],
    [16, 'de0010', 'dc0010'],
    [0xffff, 'deffff', 'dcffff'],
    [0x10000, 'df00010000', 'dd00010000'],
  ])('%d entries: map %s, array %s', (size, map, array) => {
    expect(written((w) => w.mapHeader(size))).toBe(map);
    expect(written((w) => w.arrayHeader(size))).toBe(array);
  });

  it('matches msgpackr for a Map in insertion order (useRecords: false)', () => {
    const map = new Map<string, unknown>([['v', 1], ['type', 'tap'], ['n', 480]]);
    const ours = written((w) => {
      w.mapHeader(3);
      w.str('v');
      w.int(1);
      w.str('type');
      w.str('tap');
      w.str('n');
      w.int(480);
    });
    expect(ours).toBe('83a17601a474797065a3746170a16ecd01e0');
    expect(hex(new Packr({ useRecords: false }).pack(map))).toBe(ours);
    // A plain object without variableMapSize gets map 16 whatever its size.
    expect(hex(new Packr({ useRecords: false }).pack({ v: 1 }))).toBe('de0001a17601');
  });
});

describe('CanonicalWriter capacity', () => {
  it('asserts instead of writing past its capacity', () => {
    const writer = new CanonicalWriter(4);
    writer.str('abc');
    expect(() => writer.int(1)).toThrow(AssertionError);
    expect(hex(writer.finish())).toBe('a3616263');
  });
});

describe('CanonicalWriter.rawWords', () => {
  it.each([1, 2, 3, 4, 5, 8, 9])('writes %d bytes given as words, and the next write follows them', (size) => {
    const bytes = Uint8Array.from({ length: size }, (_, i) => 0xf0 + i);
    const expected = `${hex(bytes)}a17a`;
    expect(written((w) => {
      w.rawWords(wordsOf(bytes), size);
      w.str('z');
    })).toBe(expected);
  });
});

describe('CanonicalWriter.finish', () => {
  it('hands out copies that later writes never touch, across many slabs', () => {
    const writer = new CanonicalWriter(4096);
    const kept: [Uint8Array, string][] = [];
    for (let i = 0; i < 3_000; i++) {
      writer.reset();
      const text = `entry-${i}-${'x'.repeat(i % 300)}`;
      writer.str(text);
      writer.int(i * 1_000_003);
      kept.push([writer.finish(), written((w) => {
        w.str(text);
        w.int(i * 1_000_003);
      })]);
    }
    for (const [copy, expected] of kept) expect(hex(copy)).toBe(expected);
    expect(new Set(kept.map(([copy]) => copy.buffer)).size).toBeGreaterThan(10);
  });

  it('drops what was written since the last finish on reset', () => {
    const writer = new CanonicalWriter(64);
    writer.str('kept');
    const first = writer.finish();
    writer.str('dropped');
    writer.reset();
    writer.int(7);
    expect([hex(first), hex(writer.finish())]).toEqual(['a46b657074', '07']);
  });

  it('writes on after a caller detaches the buffer of a copy', () => {
    const writer = new CanonicalWriter(64);
    writer.str('a');
    const first = writer.finish();
    const buffer = first.buffer as ArrayBuffer;
    structuredClone(buffer, { transfer: [buffer] });
    expect(first.length).toBe(0);
    writer.reset();
    writer.str('after');
    expect(hex(writer.finish())).toBe('a56166746572');
  });
});
