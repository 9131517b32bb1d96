import { AssertionError, type Entry, examples, parseEntry } from '@fareledger/domain';
import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry } from './entry-codec.js';
import { entryBytesMax, entryFields } from './entry-schema.js';
import { EntryDecodeError } from './errors.js';
import { exampleEntries, fromHex, hex, reasonOf } from './test-fixtures.js';

const all = exampleEntries;

function label(entry: Entry): string {
  if (entry.type === 'tap') return `tap ${entry.tap.mode} ${entry.tap.kind}`;
  if (entry.type === 'trip') return `trip ${entry.trip.mode} ${entry.trip.status}`;
  return `adjustment ${entry.adjustment.kind}`;
}

describe('encodeEntry / decodeEntry', () => {
  it.each(all.map((entry) => [label(entry), entry] as const))('round-trips a %s', (_label, entry) => {
    const bytes = encodeEntry(entry);
    const decoded = decodeEntry(bytes);
    expect(decoded).toEqual(entry);
    expect(hex(encodeEntry(decoded))).toBe(hex(bytes));
  });

  // Written from the msgpack spec by hand, not by the encoder: the bytes are plain msgpack.
  it('writes the bus tap as the hand-computed bytes', () => {
    const expected = [
      '8d', //                                           fixmap, 13 pairs
      'a1 76', '01', //                                  "v": 1 (positive fixint)
      'a4 74 79 70 65', 'a3 74 61 70', //                "type": "tap"
      'a5 74 61 70 49 64', 'a5 38 38 34 31 32', //       "tapId": "88412"
      'a8 64 65 76 69 63 65 49 64', 'a7 62 76 2d 30 34 35 37', // "deviceId": "bv-0457"
      'aa 6f 70 65 72 61 74 6f 72 49 64', 'a5 73 7a 62 75 73', // "operatorId": "szbus"
      'a7 61 63 63 6f 75 6e 74', 'ab 77 61 5f 37 48 71 32 78 4b 39 70', // "account": "wa_7Hq2xK9p"
      'a4 6d 6f 64 65', 'a3 62 75 73', //                "mode": "bus"
      'a4 6b 69 6e 64', 'a6 73 69 6e 67 6c 65', //       "kind": "single"
      'a7 72 6f 75 74 65 49 64', 'a4 4d 33 37 35', //    "routeId": "M375"
      'a9 76 65 68 69 63 6c 65 49 64', 'a7 42 2d 37 35 33 32 31', // "vehicleId": "B-75321"
      'ab 65 76 65 6e 74 54 69 6d 65 4d 73', 'cf 00 00 01 9c ac 11 26 38', // "eventTimeMs": uint 64 0x19cac112638
      'ac 75 74 63 4f 66 66 73 65 74 4d 69 6e', 'cd 01 e0', // "utcOffsetMin": uint 16 480
      'ac 72 65 63 65 69 76 65 64 41 74 4d 73', 'cf 00 00 01 9c ac 11 27 0a', // "receivedAtMs": ...638 + 210
    ].join(' ');
    const bytes = encodeEntry({ type: 'tap', tap: examples.busTap });
    expect(hex(bytes)).toBe(hex(fromHex(expected)));
    expect(bytes.length).toBe(190);
  });

  it('gives the same bytes whatever order the caller built the object in', () => {
    for (const entry of all) {
      const body = entry.type === 'tap' ? entry.tap : entry.type === 'trip' ? entry.trip : entry.adjustment;
      const reversed = Object.fromEntries(Object.entries(body).reverse());
      const rebuilt = { [entry.type]: reversed, type: entry.type } as unknown as Entry;
      expect(hex(encodeEntry(rebuilt))).toBe(hex(encodeEntry(entry)));
    }
  });

  it('leaves absent optional fields out: a trip without distanceM is two pairs shorter', () => {
    const { distanceM: _, ...withoutDistance } = examples.metroTrip;
    const withBytes = encodeEntry({ type: 'trip', trip: examples.metroTrip });
    const withoutBytes = encodeEntry({ type: 'trip', trip: withoutDistance });
    expect(hex(withBytes.subarray(0, 3))).toBe('de0011');
    expect(hex(withoutBytes.subarray(0, 3))).toBe('de0010');
    // 'distanceM' key (a9 + 9 bytes) and 14200 as uint 16 (cd 37 78) are gone.
    expect(withBytes.length - withoutBytes.length).toBe(10 + 3);
    expect(hex(withBytes)).toContain('a964697374616e63654dcd3778');
  });

  // A trip in parsed form is written as it is (isParsedTrip); any other goes through parseTrip's copy.
  it('writes a trip with an undefined or a reordered field as parseTrip\'s copy of it', () => {
    const trip = examples.metroIncompleteTrip;
    const expected = hex(encodeEntry({ type: 'trip', trip }));
    expect(hex(encodeEntry({ type: 'trip', trip: { ...trip, toStationId: undefined } as unknown as typeof trip }))).toBe(expected);
    const { reasonCode, ...rest } = trip;
    expect(hex(encodeEntry({ type: 'trip', trip: { reasonCode, ...rest } as typeof trip }))).toBe(expected);
  });

  it('decodes from a view into a larger buffer', () => {
    const bytes = encodeEntry({ type: 'tap', tap: examples.taxiTap });
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 7);
    expect(decodeEntry(big.subarray(7, 7 + bytes.length))).toEqual({ type: 'tap', tap: examples.taxiTap });
  });

  it('fits the largest valid entries in entryBytesMax', () => {
    const id = 'i'.repeat(64);
    const key = `${id}/${id}`;
    const trip: Entry = {
      type: 'trip',
      trip: {
        ...examples.metroTrip,
        tripId: key,
        account: '~'.repeat(128),
        operatorId: id,
        tapKeys: [key, `${id}/${'j'.repeat(64)}`],
        fromStationId: id,
        toStationId: id,
        fareTableVersion: id,
        fareFen: 10_000_000,
        chargedFen: 10_000_000,
        reasonCode: 'r'.repeat(32),
      },
    };
    const adjustment: Entry = {
      type: 'adjustment',
      adjustment: { ...examples.refund, adjustmentId: id, account: '~'.repeat(128), tripId: key, reason: '🚇'.repeat(200), authorizedBy: id },
    };
    // Summed by hand per pair (key bytes + value bytes), e.g. tapKeys: 8 + 1 + 2 × (2 + 129).
    expect(encodeEntry(trip).length).toBe(1040);
    // reason: 7 + 3 + 200 × 4 (str 16 of 800 bytes).
    expect(encodeEntry(adjustment).length).toBe(1310);
    expect(Math.max(encodeEntry(trip).length, encodeEntry(adjustment).length)).toBeLessThan(entryBytesMax);
  });

  it('lists, per type, the same fields in the same order as the domain', () => {
    for (const entry of all) {
      const body = entry.type === 'tap' ? entry.tap : entry.type === 'trip' ? entry.trip : entry.adjustment;
      const order = entryFields[entry.type].map(([name]) => name);
      const parsed = parseEntry(entry) as unknown as Record<string, object>;
      const keys = Object.keys(parsed[entry.type] as object);
      expect(keys).toEqual(order.filter((name) => Object.hasOwn(body, name)));
    }
  });
});

