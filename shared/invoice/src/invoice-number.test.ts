import { describe, expect, it } from 'vitest';
import { formatInvoiceNumber, parseInvoiceNumber } from './invoice-number.js';

describe('invoice numbers', () => {
  it('are year, chain and leaf index in 20 digits', () => {
    // 2026-03-02T00:20:00Z is 08:20 in China: year 26.
    expect(formatInvoiceNumber(3, 12_345, 1_772_410_800_000)).toBe('26000030000000012345');
    expect(parseInvoiceNumber('26000030000000012345')).toEqual({ year2: 26, chain: 3, logIndex: 12_345 });
    expect(formatInvoiceNumber(65_535, 9_999_999_999_999, 1_772_410_800_000)).toBe('26655359999999999999');
  });

  it('take the year in China Standard Time', () => {
    // 2026-12-31T16:30:00Z is 2027-01-01 00:30 in China.
    expect(formatInvoiceNumber(0, 0, Date.UTC(2026, 11, 31, 16, 30))).toBe('27000000000000000000');
    expect(formatInvoiceNumber(0, 0, Date.UTC(2026, 11, 31, 15, 59))).toBe('26000000000000000000');
  });

  it.each(['', '2600003000000001234', '260000300000000123456', '2600003000000001234x', '26655360000000000000', ' 6000030000000012345'])(
    'refuses %j', (text) => {
      expect(parseInvoiceNumber(text)).toBeNull();
    });

  it('refuses a chain or index out of range (a bug in the caller)', () => {
    expect(() => formatInvoiceNumber(65_536, 0, 0)).toThrow(/chain/);
    expect(() => formatInvoiceNumber(0, 10_000_000_000_000, 0)).toThrow(/index/);
  });
});
