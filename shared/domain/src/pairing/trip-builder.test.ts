import { describe, expect, it } from 'vitest';
import { AssertionError } from '../assert.js';
import { PricingError } from '../fares/errors.js';
import type { Tap } from '../tap.js';
import { parseTrip, type Trip } from '../trip.js';
import {
  busTap, hourMs, metroTap, minuteMs, summary, t0Ms, table2FromMs, taxiTap, testNetwork, testTables,
} from './test-kit.js';
import { TripBuilder, type TripBuilderConfig } from './trip-builder.js';

// Each case: taps in offset order, and for each tap the trips accept() returns (as summary()
// lines: every priced field, times as t+ms after t0). Fixtures: test-kit.ts (test-1: metro
// 200 for ≤ 4 km, bus 200, 100 off within 90 min, no cap; test-2 from 2026-06-01: base 250,
// cap 1000). Default journeyMsMax 4 h.

const at = (minutes: number, extraMs = 0): number => t0Ms + minutes * minuteMs + extraMs;
const J = 4 * hourMs;
const inA = (station: string, ms: number, id: string, account = 'a'): Tap => metroTap('in', account, station, ms, id);
const outA = (station: string, ms: number, id: string, account = 'a'): Tap => metroTap('out', account, station, ms, id);

/** Every trip must be a valid ledger trip, with its fields in ledger order. */
function checkTrip(trip: Trip): string {
  const parsed = parseTrip(trip);
  expect(parsed).toEqual(trip);
  expect(Object.keys(trip)).toEqual(Object.keys(parsed));
  return summary(trip);
}

function runSteps(steps: readonly (readonly [Tap, readonly string[]])[], config?: Partial<TripBuilderConfig>): void {
  const builder = new TripBuilder({ tables: testTables, network: testNetwork, ...(config === undefined ? {} : { config }) });
  const actual = steps.map(([tap]) => [tapLabel(tap), builder.accept(tap).map(checkTrip)]);
  expect(actual).toEqual(steps.map(([tap, trips]) => [tapLabel(tap), trips]));
}

function tapLabel(tap: Tap): string {
  return `${tap.account} ${tap.deviceId}/${tap.tapId}`;
}

type Steps = readonly (readonly [Tap, readonly string[]])[];

describe('metro pairing', () => {
  it.each<[string, Steps]>([
    ['a complete trip is priced by the shortest distance', [
      [inA('L1-S01', at(0), 'i1'), []],
      [outA('L1-S03', at(20), 'o1'), ['g/i1>g/o1 L1-S01>L1-S03 5000m t+0..t+1200000 test-1 300-0=300']],
    ]],
    ['through the interchange', [
      [inA('L1-S01', at(0), 'i1'), []],
      [outA('L2-S03', at(30), 'o1'), ['g/i1>g/o1 L1-S01>L2-S03 5500m t+0..t+1800000 test-1 300-0=300']],
    ]],
    ['out at the same station: 0 m, the minimum fare', [
      [inA('L1-S02', at(0), 'i1'), []],
      [outA('L1-S02', at(5), 'o1'), ['g/i1>g/o1 L1-S02>L1-S02 0m t+0..t+300000 test-1 200-0=200']],
    ]],
    ['a new tap-in closes the open one: missing-tap-out, the farthest fare of its lines (L1-S02: 7000 m)', [
      [inA('L1-S02', at(0), 'i1'), []],
      [inA('L1-S01', at(10), 'i2'), ['g/i1 in:L1-S02 t+0 test-1 300-0=300 missing-tap-out']],
      [outA('L1-S04', at(30), 'o2'), ['g/i2>g/o2 L1-S01>L1-S04 10000m t+600000..t+1800000 test-1 400-0=400']],
    ]],
    ['a late tap-in, older than the open one, closes itself', [
      [inA('L1-S01', at(10), 'i2'), []],
      [inA('L1-S02', at(0), 'i1'), ['g/i1 in:L1-S02 t+0 test-1 300-0=300 missing-tap-out']],
      [outA('L1-S03', at(20), 'o2'), ['g/i2>g/o2 L1-S01>L1-S03 5000m t+600000..t+1200000 test-1 300-0=300']],
    ]],
    ['two tap-ins at the same ms: the one already open closes', [
      [inA('L1-S01', at(0), 'i1'), []],
      [inA('L1-S02', at(0), 'i2'), ['g/i1 in:L1-S01 t+0 test-1 400-0=400 missing-tap-out']],
    ]],
    ['a tap-out earlier than the open tap-in does not close it; it is held for its own tap-in', [
      [inA('L1-S01', at(30), 'i1'), []],
      [outA('L1-S03', at(20), 'o1'), []],
      [inA('L1-S02', at(10), 'i0'), ['g/i0>g/o1 L1-S02>L1-S03 2000m t+600000..t+1200000 test-1 200-0=200']],
      [outA('L1-S04', at(40), 'o2'), ['g/i1>g/o2 L1-S01>L1-S04 10000m t+1800000..t+2400000 test-1 400-0=400']],
    ]],
    ['taps of other accounts do not pair', [
      [inA('L1-S01', at(0), 'i1'), []],
      [outA('L1-S03', at(5), 'o9', 'b'), []],
      [outA('L1-S04', at(10), 'o1'), ['g/i1>g/o1 L1-S01>L1-S04 10000m t+0..t+600000 test-1 400-0=400']],
    ]],
  ])('%s', (_name, steps) => runSteps(steps));
});

