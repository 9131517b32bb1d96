// Test and benchmark fixtures for @fareledger/ledger: realistic entries (bus taps of about
// 180 bytes, their one-tap trips, now and then a refund), deterministic signing keys, and
// temp files. Used by src/*.test.ts, the crash child and the benchmark.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signerKeyFromSeed, type SignerKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { adjustmentEntry, examples, tapEntry, tripEntry, type Entry } from '@fareledger/domain';
import { ledgerEntryOf, type LedgerEntryInput } from '../src/entry-metadata.js';
import type { BlockInput } from '../src/writer.js';

export const logName = 'fareledger.test/szm';
export const fareTableVersion = 'szm-2026.1';
export const sealedAtMsBase = 1_772_500_000_000;

export function testSigner(name: string, seedText: string): SignerKey {
  return signerKeyFromSeed(name, createHash('sha256').update(seedText).digest(), { ed25519: ed25519Node });
}

export const keyA = testSigner('fareledger.test/szm-2026a', 'ledger test key A');
export const keyB = testSigner('fareledger.test/szm-2026b', 'ledger test key B');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ledger-${prefix}-`));
}

/** The n-th entry of a chain: a bus tap; every 3rd the one-tap trip of the tap before it; every 97th a refund. */
export function chainEntry(chain: number, n: number): Entry {
  const accountOf = (i: number) => `wa_c${chain}a${i % 41}`;
  const eventTimeMs = examples.busTap.eventTimeMs + n * 1_000;
  if (n % 97 === 96) {
    return adjustmentEntry({ ...examples.refund, adjustmentId: `adj-${chain}-${n}`, account: accountOf(n), tripId: `bv-0457/t${chain}x${n - 1}`, createdAtMs: eventTimeMs });
  }
  if (n % 3 === 2) {
    const tapKey = `bv-0457/t${chain}x${n - 1}`;
    return tripEntry({ ...examples.busTrip, tripId: tapKey, tapKeys: [tapKey], account: accountOf(n - 1), startMs: eventTimeMs - 1_000, endMs: eventTimeMs - 1_000 });
  }
  return tapEntry({ ...examples.busTap, tapId: `t${chain}x${n}`, account: accountOf(n), eventTimeMs, receivedAtMs: eventTimeMs + 210 });
}

/** Ledger inputs for entries [from, from + count) of a chain. */
export function chainEntries(chain: number, from: number, count: number): LedgerEntryInput[] {
  return Array.from({ length: count }, (_, i) => ledgerEntryOf(chainEntry(chain, from + i)));
}

/**
 * A block of `entries` over offsets [offsetFirst, offsetFirst + span), span defaulting to the
 * entry count. Even heights carry a builder snapshot, as the batcher takes one now and then.
 */
export function block(entries: readonly LedgerEntryInput[], offsetFirst: number, height: number, span = entries.length): BlockInput {
  return {
    entries,
    offsetFirst,
    offsetNext: offsetFirst + span,
    ...(height % 2 === 0 ? { builderState: new TextEncoder().encode(`builder after block ${height}`) } : {}),
    fareTableVersion,
    sealedAtMs: sealedAtMsBase + height * 250,
  };
}
