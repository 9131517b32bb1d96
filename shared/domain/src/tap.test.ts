import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { busTap, metroTapIn, metroTapOut, taxiTap } from './examples.js';
import { timeMsMax, timeMsMin } from './limits.js';
import { mulberry32 } from './seeded-random.js';
import { parseTap, type Tap, type TapFieldValues, tapKey, tapOfFields } from './tap.js';

function rejection(input: unknown): [string, string] {
  try {
    parseTap(input);
  } catch (error) {
    if (error instanceof ValidationError) return [error.field, error.code];
    throw error;
  }
  throw new Error('accepted');
}

/** Records parseTap refuses: [what, record, the field it names, the code]. */
const rejected: [string, Record<string, unknown>, string, string][] = [
  ['missing tapId', { ...busTap, tapId: undefined }, 'tapId', 'missing'],
  ['empty tapId', { ...busTap, tapId: '' }, 'tapId', 'length'],
  ['tapId of 65 chars', { ...busTap, tapId: 'x'.repeat(65) }, 'tapId', 'length'],
  ['tapId with a slash', { ...busTap, tapId: 'a/b' }, 'tapId', 'charset'],
  ['tapId with a space', { ...busTap, tapId: 'a b' }, 'tapId', 'charset'],
  ['deviceId with a control char', { ...busTap, deviceId: 'bv\u00000457' }, 'deviceId', 'charset'],
  ['numeric operatorId', { ...busTap, operatorId: 7 }, 'operatorId', 'type'],
  ['account with a space', { ...busTap, account: 'wa 1' }, 'account', 'charset'],
  ['account with non-ASCII', { ...busTap, account: 'wa_账户' }, 'account', 'charset'],
  ['account of 129 chars', { ...busTap, account: 'a'.repeat(129) }, 'account', 'length'],
  ['unknown mode', { ...busTap, mode: 'ferry' }, 'mode', 'range'],
  ['unknown kind', { ...busTap, kind: 'exit' }, 'kind', 'range'],
  ['bus tap of kind in', { ...busTap, kind: 'in' }, 'kind', 'invariant'],
  ['metro tap of kind single', { ...metroTapIn, kind: 'single' }, 'kind', 'invariant'],
  ['taxi tap of kind out', { ...taxiTap, kind: 'out' }, 'kind', 'invariant'],
  ['metro tap without station', { ...metroTapIn, stationId: undefined }, 'stationId', 'missing'],
  ['metro tap with a routeId', { ...metroTapIn, routeId: 'M375' }, 'routeId', 'not-allowed'],
  ['bus tap with a stationId', { ...busTap, stationId: 'L1-S07' }, 'stationId', 'not-allowed'],
  ['bus tap with a distance', { ...busTap, distanceM: 10 }, 'distanceM', 'not-allowed'],
  ['bus tap without vehicle', { ...busTap, vehicleId: undefined }, 'vehicleId', 'missing'],
  ['unknown field', { ...busTap, zone: 'A' }, 'zone', 'not-allowed'],
  ['time as a string', { ...busTap, eventTimeMs: '1772413331000' }, 'eventTimeMs', 'type'],
  ['time as a bigint', { ...busTap, eventTimeMs: 1772413331000n }, 'eventTimeMs', 'type'],
  ['fractional time', { ...busTap, eventTimeMs: 1772413331000.5 }, 'eventTimeMs', 'range'],
  ['time before 2000', { ...busTap, eventTimeMs: timeMsMin - 1 }, 'eventTimeMs', 'range'],
  ['time from 2200', { ...busTap, receivedAtMs: timeMsMax + 1 }, 'receivedAtMs', 'range'],
  ['time in seconds', { ...busTap, eventTimeMs: 1_772_413_331 }, 'eventTimeMs', 'range'],
  ['offset below -12:00', { ...busTap, utcOffsetMin: -721 }, 'utcOffsetMin', 'range'],
  ['offset above +14:00', { ...busTap, utcOffsetMin: 841 }, 'utcOffsetMin', 'range'],
  ['NaN offset', { ...busTap, utcOffsetMin: Number.NaN }, 'utcOffsetMin', 'range'],
  ['negative distance', { ...taxiTap, distanceM: -1 }, 'distanceM', 'range'],
  ['distance over 1000 km', { ...taxiTap, distanceM: 1_000_001 }, 'distanceM', 'range'],
  ['duration over a day', { ...taxiTap, durationS: 86_401 }, 'durationS', 'range'],
  ['waiting longer than the ride', { ...taxiTap, waitingS: taxiTap.durationS + 1 }, 'waitingS', 'invariant'],
  ['taxi without waitingS', { ...taxiTap, waitingS: undefined }, 'waitingS', 'missing'],
];

