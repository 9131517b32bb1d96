import { describe, expect, it } from 'vitest';
import { localDayEndBoundMs, localDayOf } from '../fares/local-time.js';
import type { Tap } from '../tap.js';
import { tapKey } from '../tap.js';
import { parseTrip, type Trip } from '../trip.js';
import { TripBuilderStateError } from './state.js';
import {
  busTap, hourMs, metroTap, minuteMs, t0Ms, table2FromMs, taxiTap, testNetwork, testTables,
} from './test-kit.js';
import { TripBuilder, type TripBuilderDeps } from './trip-builder.js';
import { mulberry32 } from '../seeded-random.js';

const deps: TripBuilderDeps = { tables: testTables, network: testNetwork };
const stationIds = testNetwork.stations.map((station) => station.id);

/**
 * Taps of a few accounts, so they interact: metro in/out at random stations, bus, taxi; a
 * clock that mostly steps minutes, sometimes stays on one ms, sometimes jumps hours past
 * journeyMsMax; 15% of taps late by up to 6 h; some at UTC+0; some runs across test-2's start.
 */
function randomTaps(random: () => number, count: number): Tap[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const accounts = ['a', 'b', 'c', 'd', 'e'].slice(0, 1 + Math.floor(random() * 5));
  let clockMs = random() < 0.5 ? t0Ms : table2FromMs - 12 * hourMs;
  const taps: Tap[] = [];
  for (let index = 0; index < count; index += 1) {
    const roll = random();
    clockMs += roll < 0.1 ? 0 : roll < 0.93 ? Math.floor(random() * 30 * minuteMs) : 3 * hourMs + Math.floor(random() * 3 * hourMs);
    const eventTimeMs = clockMs - (random() < 0.15 ? Math.floor(random() * 6 * hourMs) : 0);
    const account = pick(accounts);
    const offsetMin = random() < 0.1 ? 0 : 480;
    const id = `t${index}`;
    const kind = random();
    if (kind < 0.4) taps.push(metroTap('in', account, pick(stationIds), eventTimeMs, id, offsetMin));
    else if (kind < 0.75) taps.push(metroTap('out', account, pick(stationIds), eventTimeMs, id, offsetMin));
    else if (kind < 0.9) taps.push(busTap(account, pick(['B1', 'E11']), eventTimeMs, id, offsetMin));
    else {
      const durationS = Math.floor(random() * 3600);
      taps.push(taxiTap(account, eventTimeMs, id, { distanceM: Math.floor(random() * 30_000), durationS, waitingS: Math.floor(random() * durationS) }, offsetMin));
    }
  }
  return taps;
}

/** Accepts taps, restoring from a JSON round trip of the snapshot before each split index. */
function runWithSplits(taps: readonly Tap[], splits: readonly number[]): { trips: Trip[]; builder: TripBuilder } {
  let builder = new TripBuilder(deps);
  const trips: Trip[] = [];
  taps.forEach((tap, index) => {
    if (splits.includes(index)) builder = TripBuilder.restore(JSON.parse(JSON.stringify(builder.snapshot())), deps);
    trips.push(...builder.accept(tap));
  });
  return { trips, builder };
}

describe('snapshot → restore → the same continuation (property, 300 random sequences)', () => {
  it.each(Array.from({ length: 300 }, (_, seed) => [seed]))('seed %i', (seed) => {
    const random = mulberry32(seed);
    const taps = randomTaps(random, 40 + Math.floor(random() * 160));
    const splits = [Math.floor(random() * taps.length), Math.floor(random() * taps.length)];
    const straight = runWithSplits(taps, []);
    const split = runWithSplits(taps, splits);
    expect(split.trips).toEqual(straight.trips);
    expect(split.builder.snapshot()).toEqual(straight.builder.snapshot());

    // Flush: a tap far in the future expires every pending tap. Then each tap is in exactly
    // one trip, every trip is a valid ledger trip, and no local day of test-2 passes its cap.
    const flushed = [...straight.trips, ...straight.builder.accept(busTap('zz', 'B1', Date.UTC(2027, 0, 1), 'flush'))];
    const tapKeys = flushed.flatMap((trip) => trip.tapKeys);
    expect(tapKeys.slice().sort()).toEqual([...taps.map(tapKey), 'v/flush'].sort());
    for (const trip of flushed) expect(parseTrip(trip)).toEqual(trip);
    const offsetByKey = new Map(taps.map((tap) => [tapKey(tap), tap.utcOffsetMin]));
    const capped = new Map<string, number>();
    for (const trip of flushed) {
      if (trip.mode === 'taxi' || trip.fareTableVersion !== 'test-2') continue;
      const day = `${trip.account} ${localDayOf(trip.startMs, offsetByKey.get(trip.tripId) ?? 480)}`;
      capped.set(day, (capped.get(day) ?? 0) + trip.chargedFen);
    }
    for (const total of capped.values()) expect(total).toBeLessThanOrEqual(1000);
  });
});

