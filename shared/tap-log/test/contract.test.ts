// The tap log's contract, run against both implementations: the embedded SQLite log (a
// fresh file per test) and Kafka (a fresh 4-partition topic per test on the broker of the
// integration setup). Then what only one of them can show: the local log's crash safety
// under SIGKILL, and Kafka's behaviour when the broker is unreachable or the topic is wrong.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  type GroupCommitOptions,
  LocalTapLog,
  LogClosedError,
  LogOverloadedError,
  LogUnavailableError,
  openTapLog,
  partitionOf,
  readKafkaTaps,
  type StoredTapRecord,
  type TapLog,
  TapLogConfigError,
  type TapRecord,
} from '../src/index.js';

const partitions = 4;
const brokers = inject('kafkaBrokers').split(',');
const runId = `${Date.now()}-${randomBytes(3).toString('hex')}`;
const tempDir = mkdtempSync(join(tmpdir(), 'tap-log-contract-'));
const kafka = new Kafka({ clientId: 'tap-log-contract', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topicsCreated: string[] = [];
const logsOpened: TapLog[] = [];

afterAll(async () => {
  for (const log of logsOpened) await log.close();
  if (topicsCreated.length > 0) await admin.deleteTopics({ topics: topicsCreated }).catch(() => {});
  await admin.disconnect();
  rmSync(tempDir, { recursive: true, force: true });
});

let topicSerial = 0;
let adminConnected = false;
async function freshTopic(partitionCount = partitions): Promise<string> {
  const topic = `tap-log-test.${runId}.${topicSerial++}`;
  if (!adminConnected) await admin.connect();
  adminConnected = true;
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitionCount, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  expect(created).toBe(true);
  topicsCreated.push(topic);
  return topic;
}

let fileSerial = 0;
const freshPath = () => join(tempDir, `taps-${fileSerial++}.sqlite`);

function readLocal(path: string): StoredTapRecord[][] {
  const reader = LocalTapLog.open(path, partitions);
  try {
    return Array.from({ length: partitions }, (_, partition) => reader.read(partition, 0, 100_000));
  } finally {
    void reader.close();
  }
}

/** One implementation under test: open() gives a fresh empty log, readAll() reads it back. */
interface Subject {
  readonly kind: 'local' | 'kafka';
  open(options?: GroupCommitOptions): Promise<{ log: TapLog; readAll: () => Promise<StoredTapRecord[][]> }>;
}

const subjects: Subject[] = [
  {
    kind: 'local',
    async open(options = {}) {
      const path = freshPath();
      const log = await openTapLog({ kind: 'local', path, partitions, ...options });
      logsOpened.push(log);
      return { log, readAll: async () => readLocal(path) };
    },
  },
  {
    kind: 'kafka',
    async open(options = {}) {
      const topic = await freshTopic();
      const log = await openTapLog({ kind: 'kafka', brokers, topic, clientId: 'tap-log-contract', partitions, ...options });
      logsOpened.push(log);
      return { log, readAll: () => readKafkaTaps(brokers, topic) };
    },
  },
];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record whose value names it (`label`) and carries every byte value 0..255 after it. */
function record(key: string, label: string, timestampMs = 1_700_000_000_000): TapRecord {
  const name = encoder.encode(`${label}|`);
  const value = new Uint8Array(name.length + 256);
  value.set(name);
  for (let byte = 0; byte < 256; byte++) value[name.length + byte] = byte;
  return { key, value, timestampMs };
}

const labelOf = (r: { value: Uint8Array }) => decoder.decode(r.value.subarray(0, r.value.indexOf(0x7c)));

/** Checks the log's shape: offsets 0..n-1 per partition, each record on its key's partition. */
function expectWellFormed(byPartition: StoredTapRecord[][]): void {
  expect(byPartition.length).toBe(partitions);
  for (const [partition, stored] of byPartition.entries()) {
    expect(stored.map((r) => r.offset)).toEqual(stored.map((_, i) => i));
    expect(stored.filter((r) => r.partition !== partition || partitionOf(r.key, partitions) !== partition)).toEqual([]);
  }
}

describe.each(subjects)('tap log contract: $kind', (subject) => {
  it('reads every appended record back exactly once, on its murmur2 partition, bytes and time unchanged', async () => {
    const { log, readAll } = await subject.open();
    expect([log.kind, log.partitions]).toEqual([subject.kind, partitions]);
    const batches = Array.from({ length: 60 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => record(`acct-${b}-${i}`, `${b}.${i}`, 1_700_000_000_000 + b * 10 + i)));
    await Promise.all(batches.map((batch) => log.append(batch)));
    const byPartition = await readAll();
    expectWellFormed(byPartition);
    const stored = byPartition.flat().sort((a, b) => a.timestampMs - b.timestampMs);
    expect(stored.map(({ key, value, timestampMs }) => ({ key, value, timestampMs }))).toEqual(batches.flat());
    expect(byPartition.every((records) => records.length > 0)).toBe(true);
  });

  it('keeps each key in submission order across 2,000 concurrent submits in many groups', async () => {
    const { log, readAll } = await subject.open({ groupRecordsMax: 64 });
    const keys = Array.from({ length: 50 }, (_, k) => `account-${k}`);
    const appends: Promise<void>[] = [];
    for (let seq = 0; seq < 40; seq++) {
      for (const key of keys) appends.push(log.append([record(key, String(seq))]));
    }
    await Promise.all(appends);
    expect(log.stats().groupsCommitted).toBeGreaterThanOrEqual(32); // ceil(2,000 / 64)
    const byPartition = await readAll();
    expectWellFormed(byPartition);
    const seqsByKey = new Map<string, number[]>();
    for (const r of byPartition.flat()) seqsByKey.set(r.key, [...(seqsByKey.get(r.key) ?? []), Number(labelOf(r))]);
    expect([...seqsByKey.keys()].sort()).toEqual([...keys].sort());
    const inOrder = Array.from({ length: 40 }, (_, seq) => seq);
    for (const seqs of seqsByKey.values()) expect(seqs).toEqual(inOrder);
  });

  it('writes a batch whole: its records sit at consecutive offsets of each partition, in batch order', async () => {
    const { log, readAll } = await subject.open({ lingerMs: 0 });
    const batches = Array.from({ length: 100 }, (_, b) =>
      Array.from({ length: 8 }, (_, i) => record(`acct-${(b * 13 + i * 5) % 61}`, `${b}.${i}`)));
    await Promise.all(batches.map((batch) => log.append(batch)));
    const byPartition = await readAll();
    expectWellFormed(byPartition);
    expect(byPartition.flat().length).toBe(800);
    for (const stored of byPartition) {
      const offsetsByBatch = new Map<string, number[]>();
      for (const r of stored) {
        const [batch, index] = labelOf(r).split('.') as [string, string];
        offsetsByBatch.set(batch, [...(offsetsByBatch.get(batch) ?? []), r.offset]);
        expect(batches[Number(batch)]![Number(index)]!.key).toBe(r.key);
      }
      for (const offsets of offsetsByBatch.values()) {
        expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
      }
    }
  });

  it('coalesces 1,000 concurrent single-record submits into one backend call', async () => {
    const { log, readAll } = await subject.open();
    const appended = Array.from({ length: 1_000 }, (_, n) => record(`acct-${n % 97}`, String(n), 1_700_000_000_000 + n));
    await Promise.all(appended.map((r) => log.append([r])));
    expect(log.stats()).toMatchObject({ groupsCommitted: 1, groupRecordsLast: 1_000, recordsCommitted: 1_000 });
    const stored = (await readAll()).flat().sort((a, b) => a.timestampMs - b.timestampMs);
    expect(stored.map((r) => labelOf(r))).toEqual(appended.map((r) => labelOf(r)));
  });

  it('refuses a submission past inFlightRecordsMax with LogOverloadedError and writes none of it', async () => {
    const { log, readAll } = await subject.open({ groupRecordsMax: 100, inFlightRecordsMax: 100 });
    const accepted = Array.from({ length: 100 }, (_, n) => log.append([record(`acct-${n}`, `ok-${n}`)]));
    await expect(log.append([record('acct-refused', 'refused')])).rejects.toBeInstanceOf(LogOverloadedError);
    expect(log.stats().submissionsRejectedOverload).toBe(1);
    await Promise.all(accepted);
    const labels = (await readAll()).flat().map((r) => labelOf(r));
    expect(labels.length).toBe(100);
    expect(labels).not.toContain('refused');
    expect(new Set(labels)).toEqual(new Set(Array.from({ length: 100 }, (_, n) => `ok-${n}`)));
  });

  it('close() waits for queued and in-flight appends, then refuses new ones', async () => {
    const { log, readAll } = await subject.open({ lingerMs: 50 });
    const settled: boolean[] = [];
    const appends = Array.from({ length: 20 }, (_, b) =>
      log.append(Array.from({ length: 10 }, (_, i) => record(`acct-${b}-${i}`, `${b}.${i}`)))
        .then(() => (settled[b] = true)));
    await log.close();
    expect(settled.filter(Boolean).length).toBe(20);
    await Promise.all(appends);
    await expect(log.append([record('late', 'late')])).rejects.toBeInstanceOf(LogClosedError);
    expect((await readAll()).flat().length).toBe(200);
  });

  it('probes ok', async () => {
    const { log } = await subject.open();
    expect(await log.probe()).toMatchObject({ ok: true });
  });
});

describe('local tap log only', () => {
  it('keeps its offsets across close and reopen', async () => {
    const path = freshPath();
    const first = await openTapLog({ kind: 'local', path, partitions });
    await first.append(Array.from({ length: 10 }, (_, n) => record('same-account', `a${n}`)));
    await first.close();
    const second = await openTapLog({ kind: 'local', path, partitions });
    logsOpened.push(second);
    await second.append(Array.from({ length: 5 }, (_, n) => record('same-account', `b${n}`)));
    const stored = readLocal(path)[partitionOf('same-account', partitions)]!;
    expect(stored.map((r) => [r.offset, labelOf(r)])).toEqual([
      ...Array.from({ length: 10 }, (_, n) => [n, `a${n}`]),
      ...Array.from({ length: 5 }, (_, n) => [10 + n, `b${n}`]),
    ]);
    await expect(openTapLog({ kind: 'local', path, partitions: 8 })).rejects.toBeInstanceOf(TapLogConfigError);
  });

  it('keeps every acknowledged append after the writer is killed with SIGKILL mid-stream', async () => {
    const path = freshPath();
    const acked = await runAndKill(path, 3_000);
    expect(acked.size).toBeGreaterThanOrEqual(3_000);
    const byPartition = readLocal(path);
    expectWellFormed(byPartition);
    // Every batch in the file is whole and nowhere twice; every acknowledged one is there.
    const recordsByBatch = new Map<number, string[]>();
    for (const r of byPartition.flat()) {
      const [batch, index] = decoder.decode(r.value).split(':').map(Number) as [number, number];
      expect(r.key).toBe(`acct-${(batch * 7 + index) % 37}`);
      recordsByBatch.set(batch, [...(recordsByBatch.get(batch) ?? []), `${index}`]);
    }
    for (const [batch, indexes] of recordsByBatch) {
      expect(indexes.sort()).toEqual(Array.from({ length: 1 + (batch % 5) }, (_, i) => `${i}`));
    }
    const missing = [...acked].filter((batch) => !recordsByBatch.has(batch));
    expect(missing).toEqual([]);
    // Per key, batches appear in submission (id) order.
    for (const stored of byPartition) {
      const lastBatchByKey = new Map<string, number>();
      for (const r of stored) {
        const batch = Number(decoder.decode(r.value).split(':')[0]);
        expect(batch).toBeGreaterThanOrEqual(lastBatchByKey.get(r.key) ?? 0);
        lastBatchByKey.set(r.key, batch);
      }
    }
  });
});

/** Runs crash-writer.ts on `path`, SIGKILLs it after `ackedMin` acks, returns the acked ids. */
function runAndKill(path: string, ackedMin: number): Promise<Set<number>> {
  const script = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked = new Set<number>();
  let stderr = '';
  let partial = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (/^\d+$/.test(line)) acked.add(Number(line));
      if (acked.size >= ackedMin && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`crash-writer exited (${code ?? signal}) before it was killed:\n${stderr}`));
    });
  });
}

