import { assert } from '@fareledger/domain';
import { TILE_WIDTH } from '@fareledger/merkle';
import { LedgerError } from './errors.js';

// Entries are stored as C2SP tlog-tiles entry bundles: the entries of leaf indexes
// [256·n, 256·n + 256), each as a big-endian uint16 length and the leaf bytes. A bundle is
// one row, so a block of 4,096 entries is 16 row writes instead of 4,096 (the per-row cost
// was most of a seal), and an entry is read with its 255 neighbours (~50 KiB), which the
// readers want anyway (a block, a page, a proof's tile next door). The last bundle of a
// chain is partial and is rewritten as it grows, like a partial tile.

export const bundleWidth = TILE_WIDTH;
/** uint16 length prefix: an entry is at most 65,535 bytes (entries are ≤ 4,096). */
const entryBytesMax = 0xffff;

/** The bytes of a bundle holding `entries`, in order. */
export function encodeBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (!(entries.length >= 1 && entries.length <= bundleWidth)) assert(false, `a bundle holds 1..${bundleWidth} entries, got ${entries.length}`);
  let size = 0;
  for (const entry of entries) {
    if (!(entry.length >= 1 && entry.length <= entryBytesMax)) assert(false, `bundle entry of ${entry.length} bytes`);
    size += 2 + entry.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const entry of entries) {
    bytes[at] = entry.length >>> 8;
    bytes[at + 1] = entry.length & 0xff;
    bytes.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return bytes;
}

/**
 * The entries of a stored bundle, as views into `bytes`. A bundle that does not parse
 * (a length past the end, an empty entry, more than 256 entries) is damage in the file.
 */
export function decodeBundle(bytes: Uint8Array, where: string): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new LedgerError(`${where}: entry bundle ends inside a length prefix`);
    const length = (bytes[at]! << 8) | bytes[at + 1]!;
    if (length === 0 || at + 2 + length > bytes.length) throw new LedgerError(`${where}: entry bundle holds a bad length ${length} at byte ${at}`);
    entries.push(bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length === 0 || entries.length > bundleWidth) throw new LedgerError(`${where}: entry bundle holds ${entries.length} entries`);
  return entries;
}

/** A row of entry_bundles, as the range query below returns it. */
export interface BundleRow {
  bundle_index: number;
  bytes: Buffer;
}

/** The bundles holding the entries [from, to) of a chain: bind (chain, first bundle, last bundle). */
export const selectBundleRangeSql =
  'SELECT bundle_index, bytes FROM entry_bundles WHERE chain = ? AND bundle_index >= ? AND bundle_index <= ? ORDER BY bundle_index';

/** The bundle indexes [first, last] holding the entries [from, to), to > from. */
export function bundleRange(from: number, to: number): [first: number, last: number] {
  return [Math.floor(from / bundleWidth), Math.floor((to - 1) / bundleWidth)];
}

/**
 * Hands each entry of [from, to) that `rows` (from selectBundleRangeSql) hold to `take`, in
 * log order, as views into the rows' bytes. A missing bundle leaves a gap in the indexes.
 */
export function forEachBundleEntry(rows: Iterable<BundleRow>, chain: number, from: number, to: number, take: (index: number, bytes: Uint8Array) => void): void {
  for (const row of rows) {
    const first = row.bundle_index * bundleWidth;
    const bundle = decodeBundle(new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength), `ledger chain ${chain}, bundle ${row.bundle_index}`);
    const end = Math.min(to - first, bundle.length);
    for (let i = Math.max(from - first, 0); i < end; i++) take(first + i, bundle[i]!);
  }
}
