// Sealing throughput of the batcher, end to end: from a pre-filled tap log (embedded SQLite,
// then a real Kafka topic) to signed blocks in the ledger, beside this machine's raw
// SHA-256 limit for the same leaves, in one run.
//
//   npm run bench:seal [-- --taps 200000] [--only local|kafka] [--workers n] [--profile <dir>]
//
// --profile writes V8 CPU profiles of each sealing run (not of the set-up) into <dir>: the
// main thread's, and each chain worker's under <dir>/<local|kafka>/.
//
// Rates are of the steady part, from the first sealed block to the last; the start-up
// before it (worker threads compiling the TypeScript, the Kafka group join) is printed apart.
//
// Goals on this 2-core machine (issue 5): ≥ 80,000 taps/s from the embedded log,
// ≥ 30,000 taps/s from Kafka. A tap makes about 1.5 entries (its own and, every other tap
// or so, a trip), so entries/s is printed too.
import { hash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeEntry } from '@fareledger/codecs';
import { tapEntry } from '@fareledger/domain';
import { tapInputSchema, toTap } from '@fareledger/domain/tap-schema';
import { ensureTopics, readKafkaConfig, startKafka, stopKafka } from '@fareledger/infra/kafka';
import { LedgerReader } from '@fareledger/ledger';
import { createLogger, silentLogger } from '@fareledger/runtime';
import { kafkaEndOffsets, LocalTapLog, openTapLog, type TapRecord } from '@fareledger/tap-log';
import { loadBatcherConfig } from '../services/batcher/src/config.js';
import { startBatcher } from '../services/batcher/src/service.js';
import { cityTaps } from '../services/batcher/test/city-taps.js';

