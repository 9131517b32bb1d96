// The batcher on a real broker, killed with SIGKILL at random moments while taps stream in:
// afterwards every tap is in the ledger exactly once, every entry equals a from-scratch
// replay of the topic, and every chain verifies (signatures, consecutive consistency
// proofs, contiguous offsets).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeEntry } from '@fareledger/codecs';
import { tapEntry } from '@fareledger/domain';
import { tapInputSchema, toTap } from '@fareledger/domain/tap-schema';
import { ensureTopics } from '@fareledger/infra/kafka';
import { LedgerReader } from '@fareledger/ledger';
import { kafkaEndOffsets, openTapLog, readKafkaTaps, type TapRecord } from '@fareledger/tap-log';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type BatcherProcess, killAllBatchers, startBatcherProcess } from './batcher-process.js';
import { cityTaps } from './city-taps.js';
import { readBlocks } from '../src/blocks-topic.js';
import { chainEntryBytes, checkLedger } from './ledger-check.js';

const brokers = inject('kafkaBrokers').split(',');
const runId = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'batcher-crash-'));
const tapCount = Number(process.env.CRASH_TAPS ?? 20_000);
const kills = Number(process.env.CRASH_KILLS ?? 8);

afterAll(() => {
  killAllBatchers();
  rmSync(dir, { recursive: true, force: true });
});

/** The taps as ingest would have appended them: canonical tap entries keyed by account. */
function tapRecords(): TapRecord[] {
  const receivedAtMs = Date.now();
  const taps = cityTaps(tapCount, 5_000, receivedAtMs, { gate: 'gate-1', bus: 'bus-1', taxi: 'taxi-1' });
  const records = taps.map(({ tap }) => {
    const parsed = toTap(tapInputSchema.parse(tap), receivedAtMs);
    return { key: parsed.account, value: encodeEntry(tapEntry(parsed)), timestampMs: receivedAtMs };
  });
  // 2 % retried, as devices do after a 503: the same tap again, a little later.
  const withRetries: TapRecord[] = [];
  records.forEach((record, index) => {
    withRetries.push(record);
    if (index % 50 === 7) withRetries.push(records[Math.max(0, index - 20)]!);
  });
  return withRetries;
}

const blocksTopicOf = (name: string) => `fare.blocks.${name}-${runId}`;

function batcherEnv(topic: string, name: string): Record<string, string> {
  return {
    TAP_LOG: 'kafka',
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_TAPS: topic,
    KAFKA_TOPIC_BLOCKS: blocksTopicOf(name),
    BATCHER_GROUP: `batcher-${name}-${runId}`,
    BATCHER_KAFKA_SESSION_TIMEOUT_MS: '6000',
    LEDGER_PATH: path.join(dir, `ledger-${name}.db`),
    LEDGER_SIGNING_KEY_PATH: path.join(dir, `signing-${name}.key`),
    BATCHER_DEV_CREATE_KEY: 'true',
    BATCHER_ENTRIES_PER_BLOCK_MAX: '1000',
    BATCHER_SEAL_AGE_MS_MAX: '100',
    LOG_LEVEL: 'info',
  };
}

