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

// Literals of its own, not tapEntry() and the like: V8 tracks how long the objects of each
// allocation site live, and allocates old those of a site whose objects outlive the young
// generation (entries a batcher or a benchmark keeps). The copies made here mostly die at
// once (encodeEntry's); sharing tripEntry's site made a trip parse 1.4 µs slower in a
// bench/codec.ts run (3.3 µs against 1.9), all of it in longer scavenges.
function parseBody(r: RecordReader, type: EntryType): Entry {
  switch (type) {
    case 'tap':
      return { type: 'tap', tap: r.value('tap', tapAt) };
    case 'trip':
      return { type: 'trip', trip: r.value('trip', tripAt) };
    case 'adjustment':
      return { type: 'adjustment', adjustment: r.value('adjustment', adjustmentAt) };
  }
}

const tapAt = (field: string, value: unknown): Tap => parseTap(value, field);
const tripAt = (field: string, value: unknown): Trip => parseTrip(value, field);
const adjustmentAt = (field: string, value: unknown): Adjustment => parseAdjustment(value, field);

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
