import { parseVerifierKey } from '@fareledger/checkpoint';
import { decodeEntry, encodeEntry } from '@fareledger/codecs';
import { type TapEntry, tapKey, tripEntry } from '@fareledger/domain';
import { loadSzmFareTables, loadSzmNetwork } from '@fareledger/domain/node-data';
import { TripBuilder, type TripBuilderConfig } from '@fareledger/domain/pairing';
import { entriesReadMax, LedgerReader, verifyChain } from '@fareledger/ledger';
import type { StoredTapRecord } from '@fareledger/tap-log';

// The batcher's promise, checked from the outside: replay the tap log from scratch (drop
// retried taps, pair and price with a fresh trip builder) and compare, byte for
// byte, with what each chain holds; then verify every chain from genesis.

export interface LedgerCheck {
  readonly tapsInLog: number;
  readonly uniqueTaps: number;
  readonly tapsInLedger: number;
  readonly tripsInLedger: number;
  /** Chains whose entries differ from the replay: the first differing index. */
  readonly mismatches: readonly { chain: number; index: number; expected: number; stored: number }[];
  readonly chainFailures: readonly string[];
}

export function checkLedger(ledgerPath: string, logByPartition: readonly StoredTapRecord[][], builderConfig: Partial<TripBuilderConfig> = {}): LedgerCheck {
  const tables = loadSzmFareTables();
  const network = loadSzmNetwork();
  const reader = LedgerReader.open({ path: ledgerPath });
  try {
    const verifiers = reader.verifierKeys().map((key) => parseVerifierKey(key.verifierKey));
    let tapsInLog = 0;
    let uniqueTaps = 0;
    let tapsInLedger = 0;
    let tripsInLedger = 0;
    const mismatches: LedgerCheck['mismatches'][number][] = [];
    const chainFailures: string[] = [];
    logByPartition.forEach((records, chain) => {
      const builder = new TripBuilder({ tables, network, config: builderConfig });
      const seen = new Set<string>();
      const expected: Uint8Array[] = [];
      for (const record of records) {
        tapsInLog += 1;
        const { tap } = decodeEntry(record.value) as TapEntry;
        const id = `${tapKey(tap)}@${tap.eventTimeMs}`; // a retry repeats key and event time
        if (seen.has(id) || builder.holdsTapKey(tap)) continue;
        seen.add(id);
        uniqueTaps += 1;
        expected.push(record.value);
        for (const trip of builder.accept(tap)) expected.push(encodeEntry(tripEntry(trip)));
      }
      const stored = reader.chain(chain)?.treeSize ?? 0;
      const entries = chainEntryBytes(reader, chain, stored);
      for (const bytes of entries) {
        if (decodeEntry(bytes).type === 'tap') tapsInLedger += 1;
        else tripsInLedger += 1;
      }
      const index = firstDifference(expected, entries);
      if (index !== -1) mismatches.push({ chain, index, expected: expected.length, stored: entries.length });
      if (stored > 0) {
        const verification = verifyChain(reader, chain, verifiers);
        if (!verification.ok) chainFailures.push(`chain ${chain}: ${JSON.stringify(verification.failure)}`);
      }
    });
    return { tapsInLog, uniqueTaps, tapsInLedger, tripsInLedger, mismatches, chainFailures };
  } finally {
    reader.close();
  }
}

/** Entries [0, treeSize) of a chain, read in pages. */
export function chainEntryBytes(reader: LedgerReader, chain: number, treeSize: number): Uint8Array[] {
  const entries: Uint8Array[] = [];
  for (let from = 0; from < treeSize; from += entriesReadMax) {
    for (const entry of reader.entries(chain, from, Math.min(treeSize, from + entriesReadMax))) entries.push(entry.bytes);
  }
  return entries;
}

function firstDifference(expected: readonly Uint8Array[], stored: readonly Uint8Array[]): number {
  const length = Math.max(expected.length, stored.length);
  for (let index = 0; index < length; index += 1) {
    const a = expected[index];
    const b = stored[index];
    if (a === undefined || b === undefined || Buffer.compare(a, b) !== 0) return index;
  }
  return -1;
}