const { values: args } = parseArgs({ options: { taps: { type: 'string', default: '200000' }, only: { type: 'string' }, workers: { type: 'string' }, profile: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
if (args.help) {
  console.log('usage: npm run bench:seal -- [--taps 200000] [--only local|kafka] [--workers n] [--profile <dir>]');
  process.exit(0);
}
const tapCount = Number(args.taps);
if (!Number.isSafeInteger(tapCount) || tapCount < 1000) {
  console.error('bench:seal: --taps must be an integer of at least 1000');
  process.exit(2);
}
if (args.only !== undefined && args.only !== 'local' && args.only !== 'kafka') {
  console.error('bench:seal: --only must be local or kafka');
  process.exit(2);
}

interface Figures {
  readonly source: string;
  /** From startBatcher to the first sealed block: worker threads compiling the TypeScript, the Kafka group join. */
  readonly startSeconds: number;
  /** From the first sealed block to the last: the steady sealing the rates are of. */
  readonly seconds: number;
  /** CPU time of the whole process (every thread) over `seconds`. */
  readonly cpuSeconds: number;
  /** Taps (records) sealed over `seconds`, and all of them. */
  readonly taps: number;
  readonly tapsTotal: number;
  readonly entries: number;
}

function tapRecords(): TapRecord[] {
  const receivedAtMs = Date.now();
  return cityTaps(tapCount, Math.max(1000, Math.floor(tapCount / 10)), receivedAtMs, { gate: 'gate-1', bus: 'bus-1', taxi: 'taxi-1' }).map(({ tap }) => {
    const parsed = toTap(tapInputSchema.parse(tap), receivedAtMs);
    return { key: parsed.account, value: encodeEntry(tapEntry(parsed)), timestampMs: receivedAtMs };
  });
}

/** Leaf hashes per second with node:crypto over the same bytes: the ceiling of any sealing. */
function sha256Limit(records: readonly TapRecord[]): number {
  const prefix = Uint8Array.of(0);
  const started = performance.now();
  for (const record of records) hash('sha256', Buffer.concat([prefix, record.value]));
  return records.length / ((performance.now() - started) / 1000);
}

/** Runs `fn` under the V8 profiler when --profile was given; the profile is <dir>/seal-<name>.cpuprofile. */
async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (args.profile === undefined) return fn();
  process.env.FARELEDGER_CPU_PROFILE_DIR = path.resolve(args.profile, name); // the chain workers' profiles
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(args.profile, { recursive: true });
    writeFileSync(path.join(args.profile, `seal-${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

async function sealAll(source: string, env: Record<string, string>, ends: readonly number[]): Promise<Figures> {
  return profiled(source === 'Kafka' ? 'kafka' : 'local', () => sealAllNow(source, env, ends));
}

/**
 * Starts the batcher on the pre-filled log and polls the ledger every 20 ms until every
 * offset is sealed. The rates are of the steady part, from the first sealed block on, so a
 * short run is not dominated by the start-up, which is printed apart.
 */
async function sealAllNow(source: string, env: Record<string, string>, ends: readonly number[]): Promise<Figures> {
  const started = performance.now();
  const batcher = await startBatcher(loadBatcherConfig(env), { logger: process.env.LOG_LEVEL === undefined ? silentLogger() : createLogger('batcher') });
  let first: { atMs: number; cpu: NodeJS.CpuUsage; taps: number; entries: number } | undefined;
  for (;;) {
    const reader = LedgerReader.open({ path: env.LEDGER_PATH! });
    const chains = ends.map((_end, chain) => reader.chain(chain));
    reader.close();
    const atMs = performance.now();
    const cpu = process.cpuUsage();
    const taps = chains.reduce((sum, chain) => sum + (chain?.nextOffset ?? 0), 0);
    const entries = chains.reduce((sum, chain) => sum + (chain?.treeSize ?? 0), 0);
    if (first === undefined && taps > 0) first = { atMs, cpu, taps, entries };
    if (first !== undefined && chains.every((chain, index) => ends[index] === 0 || chain?.nextOffset === ends[index])) {
      await batcher.stop();
      const used = process.cpuUsage(first.cpu);
      return {
        source, startSeconds: (first.atMs - started) / 1000, seconds: (atMs - first.atMs) / 1000, cpuSeconds: (used.user + used.system) / 1e6,
        taps: taps - first.taps, tapsTotal: taps, entries: entries - first.entries,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-seal-'));
  const records = tapRecords();
  const results: Figures[] = [];
  const limit = sha256Limit(records);
  let startedKafka = false;
  try {
    const base = { ...(args.workers === undefined ? {} : { BATCHER_WORKERS: args.workers }), BATCHER_PORT: '0', LEDGER_SIGNING_KEY_PATH: path.join(dir, 'signing.key'), BATCHER_DEV_CREATE_KEY: 'true', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
    if (args.only !== 'kafka') {
      const tapLogPath = path.join(dir, 'taps.db');
      const log = LocalTapLog.open(tapLogPath, 4);
      for (let index = 0; index < records.length; index += 4096) log.appendSync(records.slice(index, index + 4096));
      const ends = log.endOffsets();
      await log.close();
      results.push(await sealAll('embedded log', { ...base, TAP_LOG: 'local', TAP_LOG_PATH: tapLogPath, LEDGER_PATH: path.join(dir, 'ledger-local.db') }, ends));
      console.log(`  embedded log: ${Math.round(results.at(-1)!.taps / results.at(-1)!.seconds).toLocaleString('en-US')} taps/s`);
    }
    if (args.only !== 'local') {
      const kafka = readKafkaConfig();
      startedKafka = (await startKafka(kafka)).started; // only when no broker answers
      const topic = `fare.taps.bench-${Date.now().toString(36)}`;
      await ensureTopics(kafka.brokers, [{ topic, numPartitions: 4, configEntries: [{ name: 'retention.ms', value: '3600000' }] }]);
      const log = await openTapLog({ kind: 'kafka', brokers: kafka.brokers, topic, clientId: 'bench-seal', partitions: 4 });
      for (let index = 0; index < records.length; index += 2000) await log.append(records.slice(index, index + 2000));
      await log.close();
      const ends = await kafkaEndOffsets(kafka.brokers, topic);
      results.push(await sealAll('Kafka', { ...base, TAP_LOG: 'kafka', KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_TAPS: topic, KAFKA_TOPIC_BLOCKS: topic.replace('fare.taps', 'fare.blocks'), BATCHER_GROUP: topic, LEDGER_PATH: path.join(dir, 'ledger-kafka.db') }, ends));
      console.log(`  Kafka: ${Math.round(results.at(-1)!.taps / results.at(-1)!.seconds).toLocaleString('en-US')} taps/s`);
    }
  } finally {
    if (startedKafka) await stopKafka(readKafkaConfig());
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(
    results.map((figures) => ({
      source: figures.source,
      'start-up s': Number(figures.startSeconds.toFixed(1)),
      taps: figures.tapsTotal,
      'sealing s': Number(figures.seconds.toFixed(1)),
      'cores busy': Number((figures.cpuSeconds / figures.seconds).toFixed(2)),
      'µs CPU/tap': Number(((figures.cpuSeconds * 1e6) / figures.taps).toFixed(1)),
      'taps/s': Math.round(figures.taps / figures.seconds),
      'entries/s': Math.round(figures.entries / figures.seconds),
      'x SHA-256 limit (entries)': Number((figures.entries / figures.seconds / limit).toFixed(3)),
    })),
  );
  console.log(`raw SHA-256 limit: ${Math.round(limit).toLocaleString('en-US')} leaf hashes/s (node:crypto, same leaves, one core)`);
  const goals = [['embedded log', 80_000], ['Kafka', 30_000]] as const;
  for (const [source, goal] of goals) {
    const figures = results.find((f) => f.source === source);
    if (figures === undefined) continue;
    const tapsPerS = figures.taps / figures.seconds;
    console.log(`${tapsPerS >= goal ? 'met    ' : 'NOT MET'}  ${source} ≥ ${goal.toLocaleString('en-US')} taps/s: ${Math.round(tapsPerS).toLocaleString('en-US')}`);
  }
}

await main();
