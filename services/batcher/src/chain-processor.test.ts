import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeEntry, encodeEntry } from '@fareledger/codecs';
import { examples, type MetroTap, tapEntry } from '@fareledger/domain';
import { loadSzmFareTables, loadSzmNetwork } from '@fareledger/domain/node-data';
import { createSigningKeyFile, LedgerReader, LedgerWriter } from '@fareledger/ledger';
import { afterAll, describe, expect, it } from 'vitest';
import { ChainProcessor } from './chain-processor.js';
import type { SourceRecord } from './source.js';

// One chain on a real ledger file: what each kind of record becomes. Whole streams (city
// taps, retries, crashes) are in test/local.test.ts and test/kafka-crash.test.ts.

const dir = mkdtempSync(path.join(tmpdir(), 'chain-processor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minuteMs = 60_000;
const tapIn = examples.metroTapIn;
const metro = (changes: Partial<MetroTap>): Uint8Array => encodeEntry(tapEntry({ ...tapIn, ...changes } as MetroTap));

function open(name: string, entriesPerBlockMax = 4_096) {
  const signer = createSigningKeyFile(path.join(dir, `${name}.key`), 'fareledger.test/chain-processor');
  const writer = LedgerWriter.open({ path: path.join(dir, `${name}.db`), logName: 'fareledger.test/szm', signer, create: true });
  const events: string[] = [];
  const processor = new ChainProcessor({
    chain: 0, writer, tables: loadSzmFareTables(), network: loadSzmNetwork(), builderConfig: {},
    entriesPerBlockMax, nowMs: () => 1_772_500_000_000,
    onSealed: (block, taps) => events.push(`sealed block ${block.blockHeight}: ${taps} taps, tree ${block.treeSize}`),
    onRejected: (offset, reason) => events.push(`rejected ${offset}: ${reason}`),
    onUnpriced: (offset, error) => events.push(`unpriced ${offset}: ${error.code}`),
  });
  return { writer, processor, events, ledgerPath: path.join(dir, `${name}.db`) };
}

const records = (values: readonly Uint8Array[], from = 0): SourceRecord[] =>
  values.map((value, i) => ({ offset: from + i, key: tapIn.account, value, timestampMs: 0 }) as SourceRecord);

function sealedEntries(ledgerPath: string): string[] {
  const reader = LedgerReader.open({ path: ledgerPath });
  try {
    return reader.entries(0, 0, 100).map(({ bytes }) => {
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

  it('drops the retry of a tap sealed earlier in the same batch of records (a block filled midway)', () => {
    const { writer, processor, events, ledgerPath } = open('midway', 2);
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
});