describe('encodeEntry on an invalid entry', () => {
  it.each<[string, unknown]>([
    ['a bad field', { type: 'tap', tap: { ...examples.busTap, routeId: '' } }],
    ['an extra field', { type: 'tap', tap: { ...examples.busTap, color: 'red' } }],
    ['a float', { type: 'trip', trip: { ...examples.busTrip, fareFen: 200.5 } }],
    ['an extra trip field', { type: 'trip', trip: { ...examples.busTrip, color: 'red' } }],
    ['an extra trip field, first', { type: 'trip', trip: { color: 'red', ...examples.busTrip } }],
    ['a bigint time', { type: 'tap', tap: { ...examples.busTap, eventTimeMs: 1772413331000n } }],
    ['an unknown type', { type: 'block' }],
  ])('fails an assertion: %s (a bug in the caller, not bad input)', (_name, entry) => {
    expect(() => encodeEntry(entry as Entry)).toThrow(AssertionError);
  });
});

describe('decodeEntry errors', () => {
  it('names the reason, field and offset', () => {
    const bytes = encodeEntry({ type: 'tap', tap: examples.busTap });
    const withFloat = fromHex(hex(bytes).replace('cd01e0', 'cb407e000000000000'));
    try {
      decodeEntry(withFloat);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EntryDecodeError);
      const e = error as EntryDecodeError;
      // 165 = the bytes before utcOffsetMin's value in the hand-computed layout above.
      expect([e.reason, e.offset, e.message]).toEqual(['float', 165, 'float: floats are never used']);
    }
  });

  it('carries the domain field and ValidationError as cause', () => {
    const wrongKind = fromHex(hex(encodeEntry({ type: 'tap', tap: examples.busTap })).replace('a673696e676c65', 'a6696e6f757421'));
    try {
      decodeEntry(wrongKind);
      expect.unreachable();
    } catch (error) {
      const e = error as EntryDecodeError;
      expect([e.reason, e.field, e.message]).toEqual(['invalid-value', 'kind', 'invalid-value: tap.kind: must be one of in, out, single, metered']);
      expect((e.cause as Error).name).toBe('ValidationError');
    }
  });

  it('rejects every one-byte truncation of every example', () => {
    for (const entry of all) {
      const bytes = encodeEntry(entry);
      for (let end = 0; end < bytes.length; end++) expect(reasonOf(bytes.subarray(0, end))).toBe('truncated');
    }
  });
});
