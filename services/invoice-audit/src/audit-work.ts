import { checkpointOrigin, parseVerifierKey, type VerifierKey } from '@fareledger/checkpoint';
import { decodeEntry, encodeEntry, equalBytes } from '@fareledger/codecs';
import { type Entry, type Trip, tripEntry } from '@fareledger/domain';
import { loadSzmFareTables, loadSzmNetwork } from '@fareledger/domain/node-data';
import { TripBuilder, tripsOfSealedTap } from '@fareledger/domain/pairing';
import { type ChainVerification, entriesReadMax, type LedgerReader, verifyChain } from '@fareledger/ledger';

// The audit door's long work, run in a worker thread (audit-worker.ts) so that the service
// keeps answering: verifying a chain from genesis, and recomputing every fare from the tap
// entries. Pure over a LedgerReader; progress goes to a callback.

export type AuditJobKind = 'verify' | 'recompute';

export interface AuditProgress {
  readonly entries: number;
  /** The chain's size when the job began: what "done" is. */
  readonly of: number;
}

export interface VerifyOutcome {
  readonly kind: 'verify';
  readonly verification: ChainVerification;
  /** The last checkpoint that passed, if any. */
  readonly treeSize: number;
  readonly rootHash: string | null;
  readonly trusted: readonly string[];
}

export interface FareMismatch {
  readonly logIndex: number;
  readonly tripId: string;
  /** What differs, e.g. `chargedFen: ledger 500, recomputed 400`; or why the trip is unexpected or missing. */
  readonly differences: readonly string[];
}

export interface RecomputeOutcome {
  readonly kind: 'recompute';
  readonly taps: number;
  readonly trips: number;
  readonly mismatchCount: number;
  /** The first mismatchesMax mismatches. */
  readonly mismatches: readonly FareMismatch[];
  /** Up to which entry the chain was recomputed (its size when the job began). */
  readonly treeSize: number;
  readonly fareTableVersions: readonly string[];
}

export type AuditOutcome = VerifyOutcome | RecomputeOutcome;

export const mismatchesMax = 1_000;

export function runVerify(reader: LedgerReader, chain: number, verifierKeys: readonly string[], onProgress: (p: AuditProgress) => void): VerifyOutcome {
  const of = reader.chain(chain)?.treeSize ?? 0;
  const keys: VerifierKey[] = verifierKeys.map((key) => parseVerifierKey(key));
  const verification = verifyChain(reader, chain, keys, { onProgress: (_blocks, entries) => onProgress({ entries, of }) });
  const last = verification.blocksVerified === 0 ? undefined : reader.checkpoints(chain, { from: verification.blocksVerified - 1, limit: 1 })[0];
  return {
    kind: 'verify', verification, treeSize: last?.treeSize ?? 0,
    rootHash: last === undefined ? null : Buffer.from(last.rootHash).toString('base64'), trusted: verifierKeys,
  };
}

/**
 * Feeds a fresh trip builder the chain's tap entries, in order, and compares every trip it
 * closes with the trip entry the ledger holds at that place: the fares, and everything
 * else a trip says, recomputed from the taps and the fare tables alone.
 */
export function runRecompute(reader: LedgerReader, chain: number, journeyMsMax: number, onProgress: (p: AuditProgress) => void): RecomputeOutcome {
  const of = reader.chain(chain)?.treeSize ?? 0;
  const tables = loadSzmFareTables();
  const builder = new TripBuilder({ tables, network: loadSzmNetwork(), config: { journeyMsMax } });
  const expected: Trip[] = [];
  const mismatches: FareMismatch[] = [];
  let mismatchCount = 0;
  let taps = 0;
  let trips = 0;
  const mismatch = (m: FareMismatch) => {
    mismatchCount += 1;
    if (mismatches.length < mismatchesMax) mismatches.push(m);
  };
  const step = Math.min(entriesReadMax, 16_384);
  for (let from = 0; from < of; from += step) {
    for (const stored of reader.entries(chain, from, Math.min(of, from + step))) {
      const entry: Entry = decodeEntry(stored.bytes);
      if (entry.type === 'tap') {
        taps += 1;
        for (const trip of tripsOfSealedTap(builder, entry.tap)) expected.push(trip);
      } else if (entry.type === 'trip') {
        trips += 1;
        const next = expected.shift();
        if (next === undefined) mismatch({ logIndex: stored.index, tripId: entry.trip.tripId, differences: ['the taps before it close no trip here'] });
        else if (!equalBytes(stored.bytes, encodeEntry(tripEntry(next)))) mismatch({ logIndex: stored.index, tripId: entry.trip.tripId, differences: differences(entry.trip, next) });
      }
    }
    onProgress({ entries: Math.min(of, from + step), of });
  }
  for (const trip of expected) mismatch({ logIndex: of, tripId: trip.tripId, differences: ['the taps close this trip, the ledger holds no trip entry for it (yet)'] });
  return { kind: 'recompute', taps, trips, mismatchCount, mismatches, treeSize: of, fareTableVersions: tables.tables.map((t) => t.version) };
}

function differences(ledger: Trip, recomputed: Trip): string[] {
  const a = ledger as unknown as Record<string, unknown>;
  const b = recomputed as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => `${key}: ledger ${JSON.stringify(a[key]) ?? '(none)'}, recomputed ${JSON.stringify(b[key]) ?? '(none)'}`);
}

/** The text of the signed audit result note (C2SP note text: one fact a line). */
export function auditResultText(logName: string, chain: number, outcome: AuditOutcome, finishedAtMs: number): string {
  const lines = [`fareledger audit result v1`, `origin ${checkpointOrigin(logName, chain)}`, `kind ${outcome.kind}`];
  if (outcome.kind === 'verify') {
    const { verification: v } = outcome;
    lines.push(`result ${v.ok ? 'ok' : 'failed'}`, `blocks ${v.blocksVerified}`, `entries ${v.entriesVerified}`);
    if (outcome.rootHash !== null) lines.push(`checkpoint ${outcome.treeSize} ${outcome.rootHash}`);
    if (v.failure !== null) lines.push(`failure ${v.failure.kind} block ${v.failure.blockHeight ?? '-'}: ${oneLine(v.failure.message)}`);
    for (const key of outcome.trusted) lines.push(`trusted ${key}`);
  } else {
    lines.push(`result ${outcome.mismatchCount === 0 ? 'ok' : 'mismatches'}`, `entries ${outcome.treeSize}`, `taps ${outcome.taps}`, `trips ${outcome.trips}`, `mismatches ${outcome.mismatchCount}`);
    lines.push(`fare-tables ${outcome.fareTableVersions.join(' ')}`);
  }
  lines.push(`finished ${new Date(finishedAtMs).toISOString()}`);
  return `${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  return text.replace(/[\n\r]+/g, ' ').slice(0, 500);
}
