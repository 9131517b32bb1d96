import { type Entry, examples } from '@fareledger/domain';
import { decodeEntry } from './entry-codec.js';
import { EntryDecodeError } from './errors.js';

// Fixtures shared by the codec's tests.

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** One entry of every type and mode the domain's examples hold. */
export const exampleEntries: readonly Entry[] = [
  { type: 'tap', tap: examples.metroTapIn },
  { type: 'tap', tap: examples.metroTapOut },
  { type: 'tap', tap: examples.busTap },
  { type: 'tap', tap: examples.taxiTap },
  { type: 'trip', trip: examples.metroTrip },
  { type: 'trip', trip: examples.metroIncompleteTrip },
  { type: 'trip', trip: examples.busTrip },
  { type: 'trip', trip: examples.taxiTrip },
  { type: 'adjustment', adjustment: examples.refund },
];

/** Why decodeEntry refuses the bytes, or 'accepted'. */
export function reasonOf(bytes: Uint8Array): string {
  try {
    decodeEntry(bytes);
  } catch (error) {
    if (error instanceof EntryDecodeError) return error.reason;
    throw error;
  }
  return 'accepted';
}
