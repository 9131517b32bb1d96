import {
  type Adjustment,
  distanceMMax,
  parseEntry,
  durationSMax,
  type Entry,
  fenMax,
  type Tap,
  timeMsMax,
  timeMsMin,
  type Trip,
  tripDurationMsMax,
} from '@fareledger/domain';
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeCanonical } from './canonical-reader.js';
import { decodeEntry, decodeStepwise, encodeEntry } from './entry-codec.js';
import { EntryDecodeError } from './errors.js';
import { mulberry32 } from '@fareledger/domain';

// Property tests over generated entries. A seeded PRNG (mulberry32) keeps every run the
// same; change the seeds to explore, and paste a failing seed into a regular test.

/** Integers at msgpack format boundaries, so every int format shows up often. */
const boundaries = [0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296];

class Gen {
  constructor(readonly next: () => number) {}

  int(min: number, max: number): number {
    if (this.next() < 0.3) {
      const edges = [min, max, ...boundaries.filter((b) => b >= min && b <= max)];
      return edges[Math.floor(this.next() * edges.length)] as number;
    }
    // Two draws give the full 53-bit range its low bits.
    const span = max - min + 1;
    const draw = Math.floor(this.next() * 2 ** 21) * 2 ** 32 + Math.floor(this.next() * 2 ** 32);
    return min + (draw % span);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chars(alphabet: string, lengthMin: number, lengthMax: number): string {
    const symbols = [...alphabet];
    return Array.from({ length: this.int(lengthMin, lengthMax) }, () => this.pick(symbols)).join('');
  }

  id(): string {
    return this.chars('abcXYZ0189._:-', 1, this.pick([8, 31, 32, 64]));
  }

  account(): string {
    let ascii = '';
    for (let c = 0x21; c <= 0x7e; c++) ascii += String.fromCharCode(c);
    return this.chars(ascii, 1, 128);
  }

  text(): string {
    return this.chars('ab Z9,.!?é ü闸机故障退款🚇€\u00a0\u3000', 1, 200);
  }

  time(): number {
    return this.int(timeMsMin, timeMsMax - tripDurationMsMax);
  }
}

function tap(g: Gen): Tap {
  const head = { tapId: g.id(), deviceId: g.id(), operatorId: g.id(), account: g.account() };
  const time = { eventTimeMs: g.time(), utcOffsetMin: g.int(-720, 840) };
  const receivedAtMs = g.time();
  switch (g.pick(['metro', 'bus', 'taxi'] as const)) {
    case 'metro':
      return { ...head, mode: 'metro', kind: g.pick(['in', 'out'] as const), stationId: g.id(), ...time, receivedAtMs };
    case 'bus':
      return { ...head, mode: 'bus', kind: 'single', routeId: g.id(), vehicleId: g.id(), ...time, receivedAtMs };
    case 'taxi': {
      const durationS = g.int(0, durationSMax);
      const meter = { distanceM: g.int(0, distanceMMax), durationS, waitingS: g.int(0, durationS) };
      return { ...head, mode: 'taxi', kind: 'metered', vehicleId: g.id(), ...time, ...meter, receivedAtMs };
    }
  }
}

function trip(g: Gen): Trip {
  const key = () => `${g.id()}/${g.id()}`;
  const firstKey = key();
  const otherKey = (not: string): string => {
    const other = key();
    return other === not ? otherKey(not) : other;
  };
  const head = { tripId: firstKey, account: g.account(), operatorId: g.id() };
  const startMs = g.time();
  const fareFen = g.int(0, fenMax);
  const discountFen = g.int(0, fareFen);
  const distance = g.next() < 0.5 ? { distanceM: g.int(0, distanceMMax) } : {};
  const reason = g.next() < 0.5 ? { reasonCode: g.pick(['transfer', 'daily-cap', 'a', 'x9-y']) } : {};
  const tail = { startMs, endMs: startMs + g.int(0, tripDurationMsMax), ...distance, fareTableVersion: g.id() };
  const money = { fareFen, discountFen, chargedFen: fareFen - discountFen, ...reason };
  switch (g.pick(['metro', 'metro-incomplete', 'bus', 'taxi'] as const)) {
    case 'metro':
      return { ...head, mode: 'metro', status: 'complete', tapKeys: [firstKey, otherKey(firstKey)], fromStationId: g.id(), toStationId: g.id(), ...tail, ...money };
    case 'metro-incomplete': {
      const station = g.next() < 0.5 ? { fromStationId: g.id() } : { toStationId: g.id() };
      return { ...head, mode: 'metro', status: 'incomplete', tapKeys: [firstKey], ...station, ...tail, ...money };
    }
    case 'bus':
      return { ...head, mode: 'bus', status: 'complete', tapKeys: [firstKey], routeId: g.id(), vehicleId: g.id(), ...tail, ...money };
    case 'taxi':
      return { ...head, mode: 'taxi', status: 'complete', tapKeys: [firstKey], vehicleId: g.id(), ...tail, distanceM: g.int(0, distanceMMax), ...money };
  }
}

function adjustment(g: Gen): Adjustment {
  return {
    adjustmentId: g.id(),
    account: g.account(),
    tripId: `${g.id()}/${g.id()}`,
    kind: g.pick(['refund', 'correction'] as const),
    amountFen: g.int(1, fenMax),
    reason: g.text(),
    authorizedBy: g.id(),
    createdAtMs: g.time(),
  };
}

function entry(g: Gen): Entry {
  const type = g.pick(['tap', 'trip', 'adjustment'] as const);
  if (type === 'tap') return { type, tap: tap(g) };
  if (type === 'trip') return { type, trip: trip(g) };
  return { type, adjustment: adjustment(g) };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('generated entries', () => {
  it('encode → decode → encode is stable for 3,000 entries', () => {
    const g = new Gen(mulberry32(0x5eed));
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'number' });
    const seen = { tap: 0, trip: 0, adjustment: 0 };
    for (let i = 0; i < 3_000; i++) {
      const original = entry(g);
      const bytes = encodeEntry(original);
      const decoded = decodeEntry(bytes);
      expect(decoded).toEqual(original);
      expect(sameBytes(encodeEntry(decoded), bytes)).toBe(true);
      // msgpackr, a second implementation, reads the same number of fields.
      const map = unpackr.unpack(bytes) as Map<string, unknown>;
      expect(map.size).toBe(2 + Object.keys((original as unknown as Record<string, object>)[original.type] as object).length);
      seen[original.type]++;
    }
    expect(Math.min(seen.tap, seen.trip, seen.adjustment)).toBeGreaterThan(900);
  });

  it('never accepts mutated bytes unless they are the canonical encoding of what they decode to', () => {
    const g = new Gen(mulberry32(0xbadc0de));
    const outcomes = { rejected: 0, accepted: 0 };
    const reasons = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const mutated = mutatedEntry(g, 3);
      try {
        const decoded = decodeEntry(mutated);
        expect(sameBytes(encodeEntry(decoded), mutated)).toBe(true);
        outcomes.accepted++;
      } catch (error) {
        if (!(error instanceof EntryDecodeError)) throw error;
        reasons.add(error.reason);
        outcomes.rejected++;
      }
    }
    expect(outcomes.rejected).toBeGreaterThan(3_000);
    expect(reasons.has('not-canonical')).toBe(false);
    expect(reasons.size).toBeGreaterThan(10);
  });
});