describe('kafka tap log only', () => {
  it('fails appends with LogUnavailableError when the broker is unreachable, and the send ends', async () => {
    const appendTimeoutMs = 2_000;
    const log = await openTapLog({ kind: 'kafka', brokers: ['127.0.0.1:1'], topic: 'fare.taps', clientId: 'tap-log-contract',
      partitions, appendTimeoutMs, verifyOnOpen: false });
    const startedMs = Date.now();
    await expect(log.append([record('acct-1', 'x')])).rejects.toBeInstanceOf(LogUnavailableError);
    // Loose bound: only that it did not hang on kafkajs's unbounded retries (the real figure
    // is well under appendTimeoutMs: a refused connection fails fast).
    expect(Date.now() - startedMs).toBeLessThan(appendTimeoutMs + 10_000);
    expect(await log.probe()).toMatchObject({ ok: false });
    await log.close(); // waits for the backend call: it ended, it did not hang
    expect(log.stats()).toMatchObject({ groupsFailed: 1, groupsCommitted: 0 });
  });

  it('fails to open with LogUnavailableError when the broker is unreachable', async () => {
    await expect(openTapLog({ kind: 'kafka', brokers: ['127.0.0.1:1'], topic: 'fare.taps', clientId: 'tap-log-contract',
      partitions, appendTimeoutMs: 2_000 })).rejects.toBeInstanceOf(LogUnavailableError);
  });

  it('refuses a missing topic and one with another partition count (TapLogConfigError)', async () => {
    const missing = `tap-log-test.${runId}.missing`;
    await expect(openTapLog({ kind: 'kafka', brokers, topic: missing, clientId: 'tap-log-contract', partitions }))
      .rejects.toThrow(new TapLogConfigError(`Kafka topic ${missing} does not exist; create it with 4 partitions ` +
        '(npm run kafka:start creates fare.taps)'));
    const two = await freshTopic(2);
    await expect(openTapLog({ kind: 'kafka', brokers, topic: two, clientId: 'tap-log-contract', partitions }))
      .rejects.toThrow(/has 2 partitions, the tap log is configured for 4/);
    if (!adminConnected) await admin.connect();
    adminConnected = true;
    const topics = await admin.listTopics();
    expect(topics).not.toContain(missing); // auto-creation stays off
  });

  it('recovers after a failed send: a new producer writes the next group', async () => {
    const failures: unknown[] = [];
    const { log, readAll } = await subjects[1]!.open({
      groupBytesMax: 4 * 1024 * 1024,
      onGroupFailed: (_records, _ms, error) => failures.push(error),
    });
    // Over the broker's message.max.bytes (1 MiB): Kafka refuses it, the send fails.
    const tooLarge = { key: 'acct-big', value: new Uint8Array(2 * 1024 * 1024), timestampMs: 1_700_000_000_000 };
    await expect(log.append([tooLarge])).rejects.toBeInstanceOf(LogUnavailableError);
    expect(failures.length).toBe(1);
    await log.append([record('acct-after', 'after')]);
    const stored = (await readAll()).flat();
    expect(stored.map((r) => [r.key, labelOf(r)])).toEqual([['acct-after', 'after']]);
    expect(log.stats()).toMatchObject({ groupsFailed: 1, groupsCommitted: 1 });
  });
});
