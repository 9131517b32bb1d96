import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { busTap, busTrip, metroIncompleteTrip, metroTapIn, metroTrip, taxiTrip } from './examples.js';
import { mulberry32 } from './seeded-random.js';
import { checkTapKey, isParsedTrip, isTapKey, parseTrip, type Trip, tripIdFor } from './trip.js';

function rejection(input: unknown): [string, string] {
  try {
    parseTrip(input);
  } catch (error) {
    if (error instanceof ValidationError) return [error.field, error.code];
    throw error;
  }
  throw new Error('accepted');
}

const missingTapIn = {
  ...metroIncompleteTrip,
  fromStationId: undefined,
  toStationId: 'L5-S09',
  reasonCode: 'missing-tap-in',
};

/** Records parseTrip refuses: [what, record, the field it names, the code]. */
const rejected: [string, Record<string, unknown>, string, string][] = [
  ['tripId that is not a tap key', { ...busTrip, tripId: '88412' }, 'tripId', 'charset'],
  ['tripId with two slashes', { ...busTrip, tripId: 'a/b/c' }, 'tripId', 'charset'],
  ['tripId with an empty device', { ...busTrip, tripId: '/88412' }, 'tripId', 'length'],
  ['tripId not the first tap', { ...metroTrip, tripId: metroTrip.tapKeys[1] }, 'tripId', 'invariant'],
  ['no tapKeys', { ...busTrip, tapKeys: undefined }, 'tapKeys', 'missing'],
  ['empty tapKeys', { ...busTrip, tapKeys: [] }, 'tapKeys', 'length'],
  ['three tapKeys', { ...metroTrip, tapKeys: [...metroTrip.tapKeys, 'a/b'] }, 'tapKeys', 'length'],
  ['tapKeys as a string', { ...busTrip, tapKeys: 'bv-0457/88412' }, 'tapKeys', 'type'],
  ['a bad tap key', { ...metroTrip, tapKeys: [metroTrip.tapKeys[0], 'nope'] }, 'tapKeys[1]', 'charset'],
  ['the same tap twice', { ...metroTrip, tapKeys: [metroTrip.tripId, metroTrip.tripId] }, 'tapKeys', 'invariant'],
  ['a complete metro trip of one tap', { ...metroTrip, tapKeys: [metroTrip.tripId] }, 'tapKeys', 'invariant'],
  ['an incomplete metro trip of two taps', { ...metroTrip, status: 'incomplete' }, 'tapKeys', 'invariant'],
  ['a bus trip of two taps', { ...busTrip, tapKeys: [busTrip.tripId, 'bv-0457/88413'] }, 'tapKeys', 'invariant'],
  ['an incomplete bus trip', { ...busTrip, status: 'incomplete' }, 'status', 'invariant'],
  ['unknown status', { ...busTrip, status: 'open' }, 'status', 'range'],
  ['complete metro trip without toStationId', { ...metroTrip, toStationId: undefined }, 'toStationId', 'missing'],
  ['incomplete metro trip with both stations', { ...metroIncompleteTrip, toStationId: 'L5-S09' }, 'fromStationId', 'invariant'],
  ['incomplete metro trip with no station', { ...metroIncompleteTrip, fromStationId: undefined }, 'fromStationId', 'invariant'],
  ['metro trip with a routeId', { ...metroTrip, routeId: 'M375' }, 'routeId', 'not-allowed'],
  ['bus trip with a station', { ...busTrip, fromStationId: 'L1-S07' }, 'fromStationId', 'not-allowed'],
  ['taxi trip without distance', { ...taxiTrip, distanceM: undefined }, 'distanceM', 'missing'],
  ['taxi trip with a routeId', { ...taxiTrip, routeId: 'M375' }, 'routeId', 'not-allowed'],
  ['end before start', { ...metroTrip, endMs: metroTrip.startMs - 1 }, 'endMs', 'invariant'],
  ['a trip longer than 24 h', { ...taxiTrip, startMs: taxiTrip.endMs - 86_400_001 }, 'endMs', 'invariant'],
  ['negative fare', { ...busTrip, fareFen: -200, discountFen: 0, chargedFen: -200 }, 'fareFen', 'range'],
  ['fractional fare', { ...busTrip, fareFen: 200.5 }, 'fareFen', 'range'],
  ['fare over the maximum', { ...busTrip, fareFen: 10_000_001 }, 'fareFen', 'range'],
  ['discount over fare', { ...busTrip, discountFen: 300, chargedFen: -100 }, 'chargedFen', 'range'],
  ['discount over fare, charged 0', { ...busTrip, discountFen: 300, chargedFen: 0 }, 'discountFen', 'invariant'],
  ['charged not fare minus discount', { ...busTrip, chargedFen: 200 }, 'chargedFen', 'invariant'],
  ['fare table version with a space', { ...busTrip, fareTableVersion: 'v 1' }, 'fareTableVersion', 'charset'],
  ['upper-case reason code', { ...busTrip, reasonCode: 'Transfer' }, 'reasonCode', 'charset'],
  ['reason code with a double hyphen', { ...busTrip, reasonCode: 'a--b' }, 'reasonCode', 'charset'],
  ['reason code of 33 chars', { ...busTrip, reasonCode: 'a'.repeat(33) }, 'reasonCode', 'length'],
];

