import { describe, expect, it } from 'vitest';
import { adjustmentEntry, type Entry, entryAccount, parseEntry, tapEntry, tripEntry } from './entry.js';
import { ValidationError } from './errors.js';
import { busTap, refund, taxiTrip } from './examples.js';

describe('parseEntry', () => {
  it.each<Entry>([tapEntry(busTap), tripEntry(taxiTrip), adjustmentEntry(refund)])('accepts a $type entry', (entry) => {
    expect(parseEntry(entry)).toEqual(entry);
  });

  it.each<[string, unknown, string, string]>([
    ['an unknown type', { type: 'block', tap: busTap }, 'type', 'range'],
    ['a body under the wrong name', { type: 'tap', trip: busTap }, 'tap', 'missing'],
    ['a second body', { type: 'tap', tap: busTap, trip: taxiTrip }, 'trip', 'not-allowed'],
    ['a bad field in the body', { type: 'tap', tap: { ...busTap, routeId: '' } }, 'tap.routeId', 'length'],
    ['a body that is not an object', { type: 'adjustment', adjustment: 'refund' }, 'adjustment', 'type'],
    ['null', null, '', 'type'],
  ])('rejects %s', (_name, input, field, code) => {
    expect(() => parseEntry(input)).toThrow(ValidationError);
    try {
      parseEntry(input);
    } catch (error) {
      expect([(error as ValidationError).field, (error as ValidationError).code]).toEqual([field, code]);
    }
  });
});

describe('entryAccount', () => {
  it('is the account of the tap, trip or adjustment', () => {
    expect(entryAccount(tapEntry({ ...busTap, account: 'a1' }))).toBe('a1');
    expect(entryAccount(tripEntry({ ...taxiTrip, account: 'a2' }))).toBe('a2');
    expect(entryAccount(adjustmentEntry({ ...refund, account: 'a3' }))).toBe('a3');
  });
});
