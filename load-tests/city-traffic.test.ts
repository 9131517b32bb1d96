import { loadSzmNetwork } from '@fareledger/domain/node-data';
import { describe, expect, it } from 'vitest';
import { CityTraffic, type Tap } from './city-traffic.js';

const gate = { deviceId: 'bench-gate-0', operatorId: 'szmc', mode: 'metro' } as const;
const validator = { deviceId: 'bench-validator-0', operatorId: 'szbus', mode: 'bus' } as const;

function traffic(passengers: number, walletAccounts: number): CityTraffic {
  return new CityTraffic({ network: loadSzmNetwork(), passengers, walletAccounts, rideSecondsMin: 2, rideSecondsMax: 12, seed: 7, runId: 'r1' });
}

describe('CityTraffic', () => {
  it('taps each passenger in, then out at another station after the ride, with tap ids used once', () => {
    const city = traffic(50_000, 0);
    const taps: Tap[] = [];
    for (let i = 0; i < 400; i++) taps.push(...city.batch(gate, 50, 1_700_000_000_000 + i * 100).taps);
    expect(new Set(taps.map((tap) => tap.tapId)).size).toBe(taps.length);
    const tapIns = new Map(taps.filter((tap) => tap.kind === 'in').map((tap) => [tap.tapId.slice(0, -1), tap]));
    const tapOuts = taps.filter((tap) => tap.kind === 'out');
    expect(tapOuts.length).toBeGreaterThan(1000);
    for (const out of tapOuts) {
      const tapIn = tapIns.get(out.tapId.slice(0, -1))!;
      expect(out.account).toBe(tapIn.account);
      expect(out.stationId).not.toBe(tapIn.stationId);
      expect(taps.indexOf(out)).toBeGreaterThan(taps.indexOf(tapIn));
    }
  });

  it('keeps batches full when every wallet account is riding, and lists only wallet taps for the wallets', () => {
    const city = traffic(50_000, 100);
    city.walletShare = 1;
    for (let i = 0; i < 200; i++) {
      const { taps, walletTaps } = city.batch(i % 4 === 0 ? validator : gate, 20, 1_700_000_000_000 + i * 10);
      expect(taps.length).toBe(20);
      for (const tap of walletTaps) {
        expect(Number(tap.account.split('_').at(-1))).toBeLessThan(100);
        expect(tap.kind === 'out' || tap.kind === 'single').toBe(true);
      }
    }
  });

  it('makes bus validators post single taps of a route', () => {
    const { taps } = traffic(1_000, 0).batch(validator, 5, 1_700_000_000_000);
    expect(taps.map((tap) => [tap.mode, tap.kind, tap.deviceId])).toEqual(Array(5).fill(['bus', 'single', validator.deviceId]));
    for (const tap of taps) expect(tap.routeId).toMatch(/^[A-Z]+\d+$/);
  });
});
