import { describe, expect, it } from 'vitest';
import { applyDiscounts } from './discounts.js';

describe('applyDiscounts: transfer first, then the daily cap', () => {
  it.each([
    // fare, transfer, cap, day so far → discount, charged, reasonCode
    [200, 0, undefined, 5000, 0, 200, undefined],
    [200, 100, undefined, 0, 100, 100, 'transfer'],
    [200, 300, undefined, 0, 200, 0, 'transfer'], // never below 0
    [400, 0, 1000, 0, 0, 400, undefined],
    [400, 0, 1000, 600, 0, 400, undefined], // lands exactly on the cap: not cut
    [400, 0, 1000, 800, 200, 200, 'daily-cap'], // crosses it
    [400, 0, 1000, 1000, 400, 0, 'daily-cap'], // after it
    [400, 0, 1000, 1200, 400, 0, 'daily-cap'], // a cap lowered by a later table
    [200, 100, 1000, 900, 100, 100, 'transfer'], // transfer leaves 100, exactly what is left
    [200, 100, 1000, 950, 150, 50, 'daily-cap'], // transfer, then the cap cuts again
    [200, 200, 1000, 1000, 200, 0, 'transfer'], // nothing left to cut: the transfer explains it
    [0, 0, 1000, 1000, 0, 0, undefined],
    [300, 0, 0, 0, 300, 0, 'daily-cap'],
  ] as const)('fare %i, transfer %i, cap %s, day %i → discount %i, charged %i, %s', (fareFen, transferDiscountFen, dailyCapFen, dayChargedFen, discountFen, chargedFen, reasonCode) => {
    expect(applyDiscounts({ fareFen, transferDiscountFen, dailyCapFen, dayChargedFen })).toEqual({ discountFen, chargedFen, reasonCode });
  });

  it('asserts on amounts that are not valid fen', () => {
    expect(() => applyDiscounts({ fareFen: -1, transferDiscountFen: 0, dailyCapFen: undefined, dayChargedFen: 0 })).toThrow('valid fen');
    expect(() => applyDiscounts({ fareFen: 1, transferDiscountFen: 0.5, dailyCapFen: undefined, dayChargedFen: 0 })).toThrow('valid fen');
  });
});