describe('event time: the watermark closes what waited too long', () => {
  it.each<[string, Steps]>([
    ['at exactly tapIn + journeyMsMax the journey is open, and a tap-out then completes it', [
      [inA('L1-S01', at(0), 'i1'), []],
      [inA('L1-S01', at(0, J), 'i9', 'b'), []],
      [outA('L1-S03', at(0, J), 'o1'), ['g/i1>g/o1 L1-S01>L1-S03 5000m t+0..t+14400000 test-1 300-0=300']],
    ]],
    ['1 ms past it: missing-tap-out, before the tap\'s own trip; the tap-out is then held', [
      [inA('L1-S01', at(0), 'i1'), []],
      [busTap('b', 'B1', at(0, J + 1), 'b1'), ['g/i1 in:L1-S01 t+0 test-1 400-0=400 missing-tap-out', 'v/b1 bus B1 t+14400001 test-1 200-0=200']],
      [outA('L1-S03', at(0, J + 1), 'o1'), []],
      [busTap('b', 'B1', at(0, 2 * J + 1), 'b2'), ['v/b2 bus B1 t+28800001 test-1 200-0=200']],
      [busTap('b', 'B1', at(0, 2 * J + 2), 'b3'), ['g/o1 out:L1-S03 t+14400001 test-1 300-0=300 missing-tap-in', 'v/b3 bus B1 t+28800002 test-1 200-100=100 transfer']],
    ]],
    ['a held tap-out pairs with a late tap-in exactly journeyMsMax before it, even at its deadline', [
      [outA('L1-S03', at(300), 'o1'), []],
      [inA('L1-S01', at(300, J), 'i9', 'b'), []],
      [inA('L1-S01', at(300, -J), 'i1'), ['g/i1>g/o1 L1-S01>L1-S03 5000m t+3600000..t+18000000 test-1 300-0=300']],
    ]],
    ['a tap-in journeyMsMax + 1 ms before the held tap-out does not pair; both close alone', [
      [outA('L1-S03', at(300), 'o1'), []],
      [inA('L1-S01', at(300, -J - 1), 'i1'), ['g/i1 in:L1-S01 t+3599999 test-1 400-0=400 missing-tap-out']],
      [inA('L1-S01', at(300, J + 1), 'i9', 'b'), ['g/o1 out:L1-S03 t+18000000 test-1 300-0=300 missing-tap-in']],
    ]],
    ['a tap-in at the held tap-out\'s own ms pairs (0 s trip)', [
      [outA('L1-S03', at(10), 'o1'), []],
      [inA('L1-S03', at(10), 'i1'), ['g/i1>g/o1 L1-S03>L1-S03 0m t+600000..t+600000 test-1 200-0=200']],
    ]],
    ['a tap-in after the held tap-out opens a new journey; the held one keeps waiting', [
      [outA('L1-S03', at(10), 'o1'), []],
      [inA('L1-S01', at(20), 'i1'), []],
      [outA('L1-S04', at(40), 'o2'), ['g/i1>g/o2 L1-S01>L1-S04 10000m t+1200000..t+2400000 test-1 400-0=400']],
      [inA('L1-S02', at(5), 'i0'), ['g/i0>g/o1 L1-S02>L1-S03 2000m t+300000..t+600000 test-1 200-0=200']],
    ]],
    ['two held tap-outs: the earlier closes as missing-tap-in', [
      [outA('L1-S03', at(10), 'o1'), []],
      [outA('L1-S04', at(20), 'o2'), ['g/o1 out:L1-S03 t+600000 test-1 300-0=300 missing-tap-in']],
      [outA('L1-S01', at(15), 'o3'), ['g/o3 out:L1-S01 t+900000 test-1 400-0=400 missing-tap-in']],
    ]],
    ['a tap-out that arrives already past its deadline closes at once', [
      [busTap('b', 'B1', at(600), 'b1'), ['v/b1 bus B1 t+36000000 test-1 200-0=200']],
      [outA('L2-S01', at(600, -J - 1), 'o1'), ['g/o1 out:L2-S01 t+21599999 test-1 300-0=300 missing-tap-in']],
    ]],
    ['expiries in one accept come out by deadline, then tapKey', [
      [inA('L2-S01', at(1), 'i0', 'c'), []],
      [inA('L1-S01', at(0), 'i2', 'b'), []],
      [inA('L1-S04', at(0), 'i1', 'a'), []],
      [outA('L1-S02', at(0), 'o3', 'd'), []],
      [busTap('e', 'B1', at(300), 'b1'), [
        'g/i1 in:L1-S04 t+0 test-1 400-0=400 missing-tap-out',
        'g/i2 in:L1-S01 t+0 test-1 400-0=400 missing-tap-out',
        'g/o3 out:L1-S02 t+0 test-1 300-0=300 missing-tap-in',
        'g/i0 in:L2-S01 t+60000 test-1 300-0=300 missing-tap-out',
        'v/b1 bus B1 t+18000000 test-1 200-0=200',
      ]],
    ]],
  ])('%s', (_name, steps) => runSteps(steps));
});

