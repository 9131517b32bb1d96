import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatEventTime } from '@fareledger/domain';
import { ensureTopics, readKafkaConfig, startKafka, stopKafka } from '@fareledger/infra/kafka';
import autocannon from 'autocannon';
import { type Device, registerDevice } from '../services/ingest/test/ingest-client.js';
import { type Child, cpuTimeUs, positiveIntArg, startChild, usageError } from './processes.js';
import { signedPost } from './signing.js';

// Ingest throughput on this machine, in one run, side by side:
//   echo      hono on @hono/node-server answering with the request body: the HTTP ceiling
//   single    one signed tap per request           (goal: ≥ 0.6 × echo req/s)
//   batched   `batch` signed taps per request      (goal: ≥ 50,000 taps/s embedded, ≥ 20,000 via Kafka)
// for the embedded local log and for real Kafka. Every server is its own process; autocannon
// drives them from this one. Each request is signed afresh (the replay window refuses
// repeats), so the generator does the same signing work for echo as for ingest.
//
//   npm run load:ingest -- [--seconds 10] [--connections 50] [--batch 500] [--batch-connections 8]
//                        [--only local|kafka] [--profile <dir>]
//
// --profile writes a V8 CPU profile of every server process into <dir> (open it in Chrome
// DevTools or speedscope) to see what bounds each figure.

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    'batch-connections': { type: 'string', default: '8' },
    batch: { type: 'string', default: '500' },
    only: { type: 'string' },
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run load:ingest -- [--seconds 10] [--warmup 2] [--connections 50] [--batch 500] [--batch-connections 8] [--only local|kafka] [--profile <dir>]');
  process.exit(0);
}
const seconds = positiveInt(args.seconds, '--seconds');
const warmupSeconds = positiveInt(args.warmup, '--warmup');
const connections = positiveInt(args.connections, '--connections');
const batchTaps = positiveInt(args.batch, '--batch');
// Batches come from devices catching up after being offline: a few at a time, not a crowd.
const batchConnections = positiveInt(args['batch-connections'], '--batch-connections');
const logs: readonly ('local' | 'kafka')[] =
  args.only === undefined ? ['local', 'kafka'] : args.only === 'local' || args.only === 'kafka' ? [args.only] : usage('--only must be local or kafka');

function positiveInt(text: string, name: string): number {
  return positiveIntArg('load:ingest', text, name);
}

function usage(message: string): never {
  return usageError('load:ingest', message);
}

