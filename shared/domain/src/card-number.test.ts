import { describe, expect, it } from 'vitest';
import { cardNumberDigitsMax, cardNumberDigitsMin, looksLikeCardNumber } from './card-number.js';

/** Luhn over a string of digits, written plainly, to check the vectors themselves. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    const digit = Number(digits[digits.length - 1 - index]);
    sum += index % 2 === 1 ? [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][digit]! : digit;
  }
  return sum % 10 === 0;
}

/**
 * The networks' IINs and lengths as one regular expression, written apart from the table in
 * card-number.ts so that each holds the other to account.
 */
const networkPattern = new RegExp(
  `^(?:${[
    '4(?:\\d{12}|\\d{15}|\\d{18})', // Visa: 4; 13, 16, 19
    '(?:5[1-5]\\d\\d|222[1-9]|22[3-9]\\d|2[3-6]\\d\\d|27[01]\\d|2720)\\d{12}', // Mastercard: 51-55, 2221-2720; 16
    '3[47]\\d{13}', // American Express: 34, 37; 15
    '62\\d{14,17}', // UnionPay: 62; 16..19
    '(?:6011|64[4-9]\\d|65\\d\\d)\\d{12,15}', // Discover: 6011, 644-649, 65; 16..19
    '35(?:2[89]|[3-8]\\d)\\d{12,15}', // JCB: 3528-3589; 16..19
    '(?:30[0-5]|3[689]\\d)\\d{11,16}', // Diners Club: 300-305, 36, 38-39; 14..19
  ].join('|')})$`,
);

/**
 * A second implementation of the rule, by regular expressions: every run of groups, every
 * sequence of whole groups in it; a run touching a letter loses its outer group there.
 */
function reference(text: string): boolean {
  for (const match of text.matchAll(/\d+(?:[-.]\d+)*/g)) {
    const groups = match[0].split(/[-.]/);
    const letterBefore = /[A-Za-z]/.test(text[match.index - 1] ?? '');
    const letterAfter = /[A-Za-z]/.test(text[match.index + match[0].length] ?? '');
    for (let first = letterBefore ? 1 : 0; first < groups.length; first += 1) {
      for (let last = first; last < groups.length - (letterAfter ? 1 : 0); last += 1) {
        const digits = groups.slice(first, last + 1).join('');
        if (networkPattern.test(digits) && luhn(digits)) return true;
      }
    }
  }
  return false;
}

/** Test PANs published by card networks and payment processors, one or more per network. */
const testPans = [
  ['Visa', '4111111111111111'],
  ['Visa, 13 digits', '4222222222222'],
  ['Visa, 19 digits', '4917610000000000003'],
  ['Mastercard', '5555555555554444'],
  ['Mastercard 2-series', '2223003122003222'],
  ['American Express, 15 digits', '378282246310005'],
  ['UnionPay', '6212345678901232'],
  ['UnionPay', '6200000000000005'],
  ['UnionPay, 19 digits', '6205500000000000004'],
  ['UnionPay, 19 digits (check digit computed here)', '6212345678901234569'],
  ['Discover', '6011111111111117'],
  ['JCB', '3530111333300000'],
  ['Diners Club, 14 digits', '30569309025904'],
  ['Diners Club 36, 14 digits', '36227206271667'],
] as const;

/** Luhn-valid numbers that no network in the table issues: prefix or length is wrong. */
const luhnValidNonPans = [
  ['16 digits starting with 9', '9000000000000001'],
  ['16 digits starting with 1', '1234567890123452'],
  ['a 13-digit ms timestamp', '1772410530250'],
  ['a Visa prefix with 14 digits', '41111111111114'],
  ['a Visa prefix with 15 digits', '411111111111116'],
  ['a Visa prefix with 18 digits', '411111111111111118'],
  ['12 digits with a Visa prefix', '411111111117'],
  ['12 digits', '123456789015'],
  ['a Mastercard prefix with 15 digits', '555555555555442'],
  ['just below Mastercard 2-series (2220)', '2220000000000000'],
  ['just above Mastercard 2-series (2721)', '2721000000000004'],
  ['an American Express prefix with 16 digits', '3782822463100003'],
  ['a UnionPay prefix with 15 digits', '621234567890128'],
  ['just below Discover 644 (643)', '6430000000000007'],
  ['Discover 6012 (only 6011 is Discover)', '6012000000000003'],
  ['just below JCB (3527)', '3527000000000008'],
  ['just above JCB (3590)', '3590000000000000'],
  ['Diners Club 306', '30600000000001'],
  ['Maestro only (6759), retired brand', '6759649826438453'],
  ['leading zero, 17 digits', '04111111111111111'],
] as const;

