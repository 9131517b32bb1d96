import { AssertionError, type Entry, examples, parseEntry } from '@fareledger/domain';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, sameFields } from './canonical-reader.js';
import { decodeStepwise, encodeEntry } from './entry-codec.js';
import { exampleEntries, fromHex, hex, reasonOf } from './test-fixtures.js';
import { wireFields } from './wire-fields.js';

// Indexes used below: 0 metro tap-in, 1 bus tap, 2 taxi tap, 3 metro trip, 4 incomplete metro trip, 5 bus trip, ...
const all = exampleEntries.filter((entry) => entry.type !== 'tap' || entry.tap !== examples.metroTapOut);

type Body = Record<string, unknown>;
const bodyOf = (entry: Entry): Body => (entry as unknown as Record<string, Body>)[entry.type] as Body;
const withBody = (entry: Entry, body: Body): Entry => ({ type: entry.type, [entry.type]: body }) as unknown as Entry;

describe('decodeCanonical', () => {
  // Besides the examples: every str header (fix, 8, 16), negative ints in each format.
  const edges: Entry[] = [
    { type: 'tap', tap: { ...examples.busTap, account: 'a'.repeat(40), utcOffsetMin: -20 } },
    { type: 'tap', tap: { ...examples.busTap, utcOffsetMin: -100 } },
    { type: 'tap', tap: { ...examples.busTap, utcOffsetMin: -720 } },
    { type: 'adjustment', adjustment: { ...examples.refund, reason: '退'.repeat(200) } },
  ];
  it.each([...all, ...edges].map((entry) => [entry.type, entry] as const))('accepts a valid %s entry in one pass, as the step-by-step decoder does', (_type, entry) => {
    const bytes = encodeEntry(entry);
    const fast = decodeCanonical(bytes, parseEntry);
    expect(fast).toEqual(entry);
    expect(fast).toEqual(decodeStepwise(bytes));
  });

  // Each is a valid entry's bytes with one thing changed that the one pass must not accept;
  // decodeEntry then gets the reason from the step-by-step decoder.
  const bus = hex(encodeEntry({ type: 'tap', tap: examples.busTap }));
  it.each([
    ['utcOffsetMin 480 as uint 32', bus.replace('cd01e0', 'ce000001e0'), 'non-canonical-int'],
    ['utcOffsetMin -40000, an int 32', bus.replace('cd01e0', 'd2ffff63c0'), 'invalid-value'],
    ['a fixstr value as str 8', bus.replace('a44d333735', 'd9044d333735'), 'non-canonical-length'],
    ['the map as map 16', `de000d${bus.slice(2)}`, 'non-canonical-length'],
    ['a trailing byte', `${bus}00`, 'trailing-bytes'],
    ['one byte short', bus.slice(0, -2), 'truncated'],
    ['v: 2', bus.replace('a17601', 'a17602'), 'unknown-version'],
    ['routeId and vehicleId swapped', bus.replace('a7726f7574654964a44d333735a976656869636c654964a7422d3735333231', 'a976656869636c654964a7422d3735333231a7726f7574654964a44d333735'), 'key-order'],
    ['a key outside the schema', bus.replace('a7726f7574654964', 'a7726f7574654958'), 'unknown-field'],
    ['routeId as an int', bus.replace('a7726f7574654964a44d333735', 'a7726f757465496405'), 'wrong-type'],
    ['a bad routeId', bus.replace('a44d333735', 'a44d3f3735'), 'invalid-value'],
    ['an invalid UTF-8 byte in a value', bus.replace('a44d333735', 'a44dff3735'), 'invalid-utf8'],
  ])('gives up on %s (decodeEntry: %s)', (_name, text, reason) => {
    const bytes = fromHex(text);
    expect(decodeCanonical(bytes, parseEntry)).toBeUndefined();
    expect(reasonOf(bytes)).toBe(reason);
  });
});

