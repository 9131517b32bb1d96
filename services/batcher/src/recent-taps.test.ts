import { describe, expect, it } from 'vitest';
import { RecentTaps } from './recent-taps.js';

const minuteMs = 60_000;
const t0 = 1_772_410_530_250;
const has = (recent: RecentTaps, key: string, eventTimeMs: number) => recent.has(key, eventTimeMs);

describe('RecentTaps', () => {
  it('answers for the window exactly, and not at all before it', () => {
    const recent = new RecentTaps(10 * minuteMs);
    recent.reset(t0, [['d/1', t0 - 5 * minuteMs], ['d/2', t0]]);
    expect(recent.fromMs).toBe(t0 - 10 * minuteMs);
    expect([has(recent, 'd/1', t0 - 5 * minuteMs), has(recent, 'd/1', t0), has(recent, 'd/3', t0), has(recent, 'd/9', t0 - 11 * minuteMs)])
      .toEqual([true, false, false, undefined]);
    recent.add('d/3', t0 + 1);
    recent.add('d/4', t0 - 11 * minuteMs); // a late tap, pending: kept, the ledger cannot answer for it yet
    expect([has(recent, 'd/3', t0 + 1), has(recent, 'd/4', t0 - 11 * minuteMs), recent.size]).toEqual([true, true, 4]);
  });

  it('moves up once it lags two windows, dropping only what falls out', () => {
    const recent = new RecentTaps(10 * minuteMs);
    recent.reset(t0, []);
    for (let m = 0; m <= 30; m += 1) recent.add(`d/${m}`, t0 + m * minuteMs);
    recent.prune(t0 + 5 * minuteMs); // the window would move 5 min, less than one window: stays
    expect([recent.fromMs, recent.size]).toEqual([t0 - 10 * minuteMs, 31]);
    recent.prune(t0 + 30 * minuteMs);
    expect([recent.fromMs, recent.size]).toEqual([t0 + 20 * minuteMs, 11]);
    expect([has(recent, 'd/19', t0 + 19 * minuteMs), has(recent, 'd/20', t0 + 20 * minuteMs)]).toEqual([undefined, true]);
  });

  it('keeps every event time of a key a device reused, and drops each as it falls out', () => {
    const recent = new RecentTaps(10 * minuteMs);
    recent.reset(t0, []);
    for (const m of [0, 5, 15, 25]) recent.add('d/1', t0 + m * minuteMs);
    expect([has(recent, 'd/1', t0), has(recent, 'd/1', t0 + 15 * minuteMs), has(recent, 'd/1', t0 + 16 * minuteMs), recent.size]).toEqual([true, true, false, 4]);
    recent.prune(t0 + 26 * minuteMs); // from t0 + 16 min on
    expect([has(recent, 'd/1', t0 + 15 * minuteMs), has(recent, 'd/1', t0 + 25 * minuteMs), recent.size]).toEqual([undefined, true, 1]);
    recent.prune(t0 + 60 * minuteMs);
    expect(recent.size).toBe(0);
  });

  it('refuses a reset with a tap older than the window (a bug in the ledger query)', () => {
    expect(() => new RecentTaps(minuteMs).reset(t0, [['d/1', t0 - 2 * minuteMs]])).toThrow('older than the window');
  });
});
