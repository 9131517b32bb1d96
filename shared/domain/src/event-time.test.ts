import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.js';
import { eventTimeSkewIssue, formatEventTime, parseEventTime } from './event-time.js';
import { metroTapIn } from './examples.js';
import { timeMsMax, timeMsMin, utcOffsetMinMax, utcOffsetMinMin } from './limits.js';

/** Accepted texts: the instant and offset each must read as. */
const good: readonly [string, number, number][] = [
  ['2026-03-02T08:15:30.250+08:00', metroTapIn.eventTimeMs, 480],
  ['2026-03-02T00:15:30.250Z', metroTapIn.eventTimeMs, 0],
  ['2026-03-02T00:15:30.250+00:00', metroTapIn.eventTimeMs, 0],
  ['2026-03-02t00:15:30.250z', metroTapIn.eventTimeMs, 0],
  ['2026-03-02T08:15:30+08:00', 1_772_410_530_000, 480],
  ['2026-03-02T08:15:30.5+08:00', 1_772_410_530_500, 480],
  ['2026-03-02T08:15:30.05+08:00', 1_772_410_530_050, 480],
  ['2026-03-02T08:15:30.000+08:00', 1_772_410_530_000, 480],
  ['2026-03-02T06:00:30.250+05:45', metroTapIn.eventTimeMs, 345],
  ['2026-03-01T14:45:30.250-09:30', metroTapIn.eventTimeMs, -570],
  ['2024-02-29T12:00:00Z', 1_709_208_000_000, 0], // leap year
  ['2000-02-29T00:00:00Z', 951_782_400_000, 0], // divisible by 400: leap
  ['2000-01-01T00:00:00Z', timeMsMin, 0],
  ['1999-12-31T19:00:00-05:00', timeMsMin, -300], // local date before 2000, instant in range
  ['2000-01-01T12:00:00+12:00', timeMsMin, 720],
  ['2199-12-31T23:59:59.999Z', timeMsMax, 0],
  ['2200-01-01T13:59:59.999+14:00', timeMsMax, 840],
  ['2026-06-30T23:59:59-12:00', 1_782_907_199_000, -720],
  ['2026-12-31T23:59:59.999+14:00', 1_798_711_199_999, 840],
];

/** Refused texts, with the reason. */
const bad: readonly [string, string][] = [
  ['', 'syntax'],
  ['2026-03-02', 'syntax'],
  ['2026-03-02T08:15', 'syntax'],
  ['2026-03-02 08:15:30Z', 'syntax'],
  ['2026-3-2T8:15:30Z', 'syntax'],
  ['20260302T081530Z', 'syntax'],
  ['+002026-03-02T08:15:30Z', 'syntax'],
  [' 2026-03-02T08:15:30Z', 'syntax'],
  ['2026-03-02T08:15:30Z ', 'syntax'],
  ['2026-03-02T08:15:30Zx', 'syntax'],
  ['２０２６-03-02T08:15:30Z', 'syntax'],
  ['2026-03-02T08:15:30.Z', 'syntax'],
  ['2026-03-02T08:15:30,250Z', 'syntax'],
  ['2026-03-02T08:15:30+0800', 'syntax'],
  ['2026-03-02T08:15:30+08', 'syntax'],
  ['2026-03-02T08:15:30+8:00', 'syntax'],
  ['2026-03-02T08:15:30\u221208:00', 'syntax'], // U+2212 minus sign
  ['2026-03-02T08:15:30UTC', 'syntax'],
  ['2026-03-02T08:15:30+08:60', 'syntax'],
  ['2026-03-02T08:15:30', 'offset-missing'],
  ['2026-03-02T08:15:30.250', 'offset-missing'],
  ['2026-03-02T08:15:30.2500Z', 'fraction-digits'],
  ['2026-03-02T08:15:30.123456789+08:00', 'fraction-digits'],
  ['2026-02-30T08:15:30Z', 'calendar'],
  ['2025-02-29T08:15:30Z', 'calendar'], // not a leap year
  ['2100-02-29T08:15:30Z', 'calendar'], // divisible by 100, not 400
  ['2026-04-31T08:15:30Z', 'calendar'],
  ['2026-13-01T08:15:30Z', 'calendar'],
  ['2026-00-10T08:15:30Z', 'calendar'],
  ['2026-03-00T08:15:30Z', 'calendar'],
  ['2026-03-02T24:00:00Z', 'calendar'],
  ['2026-03-02T23:60:00Z', 'calendar'],
  ['2016-12-31T23:59:60Z', 'calendar'], // a real leap second; Unix time has none
  ['2026-03-02T08:15:30-00:00', 'offset-unknown'],
  ['2026-03-02T08:15:30+14:01', 'offset-range'],
  ['2026-03-02T08:15:30-12:01', 'offset-range'],
  ['2026-03-02T08:15:30+24:00', 'offset-range'],
  ['1999-12-31T23:59:59.999Z', 'range'],
  ['2000-01-01T00:00:00+00:01', 'range'],
  ['2200-01-01T00:00:00Z', 'range'],
  ['2199-12-31T23:59:59.999-00:01', 'range'],
  ['0000-01-01T00:00:00Z', 'range'],
  ['9999-12-31T23:59:59.999Z', 'range'],
];