describe('parseTrip', () => {
  it.each([metroTrip, metroIncompleteTrip, busTrip, taxiTrip])('accepts the $mode $status example as it is', (trip: Trip) => {
    const parsed = parseTrip(trip);
    expect(parsed).toEqual(trip);
    expect(Object.keys(parsed)).toEqual(Object.keys(trip));
  });

  it('accepts an incomplete metro trip that knows only its exit', () => {
    const { fromStationId: _, ...expected } = missingTapIn;
    expect(parseTrip(missingTapIn)).toEqual(expected);
  });

  it('returns fields in ledger order whatever the input order', () => {
    const shuffled = Object.fromEntries(Object.entries(metroTrip).reverse());
    expect(Object.keys(parseTrip(shuffled))).toEqual([
      'tripId', 'account', 'operatorId', 'mode', 'status', 'tapKeys', 'fromStationId', 'toStationId',
      'startMs', 'endMs', 'distanceM', 'fareTableVersion', 'fareFen', 'discountFen', 'chargedFen',
    ]);
  });

  it('accepts a full discount and a trip of exactly 24 h', () => {
    const free = { ...busTrip, discountFen: 200, chargedFen: 0 };
    expect(parseTrip(free)).toEqual(free);
    const long = { ...taxiTrip, startMs: taxiTrip.endMs - 86_400_000 };
    expect(parseTrip(long)).toEqual(long);
  });

  it.each(rejected)('rejects %s', (_name, input, field, code) => {
    expect(rejection(input)).toEqual([field, code]);
  });
});

describe('tripIdFor / checkTapKey', () => {
  it("is the first tap's key", () => {
    expect(tripIdFor(metroTapIn)).toBe(metroTrip.tripId);
    expect(tripIdFor(busTap)).toBe(busTrip.tripId);
  });

  it('accepts two identifiers joined by a slash, at most 129 chars', () => {
    const longest = `${'d'.repeat(64)}/${'t'.repeat(64)}`;
    expect(checkTapKey('k', longest)).toBe(longest);
    expect(() => checkTapKey('k', `${longest}x`)).toThrow('k: must be at most 129 characters');
    expect(() => checkTapKey('k', 'd/t/x')).toThrow("k: must be 'deviceId/tapId'");
  });
});