describe('bus: flat fares and the transfer discount', () => {
  const metro = (account: string, id: string): Steps => [
    [inA('L1-S01', at(0), `i${id}`, account), []],
    [outA('L1-S03', at(20), `o${id}`, account), [`g/i${id}>g/o${id} L1-S01>L1-S03 5000m t+0..t+1200000 test-1 300-0=300`]],
  ];
  it.each<[string, Steps]>([
    ['exactly transferWindowMs (90 min) after the metro trip\'s end: 100 off', [
      ...metro('a', '1'), [busTap('a', 'B1', at(110), 'b1'), ['v/b1 bus B1 t+6600000 test-1 200-100=100 transfer']],
    ]],
    ['1 ms later: full fare', [
      ...metro('a', '1'), [busTap('a', 'B1', at(110, 1), 'b1'), ['v/b1 bus B1 t+6600001 test-1 200-0=200']],
    ]],
    ['at the very ms of the tap-out: 100 off', [
      ...metro('a', '1'), [busTap('a', 'E11', at(20), 'b1'), ['v/b1 bus E11 t+1200000 test-1 400-100=300 transfer']],
    ]],
    ['a late bus tap 1 ms before the trip\'s end is not after it: full fare', [
      ...metro('a', '1'), [busTap('a', 'B1', at(20, -1), 'b1'), ['v/b1 bus B1 t+1199999 test-1 200-0=200']],
    ]],
    ['bus after bus is a transfer too; a listed route has its own fare', [
      [busTap('a', 'E11', at(0), 'b1'), ['v/b1 bus E11 t+0 test-1 400-0=400']],
      [busTap('a', 'B1', at(90), 'b2'), ['v/b2 bus B1 t+5400000 test-1 200-100=100 transfer']],
      [busTap('a', 'B1', at(180), 'b3'), ['v/b3 bus B1 t+10800000 test-1 200-100=100 transfer']],
    ]],
    ['a missing-tap-in trip has an end (its tap-out): a transfer', [
      [outA('L1-S03', at(0), 'o1'), []],
      [busTap('b', 'B1', at(0, J + 1), 'b9'), ['g/o1 out:L1-S03 t+0 test-1 300-0=300 missing-tap-in', 'v/b9 bus B1 t+14400001 test-1 200-0=200']],
      [busTap('a', 'B1', at(90), 'b1'), ['v/b1 bus B1 t+5400000 test-1 200-100=100 transfer']],
    ]],
    ['a missing-tap-out trip has no known end: no transfer', [
      [inA('L1-S01', at(0), 'i1'), []],
      [inA('L1-S02', at(10), 'i2'), ['g/i1 in:L1-S01 t+0 test-1 400-0=400 missing-tap-out']],
      [busTap('a', 'B1', at(11), 'b1'), ['v/b1 bus B1 t+660000 test-1 200-0=200']],
    ]],
    ['an open journey has no end yet: no transfer', [
      [inA('L1-S01', at(0), 'i1'), []],
      [busTap('a', 'B1', at(1), 'b1'), ['v/b1 bus B1 t+60000 test-1 200-0=200']],
    ]],
    ['a taxi ride neither ends a transfer chain nor gets a discount', [
      ...metro('a', '1'),
      [taxiTap('a', at(30), 't1', { distanceM: 8350, durationS: 300, waitingS: 95 }), ['x/t1 taxi 8350m t+1500000..t+1800000 test-1 2915-0=2915']],
      [busTap('a', 'B1', at(100), 'b1'), ['v/b1 bus B1 t+6000000 test-1 200-100=100 transfer']],
    ]],
  ])('%s', (_name, steps) => runSteps(steps));
});