describe('parseEventTime', () => {
  it.each(good)('reads %s', (text, eventTimeMs, utcOffsetMin) => {
    expect(parseEventTime(text)).toEqual({ ok: true, eventTimeMs, utcOffsetMin });
  });

  it.each(good)('agrees with Date.parse on %s', (text) => {
    const parsed = parseEventTime(text);
    expect(parsed.ok && parsed.eventTimeMs).toBe(Date.parse(text.toUpperCase()));
  });

  it.each(bad)('refuses %j (%s)', (text, reason) => {
    expect(parseEventTime(text)).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['2026-03-02T08:15:30+0800', 'must end with an offset, Z or ±hh:mm with a colon, as in 2026-03-02T08:15:30.250+08:00'],
    ['2026-03-02T08:15:30', 'must end with an offset, Z or ±hh:mm, as in 2026-03-02T08:15:30.250+08:00'],
    ['2026-03-02T08:15:30.123456Z', 'has 6 fractional-second digits; send at most 3 (milliseconds)'],
    ['2026-02-30T08:15:30Z', '2026-02-30 is not a date in the calendar'],
    ['2016-12-31T23:59:60Z', '23:59:60 is not a time of day (00:00:00..23:59:59; no leap seconds)'],
    ['2026-03-02T08:15:30-00:00', '-00:00 means "local offset unknown"; send the device\'s offset (+08:00), or Z for UTC'],
    ['2026-03-02T08:15:30+14:30', 'offset +14:30 is outside -12:00..+14:00'],
    ['2200-01-01T00:00:00Z', 'must be from 2000-01-01T00:00:00Z to 2199-12-31T23:59:59.999Z'],
    ['8:15', 'must be an RFC 3339 date-time with offset, such as 2026-03-02T08:15:30.250+08:00'],
  ])('explains %s', (text, message) => {
    expect(parseEventTime(text)).toMatchObject({ ok: false, message });
  });
});