describe('snapshot', () => {
  it('is plain JSON, accounts sorted, history the lookups can no longer see left out', () => {
    const builder = new TripBuilder(deps);
    builder.accept(metroTap('in', 'b', 'L1-S01', t0Ms, 'i1'));
    builder.accept(metroTap('out', 'b', 'L1-S03', t0Ms + 10 * minuteMs, 'o1'));
    builder.accept(metroTap('in', 'a', 'L2-S01', t0Ms + 20 * minuteMs, 'i2'));
    builder.accept(metroTap('out', 'c', 'L1-S04', t0Ms + 21 * minuteMs, 'o3', 0));
    const dayLocal = localDayOf(t0Ms, 480);
    expect(builder.snapshot()).toEqual({
      v: 1, journeyMsMax: 4 * hourMs, lateTapMsMax: 49 * hourMs, watermarkMs: t0Ms + 21 * minuteMs,
      accounts: [
        ['a', ['g/i2', 'szmc', 'L2-S01', t0Ms + 20 * minuteMs, 480], null, null, []],
        ['b', null, null, t0Ms + 10 * minuteMs, [dayLocal, 300]],
        ['c', null, ['g/o3', 'szmc', 'L1-S04', t0Ms + 21 * minuteMs, 0], null, []],
      ],
    });
    // 55 h (6 h + lateTapMsMax) and 1 ms after b's trip ended, its end is out of view and left
    // out; a's and c's pending taps closed at their deadlines and count on their days.
    const busMs = t0Ms + 10 * minuteMs + 55 * hourMs + 1;
    builder.accept(busTap('d', 'B1', busMs, 'b1'));
    expect(builder.snapshot().accounts).toEqual([
      ['a', null, null, null, [dayLocal, 300]],
      ['b', null, null, null, [dayLocal, 300]],
      ['c', null, null, t0Ms + 21 * minuteMs, [dayLocal, 400]],
      ['d', null, null, busMs, [dayLocal + 2, 200]],
    ]);
    // Once the watermark passes the day's end bound + lateTapMsMax, the day goes too.
    const laterMs = localDayEndBoundMs(dayLocal) + 49 * hourMs + 1;
    builder.accept(busTap('e', 'B1', laterMs, 'b2'));
    expect(builder.snapshot().accounts.map((row) => row[0])).toEqual(['d', 'e']);
  });

  it('shares nothing with the builder: later trips leave a snapshot taken before them as it was', () => {
    const builder = new TripBuilder(deps);
    builder.accept(busTap('a', 'B1', t0Ms, 'b1'));
    const before = builder.snapshot();
    const copy = JSON.parse(JSON.stringify(before)) as unknown;
    builder.accept(busTap('a', 'B1', t0Ms + 2 * hourMs, 'b2')); // the same day: its total grows in place
    expect(before).toEqual(copy);
    expect(builder.snapshot()).not.toEqual(copy);
  });

  it('of a builder restored from it is the same', () => {
    const builder = new TripBuilder(deps);
    builder.accept(metroTap('in', 'a', 'L1-S01', t0Ms, 'i1'));
    builder.accept(busTap('b', 'B1', t0Ms, 'b1'));
    const state = builder.snapshot();
    expect(TripBuilder.restore(state, deps).snapshot()).toEqual(state);
  });
});

describe('restore refuses state that does not hold together', () => {
  const good = (): Record<string, unknown> => ({
    v: 1, journeyMsMax: 4 * hourMs, lateTapMsMax: 49 * hourMs, watermarkMs: t0Ms,
    accounts: [['a', ['g/i1', 'szmc', 'L1-S01', t0Ms, 480], null, null, []], ['b', null, null, t0Ms, [20514, 300]]],
  });
  const row = (state: Record<string, unknown>, index: number): unknown[] => (state['accounts'] as unknown[][])[index] as unknown[];

  it.each<[string, (state: Record<string, unknown>) => unknown, string]>([
    ['not an object', () => [], 'state'],
    ['another version', (s) => ({ ...s, v: 2 }), 'v'],
    ['an unknown field', (s) => ({ ...s, seq: 1 }), 'seq'],
    ['another journeyMsMax', (s) => ({ ...s, journeyMsMax: 3 * hourMs }), 'journeyMsMax'],
    ['another lateTapMsMax', (s) => ({ ...s, lateTapMsMax: 48 * hourMs }), 'lateTapMsMax'],
    ['a watermark before 2000', (s) => ({ ...s, watermarkMs: 5 }), 'watermarkMs'],
    ['accounts out of order', (s) => ({ ...s, accounts: (s['accounts'] as unknown[]).slice().reverse() }), 'accounts[1]'],
    ['an account twice', (s) => ({ ...s, accounts: [row(s, 0), row(s, 0)] }), 'accounts[1]'],
    ['a short row', (s) => ({ ...s, accounts: [row(s, 0).slice(0, 4)] }), 'accounts[0]'],
    ['a bad tap key', (s) => { (row(s, 0)[1] as unknown[])[0] = 'g-i1'; return s; }, 'accounts[0][1][0]'],
    ['an unknown station', (s) => { (row(s, 0)[1] as unknown[])[2] = 'L9-S01'; return s; }, 'accounts[0][1][2]'],
    ['a tap that should have expired', (s) => ({ ...s, watermarkMs: t0Ms + 4 * hourMs + 1 }), 'accounts[0][1][3]'],
    ['a tap before every fare table', (s) => { (row(s, 0)[1] as unknown[])[3] = Date.UTC(2025, 0, 1); return s; }, 'accounts[0][1][3]'],
    ['an odd day list', (s) => { row(s, 1)[4] = [20514]; return s; }, 'accounts[1][4]'],
    ['a day twice', (s) => { row(s, 1)[4] = [20514, 1, 20514, 2]; return s; }, 'accounts[1][4][2]'],
    ['a negative day total', (s) => { row(s, 1)[4] = [20514, -1]; return s; }, 'accounts[1][4][1]'],
    ['an empty row', (s) => { row(s, 1)[3] = null; row(s, 1)[4] = []; return s; }, 'accounts[1]'],
  ])('%s → %s', (_name, mutate, field) => {
    let error: unknown;
    try {
      TripBuilder.restore(mutate(good()), deps);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TripBuilderStateError);
    expect((error as TripBuilderStateError).field).toBe(field);
  });

  it('accepts the state these cases start from', () => {
    expect(TripBuilder.restore(good(), deps).pendingTapCount).toBe(1);
  });
});
