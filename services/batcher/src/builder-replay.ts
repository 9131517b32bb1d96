import { decodeEntry, encodeEntry, equalBytes } from '@fareledger/codecs';
import { tripEntry } from '@fareledger/domain';
import { type TripBuilder, tripsOfSealedTap } from '@fareledger/domain/pairing';
import type { LedgerWriter } from '@fareledger/ledger';

// The trip builder is snapshotted now and then, not with every block (its snapshot grows
// with the open journeys: rewriting it per block cost a quarter of a seal at 60,000 open
// journeys). On start the batcher restores the latest snapshot and replays the tap entries
// sealed after it, which is what the batcher fed the builder when it sealed them.

/** Replayed taps did not close the trips the ledger holds after them. */
export class BuilderReplayError extends Error {
  override readonly name = 'BuilderReplayError';
}

/**
 * Feeds `builder` (restored from the snapshot at tree size `from`) the chain's tap entries
 * [from, to) and checks it closes exactly the trip entries sealed after each tap, byte for
 * byte. A mismatch means the fare tables, the network or the pairing rules changed under
 * sealed history (or the file was altered): the chain must not be extended, so it throws.
 * Returns the number of taps replayed.
 */
export function replayIntoBuilder(builder: TripBuilder, writer: LedgerWriter, chain: number, from: number, to: number): number {
  /** Trip entries the replayed taps closed that the ledger has not shown yet, in order. */
  const expected: Uint8Array[] = [];
  let taps = 0;
  writer.forEachEntry(chain, from, to, (index, bytes) => {
    const entry = decodeEntry(bytes);
    if (entry.type === 'tap') {
      mismatchIf(expected.length > 0, chain, index, `a tap entry where the replay expects ${expected.length} more trip entries`);
      taps += 1;
      // encodeEntry returns a view into a shared buffer: copy before the next encode.
      for (const trip of tripsOfSealedTap(builder, entry.tap)) expected.push(encodeEntry(tripEntry(trip)).slice());
    } else if (entry.type === 'trip') {
      const next = expected.shift();
      mismatchIf(next === undefined, chain, index, 'a trip entry the replayed taps did not close');
      mismatchIf(!equalBytes(bytes, next!), chain, index, `trip ${entry.trip.tripId} differs from the replay's`);
    }
  });
  mismatchIf(expected.length > 0, chain, to, `the replay closes ${expected.length} more trips than the ledger holds`);
  return taps;
}

function mismatchIf(failed: boolean, chain: number, index: number, what: string): void {
  if (!failed) return;
  throw new BuilderReplayError(
    `chain ${chain}, entry ${index}: ${what}. The fare tables, the network or the pairing rules changed under sealed ` +
      'history, or the ledger was altered; the chain is not extended (run the audit verify, restore the sealed tables).',
  );
}
