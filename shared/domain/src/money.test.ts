import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.js';
import { fenMax } from './limits.js';
import { formatFen, isFen, sumFen } from './money.js';

describe('sumFen', () => {
  it('adds exactly, as bigint', () => {
    const amounts = Array.from({ length: 1_000_000 }, () => fenMax);
    expect(sumFen(amounts)).toBe(10_000_000_000_000n);
    expect(sumFen([fenMax, 1, 0])).toBe(10_000_001n);
    expect(sumFen([])).toBe(0n);
    expect(sumFen(new Set([1, 2, 3]))).toBe(6n);
  });

  it.each([[-1], [1.5], [fenMax + 1], [Number.NaN]])('asserts on %s', (bad) => {
    expect(() => sumFen([100, bad])).toThrow(AssertionError);
  });
});

describe('isFen', () => {
  it.each([
    [0, true],
    [fenMax, true],
    [fenMax + 1, false],
    [-1, false],
    [0.5, false],
    ['100', false],
  ])('%s → %s', (value, expected) => {
    expect(isFen(value)).toBe(expected);
  });
});

describe('formatFen', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [500, '5.00'],
    [123_456, '1234.56'],
    [-5, '-0.05'],
    [-123_456n, '-1234.56'],
    [10_000_000_000_000n, '100000000000.00'],
  ])('%s → %s', (fen, expected) => {
    expect(formatFen(fen)).toBe(expected);
  });

  it('asserts on a fraction', () => {
    expect(() => formatFen(1.5)).toThrow(AssertionError);
  });
});
