import { FareTables } from '../fares/fare-tables.js';
import { parseFareTable } from '../fares/fare-table.js';
import { type MetroNetwork, parseNetwork } from '../fares/network.js';
import type { BusTap, MetroTap, TaxiTap } from '../tap.js';
import type { Trip } from '../trip.js';

// Small, hand-checkable fixtures for the trip builder's tests and measurements: a two-line
// network, two fare table versions with round numbers, and tap factories. Not exported from
// the package.

export const minuteMs = 60_000;
export const hourMs = 3_600_000;
/** 2026-03-02T08:00:00+08:00. */
export const t0Ms = Date.UTC(2026, 2, 2, 0, 0, 0);

/**
 * L1: S01 -3000- S02 -2000- S03 -5000- S04;  L2: S01 -2500- S02 -2500- S03;  L1-S02 = L2-S02.
 * Distances: L1-S01→L1-S03 5000, →L1-S04 10000, →L2-S03 5500. Farthest (prices an incomplete
 * trip): L1-S01 and L1-S04 10000 (their line), L1-S02 = L2-S02 7000 (both lines serve the
 * interchange), L2-S01 5000 (L1-S04 is not on L2).
 */
export const testNetworkJson = {
  network: 'test',
  name: 'two lines',
  lines: [
    { id: 'L1', name: 'Line 1', stations: ['A', 'B', 'C', 'D'].map((name, index) => ({ id: `L1-S0${index + 1}`, name })), segmentsM: [3000, 2000, 5000] },
    { id: 'L2', name: 'Line 2', stations: ['E', 'B', 'F'].map((name, index) => ({ id: `L2-S0${index + 1}`, name })), segmentsM: [2500, 2500] },
  ],
  transfers: [['L1-S02', 'L2-S02']],
};

export const testNetwork: MetroNetwork = parseNetwork(testNetworkJson, 'test-network');

const metroRules = (baseFen: number) => ({
  baseFen,
  baseDistanceM: 4000,
  bands: [{ toM: 12000, stepM: 4000, stepFen: 100 }, { toM: 24000, stepM: 6000, stepFen: 100 }, { stepM: 8000, stepFen: 100 }],
});
const taxiRules = {
  flagFen: 1000, flagDistanceM: 2000, distanceStepM: 500, distanceStepFen: 135, waitingStepS: 60, waitingStepFen: 80,
  nightFrom: '23:00', nightTo: '06:00', nightSurchargePercent: 30,
};

/** test-1: no cap, 90 min transfer window. test-2 from 2026-06-01 local: base 250, cap 1000. */
export const testTableJson = [
  {
    version: 'test-1', effectiveFrom: '2026-01-01T00:00:00+08:00', metro: metroRules(200),
    bus: { defaultFen: 200, routes: { E11: 400 }, transferWindowMs: 90 * minuteMs, transferDiscountFen: 100 },
    taxi: taxiRules,
  },
  {
    version: 'test-2', effectiveFrom: '2026-06-01T00:00:00+08:00', dailyCapFen: 1000, metro: metroRules(250),
    bus: { defaultFen: 200, routes: { E11: 400 }, transferWindowMs: 90 * minuteMs, transferDiscountFen: 100 },
    taxi: taxiRules,
  },
];
export const testTables: FareTables = FareTables.of(testTableJson.map((json, index) => parseFareTable(json, `test-${index + 1}`)));
/** 2026-06-01T00:00:00+08:00. */
export const table2FromMs = Date.UTC(2026, 4, 31, 16, 0, 0);

export function metroTap(kind: 'in' | 'out', account: string, stationId: string, eventTimeMs: number, tapId: string, utcOffsetMin = 480): MetroTap {
  return {
    tapId, deviceId: 'g', operatorId: 'szmc', account, mode: 'metro', kind, stationId,
    eventTimeMs, utcOffsetMin, receivedAtMs: eventTimeMs + 100,
  };
}

export function busTap(account: string, routeId: string, eventTimeMs: number, tapId: string, utcOffsetMin = 480): BusTap {
  return {
    tapId, deviceId: 'v', operatorId: 'szbus', account, mode: 'bus', kind: 'single', routeId, vehicleId: 'B-1',
    eventTimeMs, utcOffsetMin, receivedAtMs: eventTimeMs + 100,
  };
}

export function taxiTap(
  account: string, eventTimeMs: number, tapId: string, meter: { distanceM: number; durationS: number; waitingS: number }, utcOffsetMin = 480,
): TaxiTap {
  return {
    tapId, deviceId: 'x', operatorId: 'sztaxi', account, mode: 'taxi', kind: 'metered', vehicleId: 'T-1',
    eventTimeMs, utcOffsetMin, ...meter, receivedAtMs: eventTimeMs + 100,
  };
}

/**
 * One line per trip with every priced field, times relative to t0Ms:
 * `g/i1 L1-S01>L1-S03 5000m t+0..t+600000 test-1 300-0=300` (metro complete),
 * `g/i1 in:L1-S01 t+0 test-1 400-0=400 missing-tap-out` (incomplete), `v/b1 bus E11 t+0 ...`.
 */
export function summary(trip: Trip): string {
  const money = `${trip.fareTableVersion} ${trip.fareFen}-${trip.discountFen}=${trip.chargedFen}${trip.reasonCode === undefined ? '' : ` ${trip.reasonCode}`}`;
  const at = (ms: number): string => `t+${ms - t0Ms}`;
  switch (trip.mode) {
    case 'metro':
      if (trip.status === 'complete') {
        return `${trip.tapKeys.join('>')} ${trip.fromStationId}>${trip.toStationId} ${trip.distanceM}m ${at(trip.startMs)}..${at(trip.endMs)} ${money}`;
      }
      return `${trip.tripId} ${trip.fromStationId === undefined ? `out:${trip.toStationId}` : `in:${trip.fromStationId}`} ${at(trip.startMs)} ${money}`;
    case 'bus':
      return `${trip.tripId} bus ${trip.routeId} ${at(trip.startMs)} ${money}`;
    case 'taxi':
      return `${trip.tripId} taxi ${trip.distanceM}m ${at(trip.startMs)}..${at(trip.endMs)} ${money}`;
  }
}