describe('taxi: by the meter, night surcharge by the local start time', () => {
  /** 23:00 local (UTC+8) on 2026-03-02. */
  const nightFromMs = Date.UTC(2026, 2, 2, 15, 0, 0);
  it.each<[string, Steps]>([
    ['a ride that starts at 22:59:59.999 local pays no surcharge, even ending at night', [
      [taxiTap('a', nightFromMs - 1 + 600_000, 't1', { distanceM: 2000, durationS: 600, waitingS: 0 }), ['x/t1 taxi 2000m t+53999999..t+54599999 test-1 1000-0=1000']],
    ]],
    ['a ride that starts at 23:00:00.000 local pays 30%', [
      [taxiTap('a', nightFromMs + 600_000, 't1', { distanceM: 2001, durationS: 600, waitingS: 0 }), ['x/t1 taxi 2001m t+54000000..t+54600000 test-1 1476-0=1476']],
    ]],
    ['the same instant is day time for a terminal at UTC+0', [
      [taxiTap('a', nightFromMs + 600_000, 't1', { distanceM: 2001, durationS: 600, waitingS: 0 }, 0), ['x/t1 taxi 2001m t+54000000..t+54600000 test-1 1135-0=1135']],
    ]],
    ['the table is the one in force when the ride started', [
      [taxiTap('a', table2FromMs + 60_000, 't1', { distanceM: 0, durationS: 120, waitingS: 0 }), [`x/t1 taxi 0m t+${table2FromMs - 60_000 - t0Ms}..t+${table2FromMs + 60_000 - t0Ms} test-1 1300-0=1300`]],
    ]],
  ])('%s', (_name, steps) => runSteps(steps));
});

describe('fare tables: the one in force at the start', () => {
  const before = table2FromMs - minuteMs;
  const rel = (ms: number): string => `t+${ms - t0Ms}`;
  it.each<[string, Steps]>([
    ['a journey that spans the change is priced by the table at its tap-in', [
      [inA('L1-S01', before, 'i1'), []],
      [outA('L1-S03', before + 20 * minuteMs, 'o1'), [`g/i1>g/o1 L1-S01>L1-S03 5000m ${rel(before)}..${rel(before + 20 * minuteMs)} test-1 300-0=300`]],
    ]],
    ['a tap-in at the change\'s exact ms uses the new table', [
      [inA('L1-S01', table2FromMs, 'i1'), []],
      [outA('L1-S03', table2FromMs + 1, 'o1'), [`g/i1>g/o1 L1-S01>L1-S03 5000m ${rel(table2FromMs)}..${rel(table2FromMs + 1)} test-2 350-0=350`]],
    ]],
    ['a held tap-out after the change, paired with a tap-in before it: the old table', [
      [outA('L1-S04', table2FromMs + 10 * minuteMs, 'o1'), []],
      [inA('L1-S01', before, 'i1'), [`g/i1>g/o1 L1-S01>L1-S04 10000m ${rel(before)}..${rel(table2FromMs + 10 * minuteMs)} test-1 400-0=400`]],
    ]],
    ['an incomplete trip after the change: the new table\'s maximum', [
      [inA('L1-S01', table2FromMs, 'i1'), []],
      [inA('L1-S01', table2FromMs + 1, 'i2'), [`g/i1 in:L1-S01 ${rel(table2FromMs)} test-2 450-0=450 missing-tap-out`]],
    ]],
  ])('%s', (_name, steps) => runSteps(steps));
});

