import { type Adjustment, parseAdjustment } from './adjustment.js';
import { RecordReader } from './fields.js';
import { parseTap, type Tap } from './tap.js';
import { parseTrip, type Trip } from './trip.js';

export const entryTypes = ['tap', 'trip', 'adjustment'] as const;
export type EntryType = (typeof entryTypes)[number];

export interface TapEntry {
  readonly type: 'tap';
  readonly tap: Tap;
}
export interface TripEntry {
  readonly type: 'trip';
  readonly trip: Trip;
}
export interface AdjustmentEntry {
  readonly type: 'adjustment';
  readonly adjustment: Adjustment;
}

/** A ledger entry: one leaf of a chain's Merkle log. */
export type Entry = TapEntry | TripEntry | AdjustmentEntry;

export function tapEntry(tap: Tap): TapEntry {
  return { type: 'tap', tap };
}
export function tripEntry(trip: Trip): TripEntry {
  return { type: 'trip', trip };
}
export function adjustmentEntry(adjustment: Adjustment): AdjustmentEntry {
  return { type: 'adjustment', adjustment };
}

/** `{ type: 'tap', tap: {...} }` and so on. Throws ValidationError. */
export function parseEntry(input: unknown): Entry {
  const r = new RecordReader(input, '');
  const type = r.oneOf('type', entryTypes);
  const entry = parseBody(r, type);
  r.finish();
  return entry;
}

function parseBody(r: RecordReader, type: EntryType): Entry {
  switch (type) {
    case 'tap':
      return tapEntry(r.value('tap', (field, value) => parseTap(value, field)));
    case 'trip':
      return tripEntry(r.value('trip', (field, value) => parseTrip(value, field)));
    case 'adjustment':
      return adjustmentEntry(r.value('adjustment', (field, value) => parseAdjustment(value, field)));
  }
}

/** The account an entry belongs to: the wallet that may see it. */
export function entryAccount(entry: Entry): string {
  switch (entry.type) {
    case 'tap':
      return entry.tap.account;
    case 'trip':
      return entry.trip.account;
    case 'adjustment':
      return entry.adjustment.account;
  }
}