// The check that replaced re-encoding: for each way a domain parse could change what it
// returns, both the old check (re-encode the parsed entry, compare bytes) and the new one
// (sameFields, through decodeCanonical) are run. Wherever re-encoding would have refused the
// bytes, the one pass must give up too (the step-by-step decoder, which still re-encodes,
// then decides); where re-encoding gives the same bytes, sameFields may only be stricter.
describe('sameFields in place of re-encoding', () => {
  // [what the parse changes, entry, the change, [sameFields accepts, re-encoding accepts]]
  const doctorings: [string, Entry, (body: Body) => Body, [boolean, boolean]][] = [
    ['nothing', all[3] as Entry, (body) => body, [true, true]],
    ['0 into -0 (=== and the same byte)', all[3] as Entry, (body) => ({ ...body, discountFen: -0 }), [true, true]],
    ['a string normalised', all[0] as Entry, (body) => ({ ...body, stationId: 'l1-s07' }), [false, false]],
    ['an int rounded', all[0] as Entry, (body) => ({ ...body, eventTimeMs: Math.floor((body['eventTimeMs'] as number) / 1000) * 1000 }), [false, false]],
    ['an int retyped as a string', all[1] as Entry, (body) => ({ ...body, utcOffsetMin: '480' }), [false, false]],
    ['an optional field dropped', all[3] as Entry, ({ distanceM: _, ...body }) => body, [false, false]],
    ['a schema field added', all[3] as Entry, (body) => ({ ...body, reasonCode: 'transfer' }), [false, false]],
    ['a field outside the schema added', all[1] as Entry, (body) => ({ ...body, color: 'red' }), [false, false]],
    ['a field set to undefined', all[1] as Entry, (body) => ({ ...body, vehicleId: undefined }), [false, false]],
    ['a list item changed', all[3] as Entry, (body) => ({ ...body, tapKeys: [(body['tapKeys'] as string[])[0], 'x/y'] }), [false, false]],
    ['a list item dropped', all[3] as Entry, (body) => ({ ...body, tapKeys: (body['tapKeys'] as string[]).slice(0, 1) }), [false, false]],
    ['a list turned into a string', all[5] as Entry, (body) => ({ ...body, tapKeys: (body['tapKeys'] as string[])[0] }), [false, false]],
    // The writer orders fields by the schema, so re-encoding cannot see an order; sameFields
    // gives up on one, and the step-by-step decoder (which re-encodes) decides.
    ['the fields reversed', all[1] as Entry, (body) => Object.fromEntries(Object.entries(body).reverse()), [false, true]],
    ['a field moved last', all[5] as Entry, ({ tripId, ...body }) => ({ ...body, tripId }), [false, true]],
  ];

  /** What the old decoder did after parsing: writeEntry(parsed) and compare with the bytes. */
  function reencodingAccepts(parsed: Entry, bytes: Uint8Array): boolean {
    try {
      return hex(encodeEntry(parsed)) === hex(bytes);
    } catch (error) {
      if (error instanceof AssertionError) return false; // the old writer asserted too: not accepted
      throw error;
    }
  }

  it.each(doctorings)('the parse changes %s', (_name, entry, doctor, expected) => {
    const bytes = encodeEntry(entry);
    const parse = (input: unknown): Entry => {
      const parsed = parseEntry(input);
      return withBody(parsed, doctor(bodyOf(parsed)));
    };
    const fastAccepts = decodeCanonical(bytes, parse) !== undefined;
    const oldAccepts = reencodingAccepts(parse(decodeStepwise(bytes)), bytes);
    expect([fastAccepts, oldAccepts]).toEqual(expected);
    // Whatever re-encoding refused, the one pass refuses too.
    if (!oldAccepts) expect(fastAccepts).toBe(false);
  });

  it('compares lists item by item, and only for str-list fields', () => {
    const fields = wireFields.trip.filter(({ name }) => name === 'tripId' || name === 'tapKeys');
    const read = ['a/b', ['a/b', 'c/d']];
    expect(sameFields(fields, read, 2, { tripId: 'a/b', tapKeys: ['a/b', 'c/d'] })).toBe(true);
    expect(sameFields(fields, read, 2, { tripId: 'a/b', tapKeys: ['a/b', 'c/e'] })).toBe(false);
    expect(sameFields(fields, read, 2, { tripId: 'a/b', tapKeys: ['a/b'] })).toBe(false);
    expect(sameFields(fields, read, 2, { tripId: 'a/b', tapKeys: ['a/b', 'c/d', 'e/f'] })).toBe(false);
    expect(sameFields(fields, read, 2, { tripId: ['a/b'], tapKeys: ['a/b', 'c/d'] })).toBe(false);
    expect(sameFields(fields, read, 2, { tripId: 'a/b' })).toBe(false);
    expect(sameFields(fields, read, 1, { tripId: 'a/b' })).toBe(true);
    expect(sameFields(fields, read, 1, { tripId: 'a/b', extra: undefined })).toBe(false);
  });

  it('skips inherited enumerable keys, as re-encoding (Object.keys) did', () => {
    const fields = wireFields.tap.filter(({ name }) => name === 'tapId');
    const parsed = Object.create({ inherited: 1 }) as Body;
    parsed['tapId'] = 't1';
    expect(sameFields(fields, ['t1'], 1, parsed)).toBe(true);
  });
});
