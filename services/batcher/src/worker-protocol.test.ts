import { describe, expect, it } from 'vitest';
import { packRecords, transferablesOf, unpackRecords } from './worker-protocol.js';

describe('records across the thread boundary', () => {
  it('packs offsets and values into three arrays and unpacks them as views of one buffer', () => {
    const records = [
      { offset: 7, value: Uint8Array.of(1, 2, 3) },
      { offset: 8, value: Uint8Array.of(4) },
      { offset: 2 ** 40, value: Uint8Array.of(5, 6) },
    ];
    const packed = packRecords(records);
    expect([...packed.offsets]).toEqual([7, 8, 2 ** 40]);
    expect([...packed.ends]).toEqual([3, 4, 6]);
    expect(transferablesOf(packed)).toHaveLength(3);
    const unpacked = unpackRecords(structuredClone(packed));
    expect(unpacked).toEqual(records);
    expect(unpacked[0]!.value.buffer).toBe(unpacked[2]!.value.buffer);
    expect(unpackRecords(packRecords([]))).toEqual([]);
  });
});
