import { describe, expect, it } from 'vitest';
import { mulberry32, seededIntegers } from './seeded-random.js';

describe('seededIntegers', () => {
  it('gives integers in [0, n), the same ones for the same seed, from mulberry32', () => {
    const a = seededIntegers(7);
    const b = seededIntegers(7);
    const floats = mulberry32(7);
    for (let i = 0; i < 1_000; i += 1) {
      const n = 1 + (i % 13);
      const value = a(n);
      expect(Number.isInteger(value) && value >= 0 && value < n).toBe(true);
      expect(b(n)).toBe(value);
      expect(Math.floor(floats() * n)).toBe(value);
    }
  });
});
