// Local calendar arithmetic by a tap's own UTC offset (utcOffsetMin), never the machine's
// time zone: the daily cap's "day" and the taxi night window are the passenger's local time.

export const dayMs = 86_400_000;
export const hourMs = 3_600_000;
export const minuteMs = 60_000;

/** The local calendar day of an instant, as days since 1970-01-01 in that offset. */
export function localDayOf(timeMs: number, utcOffsetMin: number): number {
  return Math.floor((timeMs + utcOffsetMin * minuteMs) / dayMs);
}

/** Milliseconds since local midnight, 0 ..= 86_399_999. */
export function localMsOfDay(timeMs: number, utcOffsetMin: number): number {
  const localMs = timeMs + utcOffsetMin * minuteMs;
  return localMs - Math.floor(localMs / dayMs) * dayMs;
}

/**
 * The latest UTC instant at which local day `day` can end, whatever the offset
 * (UTC-12:00 ends last): (day + 1) days + 12 h. Pruning by this bound needs no offset.
 */
export function localDayEndBoundMs(day: number): number {
  return (day + 1) * dayMs + 12 * hourMs;
}
