import { describe, expect, it } from 'vitest';
import { examples } from '../index.js';
import { loadSzmFareTables } from './node-data.js';
import type { FareTable } from './rules.js';
import { inNightWindow, taxiFare } from './taxi-fare.js';

const tables = loadSzmFareTables();
const v1 = tables.byVersion('szm-2026.1') as FareTable;
const v2 = tables.byVersion('szm-2026.2') as FareTable;
/** 2026-03-02T12:00:00+08:00: daytime. */
const noonMs = Date.UTC(2026, 2, 2, 4, 0, 0);
/** Local (UTC+8) 2026-03-02 at h:m:s.ms. */
const local = (h: number, m: number, s = 0, ms = 0): number => Date.UTC(2026, 2, 2, h - 8, m, s, ms);

describe('taxiFare, szm-2026.1 by day: flag 1000 for 2 km, 135 per started 500 m, 80 per started minute', () => {
  it.each([
    // distanceM, waitingS, fareFen
    [0, 0, 1000], [2000, 0, 1000], [2001, 0, 1135], [2500, 0, 1135], [2501, 0, 1270],
    [3000, 0, 1270], [3001, 0, 1405], [2000, 1, 1080], [2000, 60, 1080], [2000, 61, 1160], [2000, 120, 1160],
    [8350, 95, 2915], [1_000_000, 86_400, 1000 + 1996 * 135 + 1440 * 80],
  ])('%i m, %i s waiting → %i fen', (distanceM, waitingS, fareFen) => {
    const fare = taxiFare(v1.taxi, { distanceM, waitingS, startMs: noonMs, utcOffsetMin: 480 });
    expect(fare.fareFen).toBe(fareFen);
    expect(fare.night).toBe(false);
    expect(fare.nightSurchargeFen).toBe(0);
    expect(fare.meterFen).toBe(fare.flagFen + fare.distanceFen + fare.waitingFen);
  });

  it('prices the examples.ts ride (8,350 m, 95 s waiting, from 18:00 local) at 2915 fen', () => {
    const ride = examples.taxiTap;
    const fare = taxiFare(v1.taxi, { distanceM: ride.distanceM, waitingS: ride.waitingS, startMs: ride.eventTimeMs - ride.durationS * 1000, utcOffsetMin: 480 });
    expect(fare).toEqual({ flagFen: 1000, distanceFen: 13 * 135, waitingFen: 160, meterFen: 2915, night: false, nightSurchargeFen: 0, fareFen: 2915 });
  });

  it('szm-2026.2 raises the flag to 1100 and the step to 140', () => {
    expect(taxiFare(v2.taxi, { distanceM: 2501, waitingS: 0, startMs: noonMs, utcOffsetMin: 480 }).fareFen).toBe(1100 + 2 * 140);
  });
});

describe('night surcharge: 30% when the ride STARTS in [23:00, 06:00) local, half up to the fen', () => {
  it.each([
    ['22:59:59.999', local(22, 59, 59, 999), false], ['23:00:00.000', local(23, 0), true],
    ['00:00:00.000', local(24, 0), true], ['05:59:59.999', local(5, 59, 59, 999), true],
    ['06:00:00.000', local(6, 0), false], ['12:00', local(12, 0), false],
  ])('%s local → night %s', (_name, startMs, night) => {
    expect(inNightWindow(v1.taxi, startMs, 480)).toBe(night);
  });

  it('reads local time in the tap\'s own offset, not UTC nor the machine\'s', () => {
    const startMs = Date.UTC(2026, 2, 2, 15, 30, 0); // 23:30 at UTC+8, 15:30 UTC, 10:30 at UTC-5
    expect([inNightWindow(v1.taxi, startMs, 480), inNightWindow(v1.taxi, startMs, 0), inNightWindow(v1.taxi, startMs, -300)]).toEqual([true, false, false]);
    const utcNightMs = Date.UTC(2026, 2, 2, 23, 0, 0);
    expect([inNightWindow(v1.taxi, utcNightMs, 0), inNightWindow(v1.taxi, utcNightMs, 480)]).toEqual([true, false]);
  });

  it.each([
    // distanceM, waitingS, meterFen, surchargeFen: meter × 30 / 100, .5 rounds up
    [0, 0, 1000, 300], [2001, 0, 1135, 341], [2001, 1, 1215, 365], [2501, 0, 1270, 381], [2000, 1, 1080, 324],
  ])('%i m, %i s at 23:00 → meter %i + surcharge %i', (distanceM, waitingS, meterFen, surchargeFen) => {
    const fare = taxiFare(v1.taxi, { distanceM, waitingS, startMs: local(23, 0), utcOffsetMin: 480 });
    expect([fare.meterFen, fare.nightSurchargeFen, fare.fareFen, fare.night]).toEqual([meterFen, surchargeFen, meterFen + surchargeFen, true]);
  });
});
