import type { Adjustment } from './adjustment.js';
import type { BusTap, MetroTap, TaxiTap } from './tap.js';
import type { BusTrip, MetroCompleteTrip, MetroIncompleteTrip, TaxiTrip } from './trip.js';

// One valid value of each shape, for tests and docs across the project. A Shenzhen
// passenger rides metro line 1, changes to a bus (transfer discount), later takes a taxi;
// one journey is left open (no tap-out) and is charged the maximum fare; one trip is refunded.
// Times: 2026-03-02, local UTC+8.

const account = 'wa_7Hq2xK9p';

export const metroTapIn: MetroTap = {
  tapId: 'g042-000123',
  deviceId: 'szm-l1-g042',
  operatorId: 'szmc',
  account,
  mode: 'metro',
  kind: 'in',
  stationId: 'L1-S07',
  eventTimeMs: 1_772_410_530_250, // 2026-03-02T00:15:30.250Z
  utcOffsetMin: 480,
  receivedAtMs: 1_772_410_530_391,
};

export const metroTapOut: MetroTap = {
  tapId: 'g311-000877',
  deviceId: 'szm-l1-g311',
  operatorId: 'szmc',
  account,
  mode: 'metro',
  kind: 'out',
  stationId: 'L1-S19',
  eventTimeMs: 1_772_412_065_900, // 2026-03-02T00:41:05.900Z
  utcOffsetMin: 480,
  receivedAtMs: 1_772_412_066_020,
};

export const busTap: BusTap = {
  tapId: '88412',
  deviceId: 'bv-0457',
  operatorId: 'szbus',
  account,
  mode: 'bus',
  kind: 'single',
  routeId: 'M375',
  vehicleId: 'B-75321',
  eventTimeMs: 1_772_413_331_000, // 2026-03-02T01:02:11.000Z
  utcOffsetMin: 480,
  receivedAtMs: 1_772_413_331_210,
};

export const taxiTap: TaxiTap = {
  tapId: 'pos-20260302-0042',
  deviceId: 'tx-pos-1183',
  operatorId: 'sztaxi',
  account,
  mode: 'taxi',
  kind: 'metered',
  vehicleId: 'YB-D12345',
  eventTimeMs: 1_772_446_800_000, // 2026-03-02T10:20:00.000Z, end of the ride
  utcOffsetMin: 480,
  distanceM: 8_350,
  durationS: 1_260,
  waitingS: 95,
  receivedAtMs: 1_772_446_800_500,
};

export const metroTrip: MetroCompleteTrip = {
  tripId: 'szm-l1-g042/g042-000123',
  account,
  operatorId: 'szmc',
  mode: 'metro',
  status: 'complete',
  tapKeys: ['szm-l1-g042/g042-000123', 'szm-l1-g311/g311-000877'],
  fromStationId: 'L1-S07',
  toStationId: 'L1-S19',
  startMs: metroTapIn.eventTimeMs,
  endMs: metroTapOut.eventTimeMs,
  distanceM: 14_200,
  fareTableVersion: 'szm-2026.1',
  fareFen: 500,
  discountFen: 0,
  chargedFen: 500,
};

export const metroIncompleteTrip: MetroIncompleteTrip = {
  tripId: 'szm-l5-g007/g007-004410',
  account,
  operatorId: 'szmc',
  mode: 'metro',
  status: 'incomplete',
  tapKeys: ['szm-l5-g007/g007-004410'],
  fromStationId: 'L5-S02',
  startMs: 1_772_503_200_000, // 2026-03-03T02:00:00.000Z
  endMs: 1_772_503_200_000,
  fareTableVersion: 'szm-2026.1',
  fareFen: 1_400,
  discountFen: 0,
  chargedFen: 1_400,
  reasonCode: 'missing-tap-out',
};

export const busTrip: BusTrip = {
  tripId: 'bv-0457/88412',
  account,
  operatorId: 'szbus',
  mode: 'bus',
  status: 'complete',
  tapKeys: ['bv-0457/88412'],
  routeId: 'M375',
  vehicleId: 'B-75321',
  startMs: busTap.eventTimeMs,
  endMs: busTap.eventTimeMs,
  fareTableVersion: 'szbus-2026.1',
  fareFen: 200,
  discountFen: 100,
  chargedFen: 100,
  reasonCode: 'transfer',
};

export const taxiTrip: TaxiTrip = {
  tripId: 'tx-pos-1183/pos-20260302-0042',
  account,
  operatorId: 'sztaxi',
  mode: 'taxi',
  status: 'complete',
  tapKeys: ['tx-pos-1183/pos-20260302-0042'],
  vehicleId: 'YB-D12345',
  startMs: taxiTap.eventTimeMs - taxiTap.durationS * 1000,
  endMs: taxiTap.eventTimeMs,
  distanceM: 8_350,
  fareTableVersion: 'sztaxi-2025.3',
  fareFen: 3_180,
  discountFen: 0,
  chargedFen: 3_180,
};

export const refund: Adjustment = {
  adjustmentId: 'adj-2026-000017',
  account,
  tripId: metroTrip.tripId,
  kind: 'refund',
  amountFen: 500,
  reason: '闸机故障，重复扣费',
  authorizedBy: 'admin.li',
  createdAtMs: 1_772_520_000_000,
};