/** Streams records onto the topic in slices of 250, a little apart, as ingest would. */
async function stream(topic: string, records: readonly TapRecord[]): Promise<void> {
  const log = await openTapLog({ kind: 'kafka', brokers, topic, clientId: 'crash-producer', partitions: 4 });
  try {
    for (let index = 0; index < records.length; index += 250) {
      await log.append(records.slice(index, index + 250));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  } finally {
    await log.close();
  }
}

/** Waits until every chain has sealed up to the topic's end, then checks the ledger against a replay. */
async function expectExactlyOnce(topic: string, ledgerPath: string, records: readonly TapRecord[], context: () => string): Promise<void> {
  const ends = await kafkaEndOffsets(brokers, topic);
  await waitFor(() => {
    const reader = LedgerReader.open({ path: ledgerPath });
    try {
      return ends.every((end, chain) => end === 0 || reader.chain(chain)?.nextOffset === end);
    } finally {
      reader.close();
    }
  }, 180_000, context);
  const check = checkLedger(ledgerPath, await readKafkaTaps(brokers, topic, { untilOffsets: ends }));
  expect(check.tapsInLog).toBe(records.length);
  expect(check.uniqueTaps).toBe(tapCount);
  expect(check.tapsInLedger).toBe(tapCount);
  expect(check.mismatches).toEqual([]);
  expect(check.chainFailures).toEqual([]);
}

/**
 * Waits until fare.blocks holds every block of the ledger, then checks them: heights 0..n
 * on each chain, entries byte-equal to the ledger's, each checkpoint the ledger's.
 * Duplicates from publishes cut short by a kill are dropped by readBlocks.
 */
async function expectBlocksPublished(name: string, ledgerPath: string, context: () => string): Promise<void> {
  const reader = LedgerReader.open({ path: ledgerPath });
  try {
    const chains = reader.chains();
    let published = (await readBlocks(brokers, blocksTopicOf(name))).blocks;
    for (const deadline = Date.now() + 60_000; !chains.every((c) => published[c.chain]?.at(-1)?.blockHeight === c.blockHeight);) {
      if (Date.now() > deadline) throw new Error(`fare.blocks did not catch up within 60 s; batcher output:\n${context().slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      published = (await readBlocks(brokers, blocksTopicOf(name))).blocks;
    }
    for (const { chain, blockHeight, treeSize } of chains) {
      const blocks = published[chain]!;
      expect(blocks.map((block) => block.blockHeight)).toEqual(Array.from({ length: blockHeight + 1 }, (_, height) => height));
      expect(blocks.map((block) => block.checkpoint)).toEqual(reader.checkpoints(chain, { from: 0, limit: 10_000 }).map((c) => c.note));
      const entries = blocks.flatMap((block) => block.entries);
      expect(entries.length).toBe(treeSize);
      const stored = chainEntryBytes(reader, chain, treeSize);
      expect(entries.every((bytes, index) => Buffer.compare(bytes, stored[index]!) === 0)).toBe(true);
    }
  } finally {
    reader.close();
  }
}

function seededRandom(seed: number): (n: number) => number {
  let random = seed;
  return (n) => {
    random = (Math.imul(random, 1_664_525) + 1_013_904_223) >>> 0;
    return random % n;
  };
}

describe('batcher crash safety on a real broker', () => {
  it(`${tapCount} taps streamed while the batcher is SIGKILLed ${kills} times: each tap once, trips equal a replay, chains verify, every block on fare.blocks`, { timeout: 600_000 }, async () => {
    const topic = `fare.taps.crash-${runId}`;
    await ensureTopics(brokers, [{ topic, numPartitions: 4 }]);
    const env = batcherEnv(topic, 'crash');
    const records = tapRecords();
    const next = seededRandom(0x9e3779b9);
    const streaming = stream(topic, records);
    let batcher: BatcherProcess = await startBatcherProcess(env);
    for (let kill = 0; kill < kills; kill += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500 + next(2500)));
      expect(await batcher.kill('SIGKILL')).toBe(null);
      batcher = await startBatcherProcess(env);
    }
    await streaming;
    await expectExactlyOnce(topic, env.LEDGER_PATH!, records, () => batcher.output());
    await expectBlocksPublished('crash', env.LEDGER_PATH!, () => batcher.output());
    expect(await batcher.kill('SIGTERM')).toBe(0);
  });

  it(`two batchers in one group split the partitions; one killed mid-stream, the other takes over: each tap once, no fork`, { timeout: 600_000 }, async () => {
    const topic = `fare.taps.rebalance-${runId}`;
    await ensureTopics(brokers, [{ topic, numPartitions: 4 }]);
    const env = batcherEnv(topic, 'rebalance');
    const records = tapRecords();
    const first = await startBatcherProcess(env);
    const second = await startBatcherProcess(env);
    const assignments = (output: string) =>
      output.split('\n').filter((line) => line.includes('"chains assigned"')).map((line) => (JSON.parse(line) as { chains: number[] }).chains.length);
    // Both members in the group, the partitions split between them, before any tap arrives.
    await waitFor(() => assignments(first.output()).at(-1) === 2 && assignments(second.output()).at(-1) === 2, 60_000, () => first.output() + second.output());
    const streaming = stream(topic, records);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await first.kill('SIGKILL')).toBe(null);
    // The survivor takes over the killed member's partitions once its session times out.
    await waitFor(() => assignments(second.output()).at(-1) === 4, 60_000, () => second.output());
    await streaming;
    await expectExactlyOnce(topic, env.LEDGER_PATH!, records, () => second.output());
    await expectBlocksPublished('rebalance', env.LEDGER_PATH!, () => second.output());
    expect(await second.kill('SIGTERM')).toBe(0);
  });
});


async function waitFor(condition: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms; batcher output:\n${context().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
