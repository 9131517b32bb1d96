import { assert } from './assert.js';
import { timeMsMax, timeMsMin, utcOffsetMinMax, utcOffsetMinMin } from './limits.js';

// Devices send a tap's time as an RFC 3339 date-time with the device's UTC offset
// (`2026-03-02T08:15:30.250+08:00`); the ledger keeps it as eventTimeMs + utcOffsetMin.
// Hand-written because Date.parse is too lenient: it takes `2026-02-30`, `24:00`, times
// without an offset (read as local time), `+0800`, and drops fraction digits past the
// millisecond without a word.
//
// Accepted, per RFC 3339 section 5.6 with the choices below:
// - `YYYY-MM-DDTHH:MM:SS`, then an optional `.` and 1..3 digits, then `Z` or `±HH:MM`.
// - `t` and `z` in lower case (RFC 3339 allows them; they change nothing about the instant).
// Refused, each with its own reason:
// - 4 or more fraction digits: the ledger keeps milliseconds, so more would be cut silently.
// - A missing offset, and `+0800` (RFC 3339 needs the colon); a space in place of `T`.
// - Dates that do not exist (`2026-02-30`, `2025-02-29`), hour 24, minute 60, second 60
//   (leap seconds: Unix time has none).
// - `-00:00`: RFC 3339 section 4.3 reads it as "UTC, local offset unknown", and the ledger
//   needs the local offset to print local time on invoices. A device on UTC sends `Z`.
// - Offsets outside utcOffsetMinMin..utcOffsetMinMax, and instants outside
//   timeMsMin..timeMsMax (the ledger's time rule).

export type EventTimeReason =
  | 'syntax' // not the shape above
  | 'fraction-digits' // more than 3 fractional-second digits
  | 'offset-missing' // no `Z` or `±HH:MM` at the end
  | 'calendar' // a date or time of day that does not exist
  | 'offset-unknown' // `-00:00`
  | 'offset-range' // an offset beyond -12:00..+14:00
  | 'range'; // an instant before 2000 or after 2199

export interface ParsedEventTime {
  readonly ok: true;
  /** The instant: ms since the Unix epoch, UTC. */
  readonly eventTimeMs: number;
  /** The device's UTC offset in minutes (480 = UTC+8). */
  readonly utcOffsetMin: number;
}

export interface EventTimeProblem {
  readonly ok: false;
  readonly reason: EventTimeReason;
  /** For the device integrator; never quotes more than the part at fault. */
  readonly message: string;
}

const example = '2026-03-02T08:15:30.250+08:00';
const dayMs = 86_400_000;

/** Parses an RFC 3339 date-time with offset, by the rules above. Never throws. */
export function parseEventTime(text: string): ParsedEventTime | EventTimeProblem {
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const separatorsOk = text[4] === '-' && text[7] === '-' && (text[10] === 'T' || text[10] === 't') &&
    text[13] === ':' && text[16] === ':';
  if (!separatorsOk || year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return problem('syntax', `must be an RFC 3339 date-time with offset, such as ${example}`);
  }
  let index = 19;
  let millisecond = 0;
  if (text[index] === '.') {
    const fractionStart = index + 1;
    index = fractionStart;
    while (index < text.length && isDigit(text.charCodeAt(index))) index += 1;
    const fractionDigits = index - fractionStart;
    if (fractionDigits === 0) return problem('syntax', 'must have 1..3 digits after the decimal point');
    if (fractionDigits > 3) {
      return problem('fraction-digits', `has ${fractionDigits} fractional-second digits; send at most 3 (milliseconds)`);
    }
    millisecond = digitsAt(text, fractionStart, fractionDigits) * 10 ** (3 - fractionDigits);
  }
  const offset = offsetAt(text, index);
  if (typeof offset !== 'number') return offset;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return problem('calendar', `${text.slice(0, 10)} is not a date in the calendar`);
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return problem('calendar', `${text.slice(11, 19)} is not a time of day (00:00:00..23:59:59; no leap seconds)`);
  }
  const localMs = daysFromCivil(year, month, day) * dayMs + ((hour * 60 + minute) * 60 + second) * 1000 + millisecond;
  const eventTimeMs = localMs - offset * 60_000;
  if (eventTimeMs < timeMsMin || eventTimeMs > timeMsMax) {
    return problem('range', 'must be from 2000-01-01T00:00:00Z to 2199-12-31T23:59:59.999Z');
  }
  return { ok: true, eventTimeMs, utcOffsetMin: offset };
}

