import { encodeEntry } from '@fareledger/codecs';
import { type Entry, type EntryType, tapKey } from '@fareledger/domain';

/**
 * The columns stored beside an entry's bytes so readers find it without decoding: what
 * kind it is, its key (tap key `deviceId/tapId`, tripId, or adjustmentId), whose it is, and
 * when it happened. They are derived from the bytes, never chosen: verifyChain decodes
 * every entry and checks them against this function.
 */
export interface EntryMetadata {
  readonly kind: EntryType;
  readonly key: string;
  readonly account: string;
  /** Tap: eventTimeMs; trip: endMs (when it was charged); adjustment: createdAtMs. */
  readonly timeMs: number;
}

/** One entry as the writer takes it: the leaf bytes and their metadata. */
export interface LedgerEntryInput extends EntryMetadata {
  /** The canonical entry bytes (encodeEntry): the Merkle leaf, stored verbatim. */
  readonly bytes: Uint8Array;
}

export function entryMetadataOf(entry: Entry): EntryMetadata {
  switch (entry.type) {
    case 'tap':
      return { kind: 'tap', key: tapKey(entry.tap), account: entry.tap.account, timeMs: entry.tap.eventTimeMs };
    case 'trip':
      return { kind: 'trip', key: entry.trip.tripId, account: entry.trip.account, timeMs: entry.trip.endMs };
    case 'adjustment': {
      const { adjustmentId, account, createdAtMs } = entry.adjustment;
      return { kind: 'adjustment', key: adjustmentId, account, timeMs: createdAtMs };
    }
  }
}

/** Encodes an entry and derives its metadata: what sealBlock takes for it. */
export function ledgerEntryOf(entry: Entry): LedgerEntryInput {
  const { kind, key, account, timeMs } = entryMetadataOf(entry);
  return { bytes: encodeEntry(entry), kind, key, account, timeMs };
}

/**
 * The entry's key in the chain's duplicate index (tap_keys), for the entries that have one:
 * a tap's `deviceId/tapId`, an adjustment's `adjustment:<adjustmentId>` (no `/`, so never a
 * tap's). A retry of either repeats it with the same time, and is dropped.
 */
export function duplicateIndexKey(metadata: Pick<EntryMetadata, 'kind' | 'key'>): string | undefined {
  if (metadata.kind === 'tap') return metadata.key;
  if (metadata.kind === 'adjustment') return `adjustment:${metadata.key}`;
  return undefined;
}