describe('parseTap', () => {
  it.each([metroTapIn, metroTapOut, busTap, taxiTap])('accepts the $mode $kind example as it is', (tap: Tap) => {
    const parsed = parseTap(tap);
    expect(parsed).toEqual(tap);
    expect(parsed).not.toBe(tap);
    expect(Object.keys(parsed)).toEqual(Object.keys(tap));
  });

  it('returns fields in ledger order whatever the input order', () => {
    const shuffled = Object.fromEntries(Object.entries(taxiTap).reverse());
    expect(Object.keys(parseTap(shuffled))).toEqual([
      'tapId', 'deviceId', 'operatorId', 'account', 'mode', 'kind', 'vehicleId',
      'eventTimeMs', 'utcOffsetMin', 'distanceM', 'durationS', 'waitingS', 'receivedAtMs',
    ]);
  });

  it('treats undefined as absent and -0 as 0', () => {
    expect(parseTap({ ...busTap, stationId: undefined, utcOffsetMin: -0 })).toEqual({ ...busTap, utcOffsetMin: 0 });
    expect(Object.is(parseTap({ ...busTap, utcOffsetMin: -0 }).utcOffsetMin, 0)).toBe(true);
  });

  it('accepts the bounds', () => {
    const edge = { ...taxiTap, eventTimeMs: timeMsMin, receivedAtMs: timeMsMax, utcOffsetMin: -720, durationS: 86_400, waitingS: 86_400, distanceM: 0 };
    expect(parseTap(edge)).toEqual(edge);
    expect(parseTap({ ...busTap, utcOffsetMin: 840, tapId: 'x'.repeat(64), account: '~'.repeat(128) }).utcOffsetMin).toBe(840);
  });

  it.each([
    ['not an object', 'tap', '', 'type'],
    ['an array', [busTap], '', 'type'],
    ['a Map', new Map(Object.entries(busTap)), '', 'type'],
  ])('rejects %s', (_name, input, field, code) => {
    expect(rejection(input)).toEqual([field, code]);
  });

  it.each(rejected)('rejects %s', (_name, input, field, code) => {
    expect(rejection(input)).toEqual([field, code]);
  });

  it('names the path it was given', () => {
    expect(() => parseTap({ ...busTap, routeId: '' }, 'taps[3]')).toThrow('taps[3].routeId: must be 1..64 characters');
  });
});

describe('tapKey', () => {
  it('is deviceId/tapId', () => {
    expect(tapKey(busTap)).toBe('bv-0457/88412');
    expect(tapKey(metroTapIn)).toBe('szm-l1-g042/g042-000123');
  });
});

// tapOfFields is parseTap for decoders that read the fields themselves: it must accept
// exactly what parseTap accepts, as the same tap with the same field order.
describe('tapOfFields', () => {
  const fieldNames: readonly (keyof TapFieldValues)[] = [
    'tapId', 'deviceId', 'operatorId', 'account', 'mode', 'kind', 'stationId', 'routeId', 'vehicleId',
    'eventTimeMs', 'utcOffsetMin', 'distanceM', 'durationS', 'waitingS', 'receivedAtMs',
  ];
  const fieldsOf = (record: Record<string, unknown>): TapFieldValues =>
    Object.fromEntries(fieldNames.map((name) => [name, record[name]])) as unknown as TapFieldValues;
  /** parseTap's answer: the tap, or undefined when it throws a ValidationError. */
  const parsed = (record: Record<string, unknown>): Tap | undefined => {
    try {
      return parseTap(record);
    } catch (error) {
      if (error instanceof ValidationError) return undefined;
      throw error;
    }
  };
  const expectSameAsParseTap = (record: Record<string, unknown>) => {
    const expected = parsed(record);
    const tap = tapOfFields(fieldsOf(record));
    expect(tap).toEqual(expected);
    if (tap !== undefined) expect(Object.keys(tap)).toEqual(Object.keys(expected as Tap));
  };

  it.each([metroTapIn, metroTapOut, busTap, taxiTap])('returns the $mode $kind example as parseTap does', (tap: Tap) => {
    expect(tapOfFields(fieldsOf(tap as unknown as Record<string, unknown>))).toEqual(tap);
    expectSameAsParseTap(tap as unknown as Record<string, unknown>);
  });

  // A field outside the fifteen cannot reach it: the decoder refuses an unknown key first.
  it.each(rejected.filter(([, record]) => Object.keys(record).every((key) => (fieldNames as readonly string[]).includes(key))))(
    'refuses %s, as parseTap does', (_name, record) => {
      expect(tapOfFields(fieldsOf(record))).toBeUndefined();
      expectSameAsParseTap(record);
    });

  it('agrees with parseTap on 20,000 generated records', () => {
    const random = mulberry32(0x7a90);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const strings = ['a', 'x'.repeat(64), 'x'.repeat(65), '', 'a/b', 'a b', '~'.repeat(128), '~'.repeat(129), 'wa_账户', 'metro', 'bus',
      'taxi', 'in', 'out', 'single', 'metered', 'ferry', 'szm-l1-s01', 'B101'];
    const ints = [0, 1, -1, -720, -721, 840, 841, 86_400, 86_401, 1_000_000, 1_000_001, timeMsMin, timeMsMin - 1, timeMsMax, timeMsMax + 1,
      1_772_413_331_000, 2 ** 53 - 1];
    const examplesByMode = [metroTapIn, metroTapOut, busTap, taxiTap];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const record: Record<string, unknown> = { ...pick(examplesByMode) };
      for (let change = Math.floor(random() * 4); change > 0; change--) {
        const name = pick(fieldNames);
        const isInt = fieldNames.indexOf(name) >= fieldNames.indexOf('eventTimeMs');
        if (random() < 0.25) delete record[name];
        else record[name] = isInt ? pick(ints) : pick(strings);
      }
      expectSameAsParseTap(record);
      if (parsed(record) !== undefined) accepted++;
    }
    expect(accepted).toBeGreaterThan(3_000);
    expect(accepted).toBeLessThan(17_000);
  });
});