/** The offset in minutes at `index`, which must be the end of the text, or why not. */
function offsetAt(text: string, index: number): number | EventTimeProblem {
  const sign = text[index];
  if (index === text.length) return problem('offset-missing', `must end with an offset, Z or ±hh:mm, as in ${example}`);
  if ((sign === 'Z' || sign === 'z') && index + 1 === text.length) return 0;
  const hours = digitsAt(text, index + 1, 2);
  const minutes = digitsAt(text, index + 4, 2);
  if ((sign !== '+' && sign !== '-') || hours < 0 || text[index + 3] !== ':' || minutes < 0 || index + 6 !== text.length) {
    return problem('syntax', `must end with an offset, Z or ±hh:mm with a colon, as in ${example}`);
  }
  if (minutes > 59) return problem('syntax', `offset ${text.slice(index)} has minutes past 59`);
  if (sign === '-' && hours === 0 && minutes === 0) {
    return problem('offset-unknown', '-00:00 means "local offset unknown"; send the device\'s offset (+08:00), or Z for UTC');
  }
  const offsetMin = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  if (offsetMin < utcOffsetMinMin || offsetMin > utcOffsetMinMax) {
    return problem('offset-range', `offset ${text.slice(index)} is outside -12:00..+14:00`);
  }
  return offsetMin;
}

/**
 * RFC 3339 text of an instant in the given offset, always with milliseconds:
 * `formatEventTime(1772410530250, 480)` is `2026-03-02T08:15:30.250+08:00`; offset 0 is `Z`.
 * parseEventTime reads it back to the same two numbers.
 */
export function formatEventTime(eventTimeMs: number, utcOffsetMin: number): string {
  assert(Number.isSafeInteger(eventTimeMs) && eventTimeMs >= timeMsMin && eventTimeMs <= timeMsMax, 'eventTimeMs out of range');
  assert(Number.isSafeInteger(utcOffsetMin) && utcOffsetMin >= utcOffsetMinMin && utcOffsetMin <= utcOffsetMinMax, 'utcOffsetMin out of range');
  // Years 1999..2200 here, so toISOString always has the four-digit year form.
  const local = new Date(eventTimeMs + utcOffsetMin * 60_000).toISOString().slice(0, 23);
  if (utcOffsetMin === 0) return `${local}Z`;
  const offsetAbs = Math.abs(utcOffsetMin);
  return `${local}${utcOffsetMin < 0 ? '-' : '+'}${twoDigits(Math.trunc(offsetAbs / 60))}:${twoDigits(offsetAbs % 60)}`;
}

export interface SkewLimits {
  /** How far ahead of the receiver's clock an event time may be. */
  readonly futureMsMax: number;
  /** How far behind (a device that queued taps while offline sends them late). */
  readonly pastMsMax: number;
}

/**
 * Null when the device clock's event time is within the limits of the receiver's clock,
 * else a message for the integrator: `eventTime is 6 min in the future; at most 5 min
 * allowed`. Both bounds are inclusive.
 */
export function eventTimeSkewIssue(eventTimeMs: number, receivedAtMs: number, limits: SkewLimits): string | null {
  assert(Number.isSafeInteger(limits.futureMsMax) && limits.futureMsMax >= 0, 'futureMsMax must be a whole number of ms');
  assert(Number.isSafeInteger(limits.pastMsMax) && limits.pastMsMax >= 0, 'pastMsMax must be a whole number of ms');
  const aheadMs = eventTimeMs - receivedAtMs;
  if (aheadMs > limits.futureMsMax) {
    return `eventTime is ${formatDuration(aheadMs)} in the future; at most ${formatDuration(limits.futureMsMax)} allowed`;
  }
  if (-aheadMs > limits.pastMsMax) {
    return `eventTime is ${formatDuration(-aheadMs)} in the past; at most ${formatDuration(limits.pastMsMax)} allowed`;
  }
  return null;
}

/**
 * Exact and short: `6 min`, `1 d 2 h`, `5 min 0.001 s`. Never rounded, so a skew just past
 * its limit never prints as equal to the limit.
 */
function formatDuration(durationMs: number): string {
  const parts: string[] = [];
  let restMs = durationMs;
  for (const [unit, unitMs] of [['d', dayMs], ['h', 3_600_000], ['min', 60_000]] as const) {
    const count = Math.floor(restMs / unitMs);
    if (count > 0) parts.push(`${count} ${unit}`);
    restMs -= count * unitMs;
  }
  if (restMs > 0 || parts.length === 0) parts.push(`${restMs / 1000} s`);
  return parts.join(' ');
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The decimal value of `count` ASCII digits at `start`, or -1 if any is missing or not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index += 1) {
    const code = text.charCodeAt(index);
    if (!isDigit(code)) return -1;
    value = value * 10 + code - 0x30;
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

function problem(reason: EventTimeReason, message: string): EventTimeProblem {
  return { ok: false, reason, message };
}