const nodeArgs = args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`];
const adminToken = randomBytes(32).toString('base64url');
const loadTopic = 'fare.taps.load';

interface Figures {
  readonly scenario: string;
  readonly requestsPerS: number;
  /** Server CPU (all its threads) per answered request: what bounds it when the generator does not. */
  readonly serverCpuUsPerRequest: number;
  readonly tapsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'load-ingest-'));
  const results: Figures[] = [];
  let startedKafka = false;
  try {
    console.log(`load:ingest: ${seconds} s per scenario after ${warmupSeconds} s warm-up, ${connections} connections (batched: ${batchConnections}), batches of ${batchTaps}`);
    const echo = await startChild('load-tests/echo-server.ts', {}, 'echo listening', { nodeArgs });
    try {
      results.push(await measure('echo', echo, `${echo.url}/echo`, signer('/echo', 1), 1, connections));
    } finally {
      await echo.stop();
    }
    for (const log of logs) {
      if (log === 'kafka') startedKafka = await ensureBroker();
      results.push(...(await measureIngest(log, dir)));
    }
  } finally {
    if (startedKafka) await stopKafka(readKafkaConfig());
    rmSync(dir, { recursive: true, force: true });
  }
  report(results);
}

/** startKafka starts the broker only when none answers; `started` says whether we must stop it. */
async function ensureBroker(): Promise<boolean> {
  const config = readKafkaConfig();
  const { started } = await startKafka(config);
  if (started) console.log('load:ingest: started the Kafka broker (infra/kafka)');
  await ensureTopics(config.brokers, [{ topic: loadTopic, numPartitions: 4, configEntries: [{ name: 'retention.ms', value: '600000' }] }]);
  return started;
}

async function measureIngest(log: 'local' | 'kafka', dir: string): Promise<Figures[]> {
  const env: Record<string, string> = {
    INGEST_PORT: '0',
    INGEST_ADMIN_TOKEN: adminToken,
    INGEST_DEVICES_PATH: path.join(dir, `devices-${log}.db`),
    TAP_LOG: log,
    TAP_LOG_PATH: path.join(dir, 'taps.db'),
    KAFKA_BROKERS: readKafkaConfig().brokers.join(','),
    KAFKA_TOPIC_TAPS: loadTopic,
    INGEST_BATCH_TAPS_MAX: String(Math.max(batchTaps, 500)),
    LOG_LEVEL: 'info',
  };
  const ingest = await startChild('services/ingest/src/main.ts', env, 'ingest listening', { nodeArgs });
  try {
    const devices = await registerDevices(ingest, connections);
    return [
      await measure(`single ${log}`, ingest, `${ingest.url}/v1/taps`, tapSigner(devices, 1), 1, connections),
      await measure(`batched ${log}`, ingest, `${ingest.url}/v1/taps`, tapSigner(devices, batchTaps), batchTaps, batchConnections),
    ];
  } finally {
    await ingest.stop();
  }
}

function registerDevices(ingest: Child, count: number): Promise<Device[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => registerDevice(ingest.url, adminToken, `load-g${String(index).padStart(3, '0')}`)));
}

type SetupRequest = (request: { headers?: Record<string, string>; body?: Buffer | string }, context: Record<string, unknown>) => unknown;

/** The echo scenario: the single-tap body, signed by a throwaway key (echo does not check it). */
function signer(target: string, taps: number): SetupRequest {
  const device = { deviceId: 'echo', keyId: 'k1', secret: randomBytes(32) };
  let sequence = 0;
  return (request) => signedPost(request, device, target, tapsBody(device.deviceId, taps, () => (sequence += 1)));
}

let connectionsSeen = 0;

/** One device per connection, each numbering its own taps: what a station full of gates does. */
function tapSigner(devices: readonly Device[], taps: number): SetupRequest {
  return (request, context) => {
    context.device ??= devices[connectionsSeen++ % devices.length];
    context.sequence ??= 0;
    const device = context.device as Device;
    const next = () => (context.sequence = (context.sequence as number) + 1) as number;
    return signedPost(request, device, '/v1/taps', tapsBody(device.deviceId, taps, next));
  };
}

const runId = Date.now().toString(36);

function tapsBody(deviceId: string, taps: number, next: () => number): Buffer {
  const eventTime = formatEventTime(Date.now(), 480);
  const list = [];
  for (let index = 0; index < taps; index += 1) {
    const sequence = next();
    list.push({
      tapId: `${runId}-${sequence}`, deviceId, operatorId: 'szmc', account: `wa_${(sequence * 7919) % 20_000}`,
      mode: 'metro', kind: sequence % 2 === 0 ? 'out' : 'in', stationId: `L1-S${String(sequence % 30).padStart(2, '0')}`, eventTime,
    });
  }
  return Buffer.from(JSON.stringify(taps === 1 ? list[0] : { taps: list }));
}

async function measure(scenario: string, server: Child, url: string, setupRequest: SetupRequest, tapsPerRequest: number, connections: number): Promise<Figures> {
  const options = { url, connections, method: 'POST' as const, requests: [{ method: 'POST' as const, setupRequest: setupRequest as never }] };
  await autocannon({ ...options, duration: warmupSeconds });
  const cpuBeforeUs = cpuTimeUs(server);
  const result = await autocannon({ ...options, duration: seconds });
  const ok = result['2xx'];
  const figures = {
    scenario,
    requestsPerS: ok / result.duration,
    serverCpuUsPerRequest: (cpuTimeUs(server) - cpuBeforeUs) / Math.max(1, ok),
    tapsPerS: (ok * tapsPerRequest) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  const perRequest = `${figures.serverCpuUsPerRequest.toFixed(0)} µs server CPU/request`;
  console.log(`  ${scenario.padEnd(16)} ${Math.round(figures.requestsPerS).toLocaleString('en-US').padStart(8)} req/s  ${Math.round(figures.tapsPerS).toLocaleString('en-US').padStart(8)} taps/s  ${perRequest}`);
  return figures;
}

function report(results: readonly Figures[]): void {
  const echo = results.find((figures) => figures.scenario === 'echo');
  const rows = results.map((figures) => ({
    scenario: figures.scenario,
    'req/s': Math.round(figures.requestsPerS),
    'taps/s': figures.scenario === 'echo' ? '' : Math.round(figures.tapsPerS),
    'x echo': echo === undefined || figures === echo ? '' : (figures.requestsPerS / echo.requestsPerS).toFixed(2),
    'µs CPU/req': Math.round(figures.serverCpuUsPerRequest),
    'req/s per core': Math.round(1e6 / figures.serverCpuUsPerRequest),
    'x echo per core': echo === undefined || figures === echo ? '' : (echo.serverCpuUsPerRequest / figures.serverCpuUsPerRequest).toFixed(2),
    'p50 ms': figures.p50Ms,
    'p99 ms': figures.p99Ms,
    non2xx: figures.non2xx,
    errors: figures.errors,
  }));
  console.table(rows);
  const goals = [
    ['single local ≥ 0.6 × echo (req/s)', ratio(results, 'single local', echo, 'throughput'), 0.6],
    ['single local ≥ 0.6 × echo (per core)', ratio(results, 'single local', echo, 'per-core'), 0.6],
    ['single kafka ≥ 0.6 × echo (req/s)', ratio(results, 'single kafka', echo, 'throughput'), 0.6],
    ['single kafka ≥ 0.6 × echo (per core)', ratio(results, 'single kafka', echo, 'per-core'), 0.6],
    ['batched local ≥ 50,000 taps/s', results.find((f) => f.scenario === 'batched local')?.tapsPerS, 50_000],
    ['batched kafka ≥ 20,000 taps/s', results.find((f) => f.scenario === 'batched kafka')?.tapsPerS, 20_000],
  ] as const;
  for (const [goal, value, target] of goals) {
    if (value === undefined) continue;
    const shown = value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US');
    console.log(`${value >= target ? 'met    ' : 'NOT MET'}  ${goal}: ${shown}`);
  }
}

/**
 * `throughput` compares req/s as measured. On 2 cores the generator shares the machine and
 * can bound both figures, hiding the server's cost, so `per-core` compares server CPU per
 * request instead: what each server could answer with a core to itself.
 */
function ratio(results: readonly Figures[], scenario: string, echo: Figures | undefined, basis: 'throughput' | 'per-core'): number | undefined {
  const figures = results.find((f) => f.scenario === scenario);
  if (figures === undefined || echo === undefined) return undefined;
  return basis === 'throughput' ? figures.requestsPerS / echo.requestsPerS : echo.serverCpuUsPerRequest / figures.serverCpuUsPerRequest;
}

await main();