describe('daily cap (test-2: 1000 fen a local day, metro and bus)', () => {
  /** 2026-06-02 local (UTC+8) at h:m, as ms; local midnight of 06-03 is 16:00 UTC on 06-02. */
  const day = (h: number, m: number, extraMs = 0): number => Date.UTC(2026, 5, 2, h - 8, m) + extraMs;
  const rel = (ms: number): string => `t+${ms - t0Ms}`;
  const ride = (account: string, id: string, startMs: number, line: string): Steps => [
    [inA('L1-S01', startMs, `i${id}`, account), []],
    [outA('L1-S04', startMs + 30 * minuteMs, `o${id}`, account), [`g/i${id}>g/o${id} L1-S01>L1-S04 10000m ${rel(startMs)}..${rel(startMs + 30 * minuteMs)} test-2 ${line}`]],
  ];
  it.each<[string, Steps]>([
    ['the trip that crosses the cap pays up to it; later ones that day pay 0; the next local day starts afresh', [
      ...ride('a', '1', day(8, 0), '450-0=450'),
      ...ride('a', '2', day(9, 0), '450-0=450'),
      ...ride('a', '3', day(10, 0), '450-350=100 daily-cap'),
      ...ride('a', '4', day(11, 0), '450-450=0 daily-cap'),
      ...ride('a', '5', day(24, 0), '450-0=450'),
    ]],
    ['the day is the local day of the trip\'s start: 23:59:59.999 still counts on the capped day', [
      ...ride('a', '1', day(8, 0), '450-0=450'),
      ...ride('a', '2', day(9, 0), '450-0=450'),
      ...ride('a', '3', day(10, 0), '450-350=100 daily-cap'),
      ...ride('a', '4', day(23, 59, 59_999), '450-450=0 daily-cap'),
      ...ride('a', '5', day(24, 0), '450-0=450'),
    ]],
    ['transfer first, then the cap: daily-cap when the cap cut it', [
      ...ride('a', '1', day(8, 0), '450-0=450'),
      [busTap('a', 'E11', day(12, 0), 'b1'), [`v/b1 bus E11 ${rel(day(12, 0))} test-2 400-0=400`]],
      [busTap('a', 'B1', day(12, 30), 'b2'), [`v/b2 bus B1 ${rel(day(12, 30))} test-2 200-100=100 transfer`]],
      [busTap('a', 'B1', day(12, 40), 'b3'), [`v/b3 bus B1 ${rel(day(12, 40))} test-2 200-150=50 daily-cap`]],
      [busTap('a', 'B1', day(12, 50), 'b4'), [`v/b4 bus B1 ${rel(day(12, 50))} test-2 200-200=0 daily-cap`]],
    ]],
    ['transfer first, then the cap: transfer when the cap did not cut it', [
      ...ride('a', '1', day(8, 0), '450-0=450'),
      ...ride('a', '2', day(9, 0), '450-0=450'),
      [busTap('a', 'B1', day(9, 30), 'b1'), [`v/b1 bus B1 ${rel(day(9, 30))} test-2 200-100=100 transfer`]],
      [busTap('a', 'B1', day(9, 45), 'b2'), [`v/b2 bus B1 ${rel(day(9, 45))} test-2 200-200=0 daily-cap`]],
    ]],
    ['an incomplete trip counts and is capped: daily-cap replaces missing-tap-out', [
      ...ride('a', '1', day(8, 0), '450-0=450'),
      ...ride('a', '2', day(9, 0), '450-0=450'),
      [inA('L1-S01', day(10, 0), 'i3'), []],
      [inA('L1-S01', day(10, 5), 'i4'), [`g/i3 in:L1-S01 ${rel(day(10, 0))} test-2 450-350=100 daily-cap`]],
      [inA('L1-S01', day(10, 10), 'i5'), [`g/i4 in:L1-S01 ${rel(day(10, 5))} test-2 450-450=0 daily-cap`]],
    ]],
    ['a journey closed by a watermark jump 10 days later is priced at its deadline: its day still caps it', [
      ...ride('a', '1', day(8, 0), '450-0=450'),
      ...ride('a', '2', day(9, 0), '450-0=450'),
      [inA('L1-S01', day(10, 0), 'i3'), []],
      [busTap('b', 'B1', day(10, 0) + 240 * hourMs, 'b9'), [
        `g/i3 in:L1-S01 ${rel(day(10, 0))} test-2 450-350=100 daily-cap`, `v/b9 bus B1 ${rel(day(10, 0) + 240 * hourMs)} test-2 200-0=200`,
      ]],
    ]],
    ['accounts are capped apart; taxi rides are not capped and do not count', [
      ...ride('a', '1', day(8, 0), '450-0=450'),
      ...ride('a', '2', day(9, 0), '450-0=450'),
      [taxiTap('a', day(9, 50), 't1', { distanceM: 2000, durationS: 600, waitingS: 0 }), [`x/t1 taxi 2000m ${rel(day(9, 40))}..${rel(day(9, 50))} test-2 1000-0=1000`]],
      ...ride('b', '3', day(10, 0), '450-0=450'),
      ...ride('a', '4', day(10, 0), '450-350=100 daily-cap'),
    ]],
  ])('%s', (_name, steps) => runSteps(steps));
});

