import { formatEventTime } from '@fareledger/domain';

// A deterministic mix of taps, as a small city would post them: metro journeys (tap-in,
// then tap-out minutes later), bus rides, metered taxi rides, and some tap-ins that never
// get their tap-out. Event times are recent so ingest accepts them.

export interface CityTap {
  readonly device: 'gate' | 'bus' | 'taxi';
  readonly tap: Record<string, unknown>;
}

const lines = [
  ['L1', 30],
  ['L2', 30],
  ['L3', 28],
  ['L5', 27],
] as const;

/** `count` taps (about), for `accounts` passengers, event times ending at `endMs`. */
export function cityTaps(count: number, accounts: number, endMs: number, devices: { gate: string; bus: string; taxi: string }): CityTap[] {
  const taps: CityTap[] = [];
  let random = 0x2545f491;
  const next = (n: number) => {
    random = (Math.imul(random, 1_103_515_245) + 12_345) >>> 0;
    return random % n;
  };
  const startMs = endMs - 60 * 60 * 1000;
  let sequence = 0;
  const eventTime = (ms: number) => formatEventTime(Math.min(ms, endMs), 480);
  while (taps.length < count) {
    const account = `wa_${next(accounts)}`;
    const atMs = startMs + Math.floor((taps.length / count) * 50 * 60 * 1000);
    const roll = next(100);
    sequence += 1;
    if (roll < 70) {
      const [lineIn, stationsIn] = lines[next(lines.length)]!;
      const [lineOut, stationsOut] = lines[next(lines.length)]!;
      const stationIn = `${lineIn}-S${String(1 + next(stationsIn)).padStart(2, '0')}`;
      const stationOut = `${lineOut}-S${String(1 + next(stationsOut)).padStart(2, '0')}`;
      const common = { deviceId: devices.gate, operatorId: 'szmc', account, mode: 'metro' };
      taps.push({ device: 'gate', tap: { ...common, tapId: `m${sequence}i`, kind: 'in', stationId: stationIn, eventTime: eventTime(atMs) } });
      if (roll < 67) {
        taps.push({ device: 'gate', tap: { ...common, tapId: `m${sequence}o`, kind: 'out', stationId: stationOut, eventTime: eventTime(atMs + (5 + next(40)) * 60_000) } });
      }
    } else if (roll < 92) {
      const routeId = ['B101', 'M375', 'N6', 'E11'][next(4)]!;
      taps.push({ device: 'bus', tap: { tapId: `b${sequence}`, deviceId: devices.bus, operatorId: 'szbus', account, mode: 'bus', kind: 'single', routeId, vehicleId: 'BUS-4471', eventTime: eventTime(atMs) } });
    } else {
      const durationS = 300 + next(2400);
      taps.push({
        device: 'taxi',
        tap: {
          tapId: `t${sequence}`, deviceId: devices.taxi, operatorId: 'sztaxi', account, mode: 'taxi', kind: 'metered', vehicleId: 'TX-88',
          distanceM: 1000 + next(30_000), durationS, waitingS: next(durationS), eventTime: eventTime(atMs),
        },
      });
    }
  }
  return taps.slice(0, count);
}
