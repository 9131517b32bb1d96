import { describe, expect, it } from 'vitest';
import { bitLength, isPowerOfTwo, largestPowerOfTwoBelow, shiftRight, trailingZeros } from './bits.js';

describe('bit arithmetic beyond 32 bits', () => {
  it.each([
    [0, 0],
    [1, 1],
    [5, 3],
    [2 ** 31, 32],
    [2 ** 32 - 1, 32],
    [2 ** 32, 33],
    [2 ** 40 + 3, 41],
    [Number.MAX_SAFE_INTEGER, 53],
  ])('bitLength(%d) = %d', (n, want) => expect(bitLength(n)).toBe(want));

  it.each([
    [1, 0],
    [12, 2],
    [2 ** 31, 31],
    [2 ** 32, 32],
    [2 ** 45 * 3, 45],
    [2 ** 52, 52],
  ])('trailingZeros(%d) = %d', (n, want) => expect(trailingZeros(n)).toBe(want));

  it.each([
    [2, 1],
    [3, 2],
    [4, 2],
    [5, 4],
    [2 ** 32 + 1, 2 ** 32],
    [2 ** 33, 2 ** 32],
  ])('largestPowerOfTwoBelow(%d) = %d', (n, want) => expect(largestPowerOfTwoBelow(n)).toBe(want));

  it('knows powers of two and shifts big numbers exactly', () => {
    expect([0, 1, 2, 3, 2 ** 40, 2 ** 40 + 1].map(isPowerOfTwo)).toEqual([false, true, true, false, true, false]);
    expect(shiftRight(2 ** 50 + 2 ** 20 + 7, 20)).toBe(2 ** 30 + 1);
  });
});
