import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { verifierKeyOf } from '@fareledger/checkpoint';
import { decodeEntry, encodeEntry } from '@fareledger/codecs';
import { adjustmentEntry, examples, type MetroTap, tapEntry, tripEntry } from '@fareledger/domain';
import { loadSzmFareTables, loadSzmNetwork } from '@fareledger/domain/node-data';
import type { TripBuilderConfig } from '@fareledger/domain/pairing';
import { createSigningKeyFile, LedgerReader, LedgerWriter, loadSigningKey, verifyChain } from '@fareledger/ledger';
import { tsWorkerBootUrl } from '@fareledger/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { type BlockSink, inlineBlockSink, ThreadBlockSink } from './block-sink.js';
import { BuilderReplayError } from './builder-replay.js';
import { ChainProcessor } from './chain-processor.js';
import type { SourceRecord } from './source.js';

// One chain on a real ledger file: what each kind of record becomes. Whole streams (city
// taps, retries, crashes) are in test/local.test.ts and test/kafka-crash.test.ts.

const dir = mkdtempSync(path.join(tmpdir(), 'chain-processor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minuteMs = 60_000;
const tapIn = examples.metroTapIn;
const metro = (changes: Partial<MetroTap>): Uint8Array => encodeEntry(tapEntry({ ...tapIn, ...changes } as MetroTap));
const trip = (): Uint8Array => encodeEntry(tripEntry(examples.metroTrip)).slice();

interface OpenOptions {
  readonly entriesPerBlockMax?: number;
  readonly snapshotIntervalEntries?: number;
  readonly builderConfig?: Partial<TripBuilderConfig>;
  /** Where blocks are stored (default: inline, on the processor's own connection). */
  readonly sink?: BlockSink;
}

/** A processor on chain 0 of the ledger `name` (created, with its key, on first use). */
function open(name: string, options: OpenOptions = {}) {
  const keyPath = path.join(dir, `${name}.key`);
  const signer = existsSync(keyPath) ? loadSigningKey(keyPath) : createSigningKeyFile(keyPath, 'fareledger.test/chain-processor');
  const writer = LedgerWriter.open({ path: path.join(dir, `${name}.db`), logName: 'fareledger.test/szm', signer, create: true });
  const events: string[] = [];
  const processor = new ChainProcessor({
    chain: 0, writer, sink: options.sink ?? inlineBlockSink(writer), tables: loadSzmFareTables(), network: loadSzmNetwork(), builderConfig: options.builderConfig ?? {},
    entriesPerBlockMax: options.entriesPerBlockMax ?? 4_096, snapshotIntervalEntries: options.snapshotIntervalEntries ?? 100_000,
    nowMs: () => 1_772_500_000_000,
    onSealed: (block, taps) => events.push(`sealed block ${block.blockHeight}: ${taps} taps, tree ${block.treeSize}`),
    onRejected: (offset, reason) => events.push(`rejected ${offset}: ${reason}`),
    onUnpriced: (offset, error) => events.push(`unpriced ${offset}: ${error.code}`),
  });
  return { writer, processor, events, ledgerPath: path.join(dir, `${name}.db`) };
}

/** The batcher's real commit thread (commit-worker.ts) on the ledger `name`, with one channel. */
async function startCommitThread(name: string) {
  const { port1, port2 } = new MessageChannel();
  const answers = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(tsWorkerBootUrl, {
    workerData: {
      entryUrl: new URL('./commit-worker.ts', import.meta.url).href, ledgerPath: path.join(dir, `${name}.db`), logName: 'fareledger.test/szm',
      busyTimeoutMs: 1_000, channels: [{ port: port1, answers }],
    },
    transferList: [port1],
  });
  await once(worker, 'message'); // ready
  return { channel: { port: port2, answers }, stop: () => worker.terminate() };
}

const records = (values: readonly Uint8Array[], from = 0): SourceRecord[] =>
  values.map((value, i) => ({ offset: from + i, key: tapIn.account, value, timestampMs: 0 }) as SourceRecord);

function sealedEntries(ledgerPath: string): string[] {
  const reader = LedgerReader.open({ path: ledgerPath });
  try {
    return reader.entries(0, 0, reader.entryCount(0)).map(({ bytes }) => {
      const entry = decodeEntry(bytes);
      return entry.type === 'tap' ? `tap ${entry.tap.tapId}` : entry.type === 'trip' ? `trip ${entry.trip.tripId} ${entry.trip.status} ${entry.trip.chargedFen}` : entry.type;
    });
  } finally {
    reader.close();
  }
}

describe('ChainProcessor', () => {
  it('drops exact retries, refuses a reused tap id and non-taps, seals an unpriceable tap without a trip', () => {
    const { writer, processor, events, ledgerPath } = open('kinds');
    const first = metro({});
    const next = processor.process(records([
      first,
      first, // a device's retry: dropped
      metro({ stationId: 'L1-S09', eventTimeMs: tapIn.eventTimeMs + minuteMs }), // same key, another tap: refused
      Uint8Array.of(0x80), // an empty map: not an entry
      metro({ tapId: 'g042-000124', account: 'wa_other', stationId: 'L9-S99' }), // no such station
      metro({ tapId: 'g042-000125', kind: 'out', stationId: 'L1-S19', eventTimeMs: tapIn.eventTimeMs + 20 * minuteMs }),
    ]));
    expect(next).toBe(6);
    expect(processor.seal()).toBe(6);
    expect(events).toEqual([
      'rejected 2: tap id szm-l1-g042/g042-000123 reused by another tap while the first is pending',
      expect.stringMatching(/^rejected 3: missing-field/) as unknown as string,
      'unpriced 4: unknown-station',
      'sealed block 0: 3 taps, tree 4',
    ]);
    expect(sealedEntries(ledgerPath)).toEqual(['tap g042-000123', 'tap g042-000124', 'tap g042-000125', 'trip szm-l1-g042/g042-000123 complete 500']);

    // Sealed now: a later retry of the first tap is found in the ledger's duplicate index.
    events.length = 0;
    expect(processor.process(records([first], 6))).toBe(7);
    expect(processor.seal()).toBe(7);
    expect(events).toEqual(['sealed block 1: 0 taps, tree 4']);
    writer.close();
  });

  it('appends an adjustment from the tap log as it is, once, however often it is retried', () => {
    const { writer, processor, events, ledgerPath } = open('adjustments');
    const refund = encodeEntry(adjustmentEntry({ ...examples.refund, tripId: `${tapIn.deviceId}/${tapIn.tapId}` })).slice();
    expect(processor.process(records([metro({}), refund, refund, trip()]))).toBe(4);
    expect(processor.seal()).toBe(4);
    expect(events).toEqual(['rejected 3: a trip entry on the tap log', 'sealed block 0: 1 taps, tree 2']);
    expect(sealedEntries(ledgerPath)).toEqual(['tap g042-000123', 'adjustment']);
    // Sealed now: a retry much later is found in the ledger's duplicate index.
    expect(processor.process(records([refund], 4))).toBe(5);
    expect(processor.seal()).toBe(5);
    expect(sealedEntries(ledgerPath)).toEqual(['tap g042-000123', 'adjustment']);
    writer.close();
    const reader = LedgerReader.open({ path: ledgerPath });
    expect(verifyChain(reader, 0, [verifierKeyOf(loadSigningKey(path.join(dir, 'adjustments.key')))]).ok).toBe(true);
    reader.close();
  });

  it('drops the retry of a tap sealed earlier in the same batch of records (a block filled midway)', () => {
    const { writer, processor, events, ledgerPath } = open('midway', { entriesPerBlockMax: 2 });
    const taps = [0, 1, 2].map((i) => metro({ tapId: `t${i}`, account: `wa_${i}`, eventTimeMs: tapIn.eventTimeMs + i }));
    expect(processor.process(records([taps[0]!, taps[1]!, taps[2]!, taps[0]!, taps[1]!]))).toBe(5);
    // What follows the block sealed midway is pending, and ages: the seal timer will seal it.
    expect(processor.pendingSinceMs).toBe(1_772_500_000_000);
    expect(processor.seal()).toBe(5);
    expect(processor.pendingSinceMs).toBeUndefined();
    expect(events).toEqual(['sealed block 0: 2 taps, tree 2', 'sealed block 1: 1 taps, tree 3']);
    expect(sealedEntries(ledgerPath)).toEqual(['tap t0', 'tap t1', 'tap t2']);
    writer.close();
  });

  it('drops retries of a tap older than the in-memory window, pending or sealed', () => {
    const { writer, processor, events, ledgerPath } = open('late');
    const now = metro({ tapId: 'now', account: 'wa_1', eventTimeMs: tapIn.eventTimeMs + 60 * minuteMs });
    const late = metro({ tapId: 'late', account: 'wa_2', eventTimeMs: tapIn.eventTimeMs });
    expect(processor.process(records([now]))).toBe(1);
    expect(processor.seal()).toBe(1);
    // An hour behind the watermark: outside the window. Its retry comes while it is pending.
    expect(processor.process(records([late, late], 1))).toBe(3);
    expect(processor.seal()).toBe(3);
    expect(processor.process(records([late, now], 3))).toBe(5); // sealed now: the ledger answers for it
    expect(processor.seal()).toBe(5);
    expect(events).toEqual(['sealed block 0: 1 taps, tree 1', 'sealed block 1: 1 taps, tree 2', 'sealed block 2: 0 taps, tree 2']);
    expect(sealedEntries(ledgerPath)).toEqual(['tap now', 'tap late']);
    writer.close();
  });

  it('skips redelivered records, and stops at a gap so the source seeks back', () => {
    const { writer, processor } = open('offsets');
    const taps = [0, 1, 2, 3].map((i) => metro({ tapId: `t${i}`, account: `wa_${i}`, eventTimeMs: tapIn.eventTimeMs + i }));
    expect(processor.process(records(taps.slice(0, 2)))).toBe(2);
    expect(processor.process(records(taps, 0))).toBe(4); // 0 and 1 again: skipped
    expect(processor.process(records([taps[0]!], 9))).toBe(4); // past the next offset: a gap
    expect(processor.seal()).toBe(4);
    expect(writer.chainState(0)).toMatchObject({ treeSize: 4, nextOffset: 4 });
    writer.close();
  });

  it('restarts from the latest builder snapshot and the taps after it: the same trips as an uninterrupted run', () => {
    // Twelve accounts tap in, then out 20 minutes later: every trip pairs taps on both sides of a restart.
    const taps = [
      ...Array.from({ length: 12 }, (_, i) => metro({ tapId: `in${i}`, account: `wa_${i}`, eventTimeMs: tapIn.eventTimeMs + i })),
      ...Array.from({ length: 12 }, (_, i) => metro({ tapId: `out${i}`, account: `wa_${i}`, kind: 'out', stationId: 'L1-S19', eventTimeMs: tapIn.eventTimeMs + 20 * minuteMs + i })),
    ];
    const options = { entriesPerBlockMax: 3, snapshotIntervalEntries: 5 };
    const whole = open('whole', options);
    expect(whole.processor.process(records(taps))).toBe(24);
    whole.processor.seal();
    whole.writer.close();

    let next = 0;
    for (const cut of [4, 9, 15, 20, 24]) { // a restart after each cut, mid-snapshot-interval
      const part = open('restarted', options);
      expect(part.processor.nextOffset).toBe(next);
      next = part.processor.process(records(taps.slice(next, cut), next));
      part.processor.seal();
      part.writer.close(); // no sealAll: as after a crash, the latest snapshot is behind the tree
    }
    expect(sealedEntries(path.join(dir, 'restarted.db'))).toEqual(sealedEntries(path.join(dir, 'whole.db')));
    expect(sealedEntries(path.join(dir, 'whole.db')).filter((e) => e.startsWith('trip'))).toHaveLength(12);
  });

  it('takes a snapshot at shutdown, so the next start replays nothing', () => {
    const { writer, processor } = open('shutdown', { snapshotIntervalEntries: 1_000 });
    processor.process(records([metro({})]));
    processor.seal({ snapshot: true });
    expect(writer.chainState(0).builderSnapshot?.treeSize).toBe(1);
    writer.close();
  });

  it('refuses to extend a chain whose sealed taps replay into other trips (pairing rules changed)', () => {
    const first = open('changed');
    first.processor.process(records([metro({}), metro({ tapId: 'g042-000125', kind: 'out', stationId: 'L1-S19', eventTimeMs: tapIn.eventTimeMs + 20 * minuteMs })]));
    first.processor.seal(); // a complete trip, no snapshot yet
    first.writer.close();
    // With a 10-minute journey limit the tap-in expires before its tap-out: another trip.
    expect(() => open('changed', { builderConfig: { journeyMsMax: 10 * minuteMs } })).toThrow(BuilderReplayError);
    expect(() => open('changed', { builderConfig: { journeyMsMax: 10 * minuteMs } })).toThrow(/chain 0, entry 2: trip szm-l1-g042\/g042-000123 differs/);
  });

  it('through the commit thread: a block refused later (another writer moved the chain) reloads the chain at the stored offset', async () => {
    const taps = Array.from({ length: 120 }, (_, i) => metro({ tapId: `t${i}`, account: `wa_${i}`, eventTimeMs: tapIn.eventTimeMs + i * 1_000 }));
    open('async-conflict').writer.close(); // creates the ledger and its key
    const commitThread = await startCommitThread('async-conflict');
    try {
      const sink = new ThreadBlockSink(commitThread.channel, 2);
      const first = open('async-conflict', { sink });
      expect(first.processor.process(records(taps.slice(0, 50)))).toBe(50);
      expect(first.processor.seal()).toBe(50);
      sink.flush();
      expect(first.events).toEqual(['sealed block 0: 50 taps, tree 50']);

      // A second batcher takes the partition over and seals offsets 50..79.
      const second = open('async-conflict');
      expect(second.processor.nextOffset).toBe(50);
      expect(second.processor.process(records(taps.slice(50, 80), 50))).toBe(80);
      expect(second.processor.seal()).toBe(80);
      second.writer.close();

      // The first one, not knowing, reads on and hands over a block that extends its own head.
      expect(first.processor.process(records(taps.slice(50, 100), 50))).toBe(100);
      first.processor.seal();
      sink.flush();
      expect(first.processor.process(records(taps.slice(100, 120), 100))).toBe(80); // refused: back to the stored offset
      expect(first.processor.process(records(taps.slice(80, 120), 80))).toBe(120);
      expect(first.processor.seal()).toBe(120);
      sink.flush();
      expect(first.events).toEqual(['sealed block 0: 50 taps, tree 50', 'sealed block 2: 40 taps, tree 120']);
      first.writer.close();
    } finally {
      await commitThread.stop();
    }
    const ledgerPath = path.join(dir, 'async-conflict.db');
    expect(sealedEntries(ledgerPath).filter((e) => e.startsWith('tap'))).toEqual(taps.map((_, i) => `tap t${i}`));
    const reader = LedgerReader.open({ path: ledgerPath });
    const verifier = verifierKeyOf(loadSigningKey(path.join(dir, 'async-conflict.key')));
    expect(verifyChain(reader, 0, [verifier])).toMatchObject({ ok: true, blocksVerified: 3 });
    reader.close();
  });
});
