import { describe, expect, it } from 'vitest';
import { idOf, RecentTaps } from './recent-taps.js';

const minuteMs = 60_000;
const t0 = 1_772_410_530_250;
/** The batcher asks by the tap's id and event time. */
const has = (recent: RecentTaps, key: string, eventTimeMs: number) => recent.has(idOf(key, eventTimeMs), eventTimeMs);

describe('RecentTaps', () => {
  it('answers for the window exactly, and not at all before it', () => {
    const recent = new RecentTaps(10 * minuteMs);
    recent.reset(t0, [['d/1', t0 - 5 * minuteMs], ['d/2', t0]]);
    expect(recent.fromMs).toBe(t0 - 10 * minuteMs);
    expect([has(recent, 'd/1', t0 - 5 * minuteMs), has(recent, 'd/1', t0), has(recent, 'd/3', t0), has(recent, 'd/9', t0 - 11 * minuteMs)])
      .toEqual([true, false, false, undefined]);
    recent.add(idOf('d/3', t0 + 1));
    recent.add(idOf('d/4', t0 - 11 * minuteMs)); // a late tap, pending: kept, the ledger cannot answer for it yet
    expect([has(recent, 'd/3', t0 + 1), has(recent, 'd/4', t0 - 11 * minuteMs), recent.size]).toEqual([true, true, 4]);
  });

  it('moves up once it lags two windows, dropping only what falls out', () => {
    const recent = new RecentTaps(10 * minuteMs);
    recent.reset(t0, []);
    for (let m = 0; m <= 30; m += 1) recent.add(idOf(`d/${m}`, t0 + m * minuteMs));
    recent.prune(t0 + 5 * minuteMs); // the window would move 5 min, less than one window: stays
    expect([recent.fromMs, recent.size]).toEqual([t0 - 10 * minuteMs, 31]);
    recent.prune(t0 + 30 * minuteMs);
    expect([recent.fromMs, recent.size]).toEqual([t0 + 20 * minuteMs, 11]);
    expect([has(recent, 'd/19', t0 + 19 * minuteMs), has(recent, 'd/20', t0 + 20 * minuteMs)]).toEqual([undefined, true]);
  });

  it('refuses a reset with a tap older than the window (a bug in the ledger query)', () => {
    expect(() => new RecentTaps(minuteMs).reset(t0, [['d/1', t0 - 2 * minuteMs]])).toThrow('older than the window');
  });
});