describe('formatEventTime', () => {
  it.each([
    [metroTapIn.eventTimeMs, 480, '2026-03-02T08:15:30.250+08:00'],
    [metroTapIn.eventTimeMs, 0, '2026-03-02T00:15:30.250Z'],
    [metroTapIn.eventTimeMs, -570, '2026-03-01T14:45:30.250-09:30'],
    [metroTapIn.eventTimeMs, 345, '2026-03-02T06:00:30.250+05:45'],
    [metroTapIn.eventTimeMs, -5, '2026-03-02T00:10:30.250-00:05'],
    [timeMsMin, utcOffsetMinMin, '1999-12-31T12:00:00.000-12:00'],
    [timeMsMax, utcOffsetMinMax, '2200-01-01T13:59:59.999+14:00'],
  ])('writes %i at offset %i as %s', (eventTimeMs, utcOffsetMin, text) => {
    expect(formatEventTime(eventTimeMs, utcOffsetMin)).toBe(text);
    expect(parseEventTime(text)).toEqual({ ok: true, eventTimeMs, utcOffsetMin });
  });

  it('round-trips through parseEventTime for seeded random instants and offsets', () => {
    let seed = 11;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    for (let case_ = 0; case_ < 10_000; case_ += 1) {
      const eventTimeMs = timeMsMin + Math.floor(random() * (timeMsMax - timeMsMin + 1));
      const utcOffsetMin = utcOffsetMinMin + Math.floor(random() * (utcOffsetMinMax - utcOffsetMinMin + 1));
      const text = formatEventTime(eventTimeMs, utcOffsetMin);
      const parsed = parseEventTime(text);
      if (!parsed.ok || parsed.eventTimeMs !== eventTimeMs || parsed.utcOffsetMin !== utcOffsetMin) {
        expect([text, parsed]).toEqual([text, { ok: true, eventTimeMs, utcOffsetMin }]);
      }
      if (Date.parse(text) !== eventTimeMs) expect([text, Date.parse(text)]).toEqual([text, eventTimeMs]);
    }
  });

  it.each(good)('writes %s back in the canonical form', (text, eventTimeMs, utcOffsetMin) => {
    const canonical = formatEventTime(eventTimeMs, utcOffsetMin);
    expect(parseEventTime(canonical)).toEqual(parseEventTime(text));
    expect(canonical).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/);
  });

  it.each([
    [1.5, 0],
    [timeMsMin - 1, 0],
    [timeMsMax + 1, 0],
    [timeMsMin, 841],
    [timeMsMin, -721],
    [timeMsMin, 0.5],
  ])('asserts on %d at offset %d', (eventTimeMs, utcOffsetMin) => {
    expect(() => formatEventTime(eventTimeMs, utcOffsetMin)).toThrow(AssertionError);
  });
});

describe('eventTimeSkewIssue', () => {
  const now = 1_772_410_530_000;
  const limits = { futureMsMax: 5 * 60_000, pastMsMax: 2 * 86_400_000 };

  it.each([
    ['6 min ahead', now + 360_000, 'eventTime is 6 min in the future; at most 5 min allowed'],
    ['1 ms past the limit', now + 300_001, 'eventTime is 5 min 0.001 s in the future; at most 5 min allowed'],
    ['1 h 1.5 s ahead', now + 3_601_500, 'eventTime is 1 h 1.5 s in the future; at most 5 min allowed'],
    ['3 days behind', now - 3 * 86_400_000, 'eventTime is 3 d in the past; at most 2 d allowed'],
    ['2 d 3 h 4 min 5.006 s behind', now - 183_845_006, 'eventTime is 2 d 3 h 4 min 5.006 s in the past; at most 2 d allowed'],
    ['exactly 5 min ahead', now + 300_000, null],
    ['exactly 2 days behind', now - 2 * 86_400_000, null],
    ['on time', now, null],
  ])('%s', (_name, eventTimeMs, issue) => {
    expect(eventTimeSkewIssue(eventTimeMs, now, limits)).toBe(issue);
  });

  it('prints a zero limit as 0 s', () => {
    expect(eventTimeSkewIssue(now + 1, now, { futureMsMax: 0, pastMsMax: 0 })).toBe(
      'eventTime is 0.001 s in the future; at most 0 s allowed',
    );
    expect(eventTimeSkewIssue(now - 999, now, { futureMsMax: 0, pastMsMax: 0 })).toBe(
      'eventTime is 0.999 s in the past; at most 0 s allowed',
    );
  });

  it.each([
    [{ futureMsMax: -1, pastMsMax: 0 }],
    [{ futureMsMax: 0, pastMsMax: 0.5 }],
    [{ futureMsMax: Number.NaN, pastMsMax: 0 }],
  ])('asserts on limits %j', (badLimits) => {
    expect(() => eventTimeSkewIssue(now, now, badLimits)).toThrow(AssertionError);
  });
});