describe('isTapKey', () => {
  // parseTrip and parseAdjustment take a value isTapKey passes without running checkTapKey,
  // so the two must agree on every value.
  it('passes exactly the values checkTapKey returns unchanged', () => {
    const alphabet = ['a', 'Z', '0', '.', '_', ':', '-', '/', ' ', 'é', '\n'];
    let seed = 0x1234_5678;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    const lengths = [0, 1, 2, 3, 63, 64, 65, 66, 128, 129, 130, 131];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let value: string;
      if (i % 2 === 0) {
        // Two parts around one slash, each 0..66 long, now and then with a bad character.
        const part = () => Array.from({ length: next(67) }, () => (next(40) === 0 ? (alphabet[next(alphabet.length)] as string) : 'x')).join('');
        value = `${part()}/${part()}`;
      } else {
        value = Array.from({ length: lengths[next(lengths.length)] as number }, () => alphabet[next(alphabet.length)] as string).join('');
      }
      let checked: boolean;
      try {
        checked = checkTapKey('k', value) === value;
      } catch {
        checked = false;
      }
      expect([value, isTapKey(value)]).toEqual([value, checked]);
      if (checked) accepted++;
    }
    expect(accepted).toBeGreaterThan(3_000);
    expect([isTapKey(7), isTapKey(undefined), isTapKey(['a/b'])]).toEqual([false, false, false]);
  });
});

// isParsedTrip is parseTrip without the copy, for the encoder: on records of schema fields it
// must accept exactly what parseTrip accepts.
describe('isParsedTrip', () => {
  const fieldNames = [
    'tripId', 'account', 'operatorId', 'mode', 'status', 'tapKeys', 'fromStationId', 'toStationId', 'routeId', 'vehicleId',
    'startMs', 'endMs', 'distanceM', 'fareTableVersion', 'fareFen', 'discountFen', 'chargedFen', 'reasonCode',
  ];
  const accepts = (record: unknown): boolean => {
    try {
      parseTrip(record);
      return true;
    } catch (error) {
      if (error instanceof ValidationError) return false;
      throw error;
    }
  };

  it.each([metroTrip, metroIncompleteTrip, missingTapIn, busTrip, taxiTrip])('accepts the $mode $status example', (trip) => {
    expect(isParsedTrip(trip)).toBe(true);
  });

  it.each(rejected)('refuses %s, as parseTrip does', (_name, record) => {
    expect(isParsedTrip(record)).toBe(false);
  });

  it('refuses what is not a plain record', () => {
    for (const value of [null, 'trip', [busTrip], new Map(Object.entries(busTrip))]) expect(isParsedTrip(value)).toBe(false);
  });

  it('agrees with parseTrip on 20,000 generated records', () => {
    const random = mulberry32(0x7219);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const values: unknown[] = [
      'a', 'a/b', 'x'.repeat(64), 'x'.repeat(65), '', 'a b', 'Transfer', 'transfer', 'daily-cap', 'a--b', '~'.repeat(128), '~'.repeat(129),
      'metro', 'bus', 'taxi', 'complete', 'incomplete', 'L1-S07', 'M375', '2026.1',
      0, 1, -1, 200, 300, 10_000_000, 10_000_001, 200.5, metroTrip.startMs, metroTrip.endMs, metroTrip.startMs - 86_400_001, 1_000_001,
      [metroTrip.tripId], [metroTrip.tripId, metroTrip.tapKeys[1]], [metroTrip.tripId, metroTrip.tripId], [], ['nope'], [metroTrip.tripId, 'nope'],
      [busTrip.tripId], [taxiTrip.tripId], undefined,
    ];
    const examples = [metroTrip, metroIncompleteTrip, missingTapIn, busTrip, taxiTrip];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const record: Record<string, unknown> = { ...pick(examples) };
      for (let change = Math.floor(random() * 4); change > 0; change--) {
        const name = pick(fieldNames);
        if (random() < 0.2) delete record[name];
        else record[name] = pick(values);
      }
      const expected = accepts(record);
      expect(isParsedTrip(record), JSON.stringify(record)).toBe(expected);
      if (expected) accepted++;
    }
    expect(accepted).toBeGreaterThan(3_000);
    expect(accepted).toBeLessThan(17_000);
  });
});