describe('looksLikeCardNumber', () => {
  it('uses vectors that pass Luhn, and a checker that fails a changed digit', () => {
    for (const [, pan] of [...testPans, ...luhnValidNonPans]) expect([pan, luhn(pan)]).toEqual([pan, true]);
    expect(luhn('4111111111111112')).toBe(false);
    expect([cardNumberDigitsMin, cardNumberDigitsMax]).toEqual([13, 19]);
  });

  it('uses a reference pattern that takes every test PAN and none of the non-PANs', () => {
    expect(testPans.filter(([, pan]) => !networkPattern.test(pan))).toEqual([]);
    expect(luhnValidNonPans.filter(([, text]) => networkPattern.test(text))).toEqual([]);
  });

  it.each(testPans)('finds the %s test PAN %s', (_name, pan) => {
    expect(looksLikeCardNumber(pan)).toBe(true);
  });

  it.each([
    ['Mastercard 2-series, lowest (2221)', '2221000000000009'],
    ['Mastercard 2-series, highest (2720)', '2720999999999996'],
    ['Discover 644', '6440000000000005'],
    ['JCB, lowest (3528)', '3528000000000007'],
    ['JCB, highest (3589)', '3589999999999994'],
    ['Diners Club 305', '30500000000003'],
    ['Diners Club 30, 19 digits', '3012345678901234566'],
    ['Diners Club 36, 19 digits', '3612345678901234563'],
    ['grouped by 4 with -', '4111-1111-1111-1111'],
    ['grouped by 4 with .', '5555.5555.5555.4444'],
    ['American Express grouping 4-6-5', '3782-822463-10005'],
    ['UnionPay, mixed separators', '6212-3456.7890-1232'],
    ['UnionPay 19 digits, grouped 6-13', '620550-0000000000004'],
    ['Diners grouping 4-6-4', '3056-930902-5904'],
    ['JCB, grouped', '3530-1113-3330-0000'],
    ['embedded after a hyphen', 'acct-4111111111111111'],
    ['embedded after an underscore', 'acct_6212345678901232'],
    ['embedded after a colon', 'tok:5555555555554444:v2'],
    ['grouped, embedded', 'wallet.4111-1111-1111-1111'],
    ['followed by a fifth group', '4111-1111-1111-1111-1234'],
    ['after a short group', '9999.4111111111111111'],
    ['between short groups', '0-6011111111111117-0'],
    ['with a trailing dot', '4111111111111111.'],
    ['a UUID whose first three groups are a Visa PAN', '46373352-3885-4809-b808-a08590de3c04'],
  ])('finds a card number %s: %s', (_name, text) => {
    expect(looksLikeCardNumber(text)).toBe(true);
  });

  it.each(luhnValidNonPans)('finds no card number in %s: %s', (_name, text) => {
    expect(looksLikeCardNumber(text)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['a wallet token', 'wa_7Hq2xK9p'],
    ['Luhn fails', '4111111111111112'],
    ['UnionPay, Luhn fails', '6212345678901233'],
    ['11 digits', '41111111111'],
    ['15 digits, Luhn fails', '4111-1111-1111-111'],
    ['20 digits, though its first 16 are a PAN', '41111111111111111230'],
    ['20 digits, though its first 19 are a PAN', '62055000000000000040'],
    ['a 14-digit number that fails Luhn', '17724105302501'],
    ['double separator: 4111 and 111111111111 (12 digits)', '4111--1111-1111-1111'],
    ['spaces are not separators', '4111 1111 1111 1111'],
    ['underscores are not separators', '4111_1111_1111_1111'],
    ['letters before the digits', 'x4111111111111111'],
    ['letters after the digits', '4111111111111111y'],
    ['a date-time', '2026-03-02T08:15:30.250+08:00'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a UUID ending in 12 Luhn-valid digits', '123e4567-e89b-42d3-a456-426614174008'],
    ['a UUID ending in 16 Luhn-valid digits, 8123-…', 'c9a1f0e2-7b3d-4e5f-8123-456789012340'],
    ['a UUID starting with 12 Luhn-valid digits', '12345678-9015-4abc-9def-0123456789ab'],
    ['digits in another script', '٤١١١١١١١١١١١١١١١'],
  ])('finds no card number in %s: %s', (_name, text) => {
    expect(looksLikeCardNumber(text)).toBe(false);
  });

  it('agrees with a regular-expression implementation on random texts', () => {
    const alphabet = '01234567890123456789012345678901234567890123456789-.-._xZ';
    let seed = 7;
    const random = () => {
      // mulberry32: small, seeded, good enough to spread the cases
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    let found = 0;
    for (let case_ = 0; case_ < 20_000; case_ += 1) {
      const length = 1 + Math.floor(random() * 40);
      let text = '';
      for (let index = 0; index < length; index += 1) text += alphabet[Math.floor(random() * alphabet.length)];
      const expected = reference(text);
      if (looksLikeCardNumber(text) !== expected) expect([text, looksLikeCardNumber(text)]).toEqual([text, expected]);
      if (expected) found += 1;
    }
    expect(found).toBe(94); // of 20,000 seeded texts: both answers are exercised
  });
});