// decodeEntry runs a one-pass decoder first and the step-by-step decoder only when it gives
// up. The one pass must accept exactly what the step-by-step decoder accepts, as the same
// entry: otherwise an entry would decode differently, or a valid one take the slow path.
describe('the one-pass decoder against the step-by-step decoder', () => {
  function stepwise(bytes: Uint8Array): Entry | string {
    try {
      return decodeStepwise(bytes);
    } catch (error) {
      if (error instanceof EntryDecodeError) return error.reason;
      throw error;
    }
  }

  it('accepts every generated entry, as the same entry', () => {
    const g = new Gen(mulberry32(0xfa57));
    for (let i = 0; i < 3_000; i++) {
      const original = entry(g);
      const bytes = encodeEntry(original);
      const fast = decodeCanonical(bytes, parseEntry);
      expect(fast).toEqual(original);
      expect(fast).toEqual(stepwise(bytes));
    }
  });

  it('on mutated bytes, accepts what the step-by-step decoder accepts and gives up on the rest', () => {
    const g = new Gen(mulberry32(0x5104));
    const outcomes = { bothAccept: 0, bothRefuse: 0 };
    const reasons = new Set<string>();
    for (let i = 0; i < 6_000; i++) {
      const mutated = mutatedEntry(g, 2);
      const fast = decodeCanonical(mutated, parseEntry);
      const slow = stepwise(mutated);
      if (typeof slow === 'string') {
        expect(fast).toBeUndefined();
        reasons.add(slow);
        outcomes.bothRefuse++;
      } else {
        expect(fast).toEqual(slow);
        outcomes.bothAccept++;
      }
    }
    // Mutations that keep an entry valid (a digit of an id, a bit of an int) are common enough.
    expect(outcomes.bothAccept).toBeGreaterThan(300);
    expect(outcomes.bothRefuse).toBeGreaterThan(4_000);
    expect(reasons.size).toBeGreaterThan(10);
  });
});

/** A generated entry's bytes with 1..mutationsMax random flips, sets, inserts and deletes. */
function mutatedEntry(g: Gen, mutationsMax: number): Uint8Array {
  const bytes = [...encodeEntry(entry(g))];
  for (let m = g.int(1, mutationsMax); m > 0; m--) {
    const at = g.int(0, bytes.length - 1);
    const op = g.pick(['flip', 'set', 'insert', 'delete'] as const);
    if (op === 'flip') bytes[at] = (bytes[at] as number) ^ (1 << g.int(0, 7));
    if (op === 'set') bytes[at] = g.int(0, 255);
    if (op === 'insert') bytes.splice(at, 0, g.int(0, 255));
    if (op === 'delete') bytes.splice(at, 1);
  }
  return Uint8Array.from(bytes);
}