describe('history serves taps at most lateTapMsMax behind the watermark', () => {
  const rel = (ms: number): string => `t+${ms - t0Ms}`;
  it.each<[string, number, string]>([
    ['watermark at trip end + 6 h + lateTapMsMax: the late bus still gets its transfer', 6 * hourMs, '200-100=100 transfer'],
    ['1 ms past: the trip end is forgotten, full fare', 6 * hourMs + 1, '200-0=200'],
  ])('%s', (_name, pastEndMs, line) => {
    const endMs = at(20);
    runSteps([
      [inA('L1-S01', at(0), 'i1'), []],
      [outA('L1-S03', endMs, 'o1'), ['g/i1>g/o1 L1-S01>L1-S03 5000m t+0..t+1200000 test-1 300-0=300']],
      [busTap('b', 'B1', endMs + 60 * minuteMs + pastEndMs, 'b9'), [`v/b9 bus B1 ${rel(endMs + 60 * minuteMs + pastEndMs)} test-1 200-0=200`]],
      [busTap('a', 'B1', endMs + 30 * minuteMs, 'b1'), [`v/b1 bus B1 ${rel(endMs + 30 * minuteMs)} test-1 ${line}`]],
    ], { lateTapMsMax: 60 * minuteMs });
  });

  /** Local day 2026-06-02 (UTC+8) ends 16:00 UTC; its end bound (any offset) is 2026-06-03T12:00Z. */
  const dayEndBoundMs = Date.UTC(2026, 5, 3, 12, 0, 0);
  it.each<[string, number, string]>([
    ['watermark at the local day\'s end bound + lateTapMsMax: the day total still caps a trip that started that day', 0, '450-350=100 daily-cap'],
    ['1 ms past: the day is forgotten, full fare', 1, '450-0=450'],
  ])('%s', (_name, pastMs, line) => {
    const start = Date.UTC(2026, 5, 2, 0, 0, 0);
    const lateInMs = Date.UTC(2026, 5, 2, 15, 30, 0); // 23:30 local, still 2026-06-02
    const outMs = dayEndBoundMs + hourMs + pastMs;
    runSteps([
      [inA('L1-S01', start, 'i1'), []],
      [outA('L1-S04', start + 10 * minuteMs, 'o1'), [`g/i1>g/o1 L1-S01>L1-S04 10000m ${rel(start)}..${rel(start + 10 * minuteMs)} test-2 450-0=450`]],
      [inA('L1-S01', start + 20 * minuteMs, 'i2'), []],
      [outA('L1-S04', start + 30 * minuteMs, 'o2'), [`g/i2>g/o2 L1-S01>L1-S04 10000m ${rel(start + 20 * minuteMs)}..${rel(start + 30 * minuteMs)} test-2 450-0=450`]],
      [inA('L1-S01', lateInMs, 'i3'), []],
      [outA('L1-S04', outMs, 'o3'), [`g/i3>g/o3 L1-S01>L1-S04 10000m ${rel(lateInMs)}..${rel(outMs)} test-2 ${line}`]],
    ], { lateTapMsMax: hourMs, journeyMsMax: 24 * hourMs });
  });
});

