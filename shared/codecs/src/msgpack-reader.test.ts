import { describe, expect, it } from 'vitest';
import { EntryDecodeError } from './errors.js';
import { readEntryMap } from './msgpack-reader.js';

const fromHex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function reasonOf(text: string): string {
  try {
    readEntryMap(fromHex(text));
  } catch (error) {
    if (error instanceof EntryDecodeError) return `${error.reason}@${error.offset}`;
    throw error;
  }
  return 'accepted';
}

describe('readEntryMap', () => {
  it('returns pairs in wire order with ints, strings and string lists', () => {
    expect(readEntryMap(fromHex('84 a1 62 ff a1 61 cf 00 00 01 9c ac 11 26 38 a1 6c 92 a1 78 a0 a1 73 a3 e9 97 b8'))).toEqual([
      ['b', -1],
      ['a', 1_772_413_331_000],
      ['l', ['x', '']],
      ['s', '闸'],
    ]);
  });

  it('reads map 16 and str 16 when they are the shortest headers', () => {
    const pairs = Array.from({ length: 16 }, (_, i) => `a1 ${(0x61 + i).toString(16)} ${i.toString(16).padStart(2, '0')}`).join(' ');
    expect(readEntryMap(fromHex(`de 00 10 ${pairs}`)).length).toBe(16);
    const long = readEntryMap(fromHex(`81 a1 72 da 01 00 ${'78'.repeat(256)}`));
    expect((long[0]?.[1] as string).length).toBe(256);
  });

  it.each([
    ['', 'truncated@0'],
    ['81', 'truncated@0'], // one pair needs at least two bytes
    ['81 a1', 'truncated@0'],
    ['81 a1 76', 'truncated@3'],
    ['81 a1 76 cd 01', 'truncated@3'],
    ['df ff ff ff ff', 'truncated@0'], // a huge declared size fails before any allocation
    ['81 a1 6c dd ff ff ff ff', 'truncated@3'],
    ['81 a1 76 db ff ff ff ff', 'truncated@3'],
    ['80 00', 'trailing-bytes@1'],
    ['c0', 'not-a-map@0'],
    ['dc 00 00', 'not-a-map@0'],
    ['df 00 00 00 01 a1 76 01', 'non-canonical-length@0'],
    ['de 00 0f', 'non-canonical-length@0'],
    ['81 a1 6c dc 00 01 a0', 'non-canonical-length@3'],
    ['81 a1 6c dd 00 00 00 01 a0', 'non-canonical-length@3'],
    ['81 a1 76 da 00 ff', 'non-canonical-length@3'],
    ['81 a1 76 db 00 00 ff ff', 'non-canonical-length@3'],
    ['81 a1 76 d9 1f', 'non-canonical-length@3'],
    ['81 a1 76 cd 00 ff', 'non-canonical-int@3'],
    ['81 a1 76 ce 00 00 ff ff', 'non-canonical-int@3'],
    ['81 a1 76 cf 00 00 00 00 ff ff ff ff', 'non-canonical-int@3'],
    ['81 a1 76 d0 7f', 'non-canonical-int@3'],
    ['81 a1 76 d3 ff ff ff ff 80 00 00 00', 'non-canonical-int@3'],
    ['81 a1 76 cf ff ff ff ff ff ff ff ff', 'int-out-of-range@3'],
    ['81 a1 76 d3 80 00 00 00 00 00 00 00', 'int-out-of-range@3'],
    ['81 a1 76 ca 3f 80 00 00', 'float@3'],
    ['81 a1 76 c2', 'unsupported-type@3'],
    ['81 a1 76 c7 00 01', 'unsupported-type@3'],
    ['81 a1 76 d8 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00', 'unsupported-type@3'],
    ['81 a1 76 c6 00 00 00 00', 'unsupported-type@3'],
    ['81 c0 01', 'non-string-key@1'],
    ['81 91 a1 76 01', 'non-string-key@1'],
    ['81 c4 01 76 01', 'non-string-key@1'],
    ['82 a1 76 01 a1 76 01', 'duplicate-key@4'],
    ['81 a1 6c 91 91 a0', 'wrong-type@4'],
    ['81 a1 6c 80', 'wrong-type@3'],
    ['81 a1 76 a1 ff', 'invalid-utf8@3'],
    ['81 a1 ff 01', 'invalid-utf8@1'],
    ['81 a1 76 a4 f4 90 80 80', 'invalid-utf8@3'], // above U+10FFFF
  ])('%s → %s', (text, expected) => {
    expect(reasonOf(text)).toBe(expected);
  });

  it('keeps a leading BOM in a str (the domain rejects it) instead of dropping it', () => {
    expect(readEntryMap(fromHex('81 a1 72 a4 ef bb bf 78'))).toEqual([['r', '\ufeffx']]);
  });
});
