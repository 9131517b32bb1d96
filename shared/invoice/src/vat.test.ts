import { describe, expect, it } from 'vitest';
import { splitVat } from './vat.js';

describe('splitVat', () => {
  it.each([
    // total, rate bp, net, tax
    [500, 900, 459, 41], // 458.7156 → 459
    [200, 900, 183, 17], // 183.486
    [100, 900, 92, 8], // 91.743
    [3180, 300, 3087, 93], // 3087.378
    [1, 900, 1, 0], // 0.917 → 1: a one-fen fare carries no tax
    [0, 900, 0, 0],
    [109, 900, 100, 9], // exact
    [10_000_000, 900, 9_174_312, 825_688],
    [250, 0, 250, 0],
    [1000, 10_000, 500, 500],
    [3, 5_000, 2, 1], // 2.0 exact
    [5, 10_000, 3, 2], // 2.5 → 3: half away from zero
  ])('%i fen at %i bp → net %i, tax %i', (total, rate, net, tax) => {
    expect(splitVat(total, rate)).toEqual({ totalFen: total, netFen: net, taxFen: tax });
  });

  it('splits a credit as the negated split of its magnitude', () => {
    expect(splitVat(-500, 900)).toEqual({ totalFen: -500, netFen: -459, taxFen: -41 });
    expect(splitVat(-5, 10_000)).toEqual({ totalFen: -5, netFen: -3, taxFen: -2 });
    expect(Object.is(splitVat(-0, 900).netFen, 0)).toBe(true);
  });

  it('never makes or loses a fen, and the net is the nearest fen to total / (1 + rate)', () => {
    for (const rate of [0, 100, 300, 600, 900, 1_300, 10_000]) {
      for (let total = 0; total <= 5_000; total += 7) {
        const { netFen, taxFen } = splitVat(total, rate);
        expect(netFen + taxFen).toBe(total);
        const exact = (total * 10_000) / (10_000 + rate);
        expect(Math.abs(netFen - exact)).toBeLessThanOrEqual(0.5);
      }
    }
  });

  it('refuses a rate or amount out of range (a bug in the caller)', () => {
    expect(() => splitVat(1, -1)).toThrow(/rate/);
    expect(() => splitVat(1, 10_001)).toThrow(/rate/);
    expect(() => splitVat(10_000_001, 900)).toThrow(/total/);
    expect(() => splitVat(1.5, 900)).toThrow(/total/);
  });
});
