import { describe, expect, it } from 'vitest';
import { parseAdjustment } from './adjustment.js';
import { ValidationError } from './errors.js';
import { refund } from './examples.js';

function rejection(input: unknown): [string, string] {
  try {
    parseAdjustment(input);
  } catch (error) {
    if (error instanceof ValidationError) return [error.field, error.code];
    throw error;
  }
  throw new Error('accepted');
}

describe('parseAdjustment', () => {
  it('accepts the refund example as it is', () => {
    expect(parseAdjustment(refund)).toEqual(refund);
    expect(Object.keys(parseAdjustment(refund))).toEqual([
      'adjustmentId', 'account', 'tripId', 'kind', 'amountFen', 'reason', 'authorizedBy', 'createdAtMs',
    ]);
  });

  it.each([
    ['200 CJK characters (600 UTF-8 bytes)', '退'.repeat(200)],
    ['200 astral code points (400 UTF-16 units)', '🚇'.repeat(200)],
    ['Latin text with punctuation', 'Gate fault: charged twice (ref #4411).'],
    ['a single character', 'x'],
    ['a single astral code point', '🚇'],
    ['199 CJK and 1 astral code point', `${'退'.repeat(199)}🚇`],
  ])('accepts a reason of %s', (_name, reason) => {
    expect(parseAdjustment({ ...refund, reason }).reason).toBe(reason);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['amount 0', { ...refund, amountFen: 0 }, 'amountFen', 'range'],
    ['negative amount', { ...refund, amountFen: -500 }, 'amountFen', 'range'],
    ['amount over the maximum', { ...refund, amountFen: 10_000_001 }, 'amountFen', 'range'],
    ['unknown kind', { ...refund, kind: 'chargeback' }, 'kind', 'range'],
    ['tripId not a tap key', { ...refund, tripId: 'trip-1' }, 'tripId', 'charset'],
    ['empty reason', { ...refund, reason: '' }, 'reason', 'length'],
    ['reason of 201 characters', { ...refund, reason: '退'.repeat(201) }, 'reason', 'length'],
    ['reason of 201 astral code points', { ...refund, reason: '🚇'.repeat(201) }, 'reason', 'length'],
    ['reason of 200 CJK and 1 astral code point', { ...refund, reason: `${'退'.repeat(200)}🚇` }, 'reason', 'length'],
    ['reason with a line feed', { ...refund, reason: 'gate\nfault' }, 'reason', 'charset'],
    ['reason with a tab', { ...refund, reason: 'gate\tfault' }, 'reason', 'charset'],
    ['reason with DEL', { ...refund, reason: 'gate\u007f' }, 'reason', 'charset'],
    ['reason with a C1 control', { ...refund, reason: 'gate\u0085' }, 'reason', 'charset'],
    ['reason with a bidi override', { ...refund, reason: 'gate\u202efault' }, 'reason', 'charset'],
    ['reason with a zero-width space', { ...refund, reason: 'gate\u200bfault' }, 'reason', 'charset'],
    ['reason with a BOM', { ...refund, reason: '\ufeffgate' }, 'reason', 'charset'],
    ['reason with a lone surrogate', { ...refund, reason: 'gate\ud800' }, 'reason', 'charset'],
    ['reason with a line separator', { ...refund, reason: 'gate\u2028fault' }, 'reason', 'charset'],
    ['reason as a number', { ...refund, reason: 42 }, 'reason', 'type'],
    ['authorizedBy with a space', { ...refund, authorizedBy: 'admin li' }, 'authorizedBy', 'charset'],
    ['createdAtMs in seconds', { ...refund, createdAtMs: 1_772_520_000 }, 'createdAtMs', 'range'],
    ['an operatorId', { ...refund, operatorId: 'szmc' }, 'operatorId', 'not-allowed'],
  ])('rejects %s', (_name, input, field, code) => {
    expect(rejection(input)).toEqual([field, code]);
  });
});