describe('taps the engine cannot price, and bugs in the caller', () => {
  const fresh = (): TripBuilder => new TripBuilder({ tables: testTables, network: testNetwork });
  const caught = (run: () => unknown): unknown => {
    try {
      run();
    } catch (error) {
      return error;
    }
    throw new Error('expected an error');
  };

  it('an unknown station: PricingError before anything changes, not even the watermark', () => {
    const builder = fresh();
    builder.accept(inA('L1-S01', at(0), 'i1'));
    const before = builder.snapshot();
    const error = caught(() => builder.accept(outA('L9-S01', at(0, J + 1), 'o1')));
    expect(error).toBeInstanceOf(PricingError);
    expect([(error as PricingError).code, (error as PricingError).field, (error as PricingError).message]).toEqual(
      ['unknown-station', 'stationId', 'stationId: no station L9-S01 in network test'],
    );
    expect(builder.snapshot()).toEqual(before);
    expect(builder.accept(outA('L1-S03', at(10), 'o1')).map(summary)).toEqual(['g/i1>g/o1 L1-S01>L1-S03 5000m t+0..t+600000 test-1 300-0=300']);
  });

  it.each<[string, Tap]>([
    ['a tap-in 1 ms before the earliest table', metroTap('in', 'a', 'L1-S01', Date.UTC(2025, 11, 31, 16) - 1, 'i1')],
    ['a taxi ride that started before it, though it ended after', taxiTap('a', Date.UTC(2025, 11, 31, 16) + 30_000, 't1', { distanceM: 100, durationS: 31, waitingS: 0 })],
  ])('no fare table for %s: PricingError', (_name, tap) => {
    const builder = fresh();
    const error = caught(() => builder.accept(tap));
    expect([(error as PricingError).code, builder.watermarkMs, builder.accountCount]).toEqual(['no-fare-table', 0, 0]);
  });

  it('the same tap accepted twice is a bug (the batcher drops duplicates first)', () => {
    const builder = fresh();
    builder.accept(inA('L1-S01', at(0), 'i1'));
    expect(() => builder.accept(inA('L1-S01', at(0), 'i1'))).toThrow(AssertionError);
    const held = fresh();
    held.accept(outA('L1-S01', at(0), 'o1'));
    expect(() => held.accept(outA('L1-S01', at(0), 'o1'))).toThrow('tap g/o1 accepted twice');
  });

  it('holdsTapKey: a tap reusing the key of its account\'s open tap-in or held tap-out, which accept() must not take', () => {
    const builder = fresh();
    builder.accept(inA('L1-S01', at(0), 'i1'));
    builder.accept(outA('L1-S02', at(0), 'o1', 'b'));
    expect([
      builder.holdsTapKey(inA('L1-S03', at(5), 'i1')), // same key, another tap: a reused id
      builder.holdsTapKey(outA('L1-S03', at(5), 'o1', 'b')),
      builder.holdsTapKey(inA('L1-S03', at(5), 'i2')),
      builder.holdsTapKey(inA('L1-S03', at(5), 'i1', 'c')), // another account holds nothing
      builder.holdsTapKey(busTap('a', 'B1', at(5), 'o1')),
    ]).toEqual([true, true, false, false, false]);
  });

  it('asserts on a config outside its bounds', () => {
    expect(() => new TripBuilder({ tables: testTables, network: testNetwork, config: { journeyMsMax: 59_999 } })).toThrow('journeyMsMax');
    expect(() => new TripBuilder({ tables: testTables, network: testNetwork, config: { lateTapMsMax: -1 } })).toThrow('lateTapMsMax');
  });

  it('counts what it holds', () => {
    const builder = fresh();
    builder.accept(inA('L1-S01', at(0), 'i1'));
    builder.accept(outA('L1-S01', at(0), 'o9', 'b'));
    builder.accept(taxiTap('c', at(1), 't1', { distanceM: 0, durationS: 0, waitingS: 0 }));
    expect([builder.pendingTapCount, builder.accountCount, builder.watermarkMs]).toEqual([2, 2, at(1)]);
  });
});
