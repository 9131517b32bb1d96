import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signerKeyFromSeed, verifierKeyOf } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { adjustmentEntry, type Entry, examples, tapEntry, type Trip, tripEntry } from '@fareledger/domain';
import { loadSzmFareTables, loadSzmNetwork } from '@fareledger/domain/node-data';
import { TripBuilder } from '@fareledger/domain/pairing';
import { tapInputSchema, toTap } from '@fareledger/domain/tap-schema';
import { ledgerEntryOf, LedgerWriter, type SealedBlock } from '@fareledger/ledger';
import { sha256 } from '@noble/hashes/sha2.js';
import { cityTaps } from '../../batcher/test/city-taps.js';

// A real ledger file for the service's tests: the example passenger's metro journey, bus
// ride and taxi ride, another passenger's metro journey, sealed in blocks on chain 3.

export const logName = 'fareledger.test/szm';
export const signer = signerKeyFromSeed('fareledger.test/szm-key', sha256(new TextEncoder().encode('invoice-audit test key')), { ed25519: ed25519Node });
export const verifier = verifierKeyOf(signer);
export const chain = 3;
export const alice = examples.metroTrip.account;
export const bob = 'wa_bob_5521';
export const adminToken = 'test-admin-token-0123456789abcdef0123456789';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'invoice-audit-'));
}

const bobTapIn = { ...examples.metroTapIn, tapId: 'g042-000200', account: bob, eventTimeMs: examples.metroTapIn.eventTimeMs + 60_000, receivedAtMs: examples.metroTapIn.receivedAtMs + 60_000 };
const bobTapOut = { ...examples.metroTapOut, tapId: 'g311-000901', account: bob, eventTimeMs: examples.metroTapOut.eventTimeMs + 60_000, receivedAtMs: examples.metroTapOut.receivedAtMs + 60_000 };
const bobTrip = {
  ...examples.metroTrip, tripId: `${bobTapIn.deviceId}/${bobTapIn.tapId}`, account: bob,
  tapKeys: [`${bobTapIn.deviceId}/${bobTapIn.tapId}`, `${bobTapOut.deviceId}/${bobTapOut.tapId}`] as [string, string],
  startMs: bobTapIn.eventTimeMs, endMs: bobTapOut.eventTimeMs,
};

/** Blocks of entries, in log order: index 0.. */
export const blocks: Entry[][] = [
  [tapEntry(examples.metroTapIn), tapEntry(bobTapIn), tapEntry(examples.metroTapOut), tripEntry(examples.metroTrip)],
  [tapEntry(bobTapOut), tripEntry(bobTrip), tapEntry(examples.busTap), tripEntry(examples.busTrip)],
];
/** Sealed later by a test: the taxi ride and a refund of alice's metro trip. */
export const laterBlock: Entry[] = [tapEntry(examples.taxiTap), tripEntry(examples.taxiTrip), adjustmentEntry(examples.refund)];

export class TestLedger {
  readonly writer: LedgerWriter;
  #offset = 0;
  #height = 0;

  constructor(readonly path: string) {
    this.writer = LedgerWriter.open({ path, logName, signer, create: true });
  }

  /** Seals entries in blocks of at most `perBlock`. */
  sealAll(entries: readonly Entry[], perBlock: number): ReturnType<TestLedger['seal']>[] {
    const sealed = [];
    for (let at = 0; at < entries.length; at += perBlock) sealed.push(this.seal(entries.slice(at, at + perBlock)));
    return sealed;
  }

  seal(entries: readonly Entry[]): SealedBlock & { readonly entries: Uint8Array[] } {
    const inputs = entries.map((entry) => ledgerEntryOf(entry));
    const sealed = this.writer.sealBlock(chain, {
      entries: inputs, offsetFirst: this.#offset, offsetNext: this.#offset + inputs.length,
      fareTableVersion: 'szm-2026.1', sealedAtMs: examples.metroTapOut.eventTimeMs + 1_000 * ++this.#height,
    });
    this.#offset += inputs.length;
    return { ...sealed, entries: inputs.map((input) => input.bytes) };
  }

  close(): void {
    this.writer.close();
  }
}

/**
 * A chain as the batcher seals it: city taps in event-time order, each tap's entry then the
 * trips the trip builder closes with it; `alter` may change a trip before it is sealed (a
 * batcher with a wrong fare, for the recomputation to find).
 */
export function pricedCityEntries(tapCount: number, alter: (trip: Trip, n: number) => Trip = (trip) => trip, accounts = 200): Entry[] {
  const nowMs = Date.UTC(2026, 11, 2, 2, 0);
  const taps = cityTaps(tapCount, accounts, nowMs, { gate: 'gate-1', bus: 'bus-1', taxi: 'taxi-1' })
    .map(({ tap }) => toTap(tapInputSchema.parse(tap), nowMs))
    .sort((a, b) => a.eventTimeMs - b.eventTimeMs);
  const builder = new TripBuilder({ tables: loadSzmFareTables(), network: loadSzmNetwork() });
  const entries: Entry[] = [];
  let trips = 0;
  for (const tap of taps) {
    entries.push(tapEntry(tap));
    for (const trip of builder.accept(tap)) entries.push(tripEntry(alter(trip, trips++)));
  }
  return entries;
}
