import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSzmNetwork } from '@fareledger/domain/node-data';
import { measureCeilings } from './ceilings.js';
import { CityTraffic } from './city-traffic.js';
import { type Device, type DriverContext, runScenario, type ScenarioFigures } from './drivers.js';
import { positiveIntArg, repoRoot, usageError } from './processes.js';
import { fmt, machineFacts, rssGrowth, type RunFigures, writeReport } from './report.js';
import { Sampler } from './sampler.js';
import { readScenarios, type Scenario, type ScenariosFile } from './scenarios.js';
import { startSystem, type SystemUnderTest } from './system.js';

// The load benchmark (issue 8), one entry for both commands:
//   npm run bench [-- --kafka]                   every bench scenario of scenarios.json (about 3 minutes)
//   npm run load -- --minutes <m> [--kafka]      the soak: the city mix for m minutes, RSS over time
// Each measures this machine's ceilings (hono echo, SHA-256), starts the system itself on a
// fresh data directory (embedded, or on real Kafka), drives it with autocannon from this
// process, stops everything and writes load-tests/reports/<timestamp>/ (report.md,
// figures.json, PNG plots).

const command = process.argv.includes('--soak') ? 'load' : 'bench';
const usage = `usage: npm run bench -- [--kafka] [--only <scenario>[,<scenario>...]] [--seconds <s>] [--out <dir>] [--scenarios <file>]
       npm run load -- [--minutes 10] [--kafka] [--seconds <s>] [--out <dir>] [--scenarios <file>]

  --kafka      the system on real Kafka (npm run start:kafka's topology; the broker from infra/ is started if none answers)
  --minutes    the soak's length (npm run load; default 10)
  --only       bench scenarios by name, comma-separated (default: all of scenarios.json's "bench")
  --seconds    every scenario measured this many seconds instead of the file's (a quick check of the command)
  --batchers   batcher processes on Kafka (default 2)
  --profile    a V8 CPU profile of the embedded city process into <dir> (open it in Chrome DevTools or speedscope)
  --out        the report's directory (default load-tests/reports/<timestamp>)
  --scenarios  the scenarios file (default load-tests/scenarios.json)
`;
const { values: args } = parseArgs({
  options: {
    soak: { type: 'boolean', default: false }, kafka: { type: 'boolean', default: false }, minutes: { type: 'string' }, only: { type: 'string' }, seconds: { type: 'string' },
    batchers: { type: 'string', default: '2' }, profile: { type: 'string' }, out: { type: 'string' }, scenarios: { type: 'string', default: path.join(repoRoot, 'load-tests/scenarios.json') }, help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const name = `npm run ${command}`;
const shownArgs = process.argv.slice(2).filter((arg) => arg !== '--soak');
if (!args.soak && args.minutes !== undefined) usageError(name, '--minutes is for npm run load (the soak)');
if (args.soak && args.only !== undefined) usageError(name, '--only is for npm run bench');
if (args.kafka && args.profile !== undefined) usageError(name, '--profile is for the embedded system (on Kafka, start the services yourself with node --cpu-prof)');
const minutes = args.minutes === undefined ? 10 : Number(args.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) usageError(name, '--minutes must be a number of minutes above 0, at most a day');
const secondsOverride = args.seconds === undefined ? undefined : positiveIntArg(name, args.seconds, '--seconds');
const batchers = positiveIntArg(name, args.batchers, '--batchers');
const file: ScenariosFile = (() => {
  try {
    return readScenarios(args.scenarios);
  } catch (error) {
    return usageError(name, (error as Error).message);
  }
})();
const wanted = args.only?.split(',').map((s) => s.trim());
const unknown = wanted?.find((n) => !file.bench.some((s) => s.name === n));
if (unknown !== undefined) usageError(name, `no bench scenario "${unknown}" in ${args.scenarios} (there are: ${file.bench.map((s) => s.name).join(', ')})`);
const soakScenario = { ...file.soak, seconds: minutes * 60 };
const plan: Scenario[] = args.soak ? [soakScenario] : file.bench.filter((s) => wanted === undefined || wanted.includes(s.name));
const startedAt = new Date();
const outDir = path.resolve(args.out ?? path.join(repoRoot, 'load-tests/reports', startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')));
const runId = startedAt.getTime().toString(36);

let system: SystemUnderTest | undefined;
let dataDir: string | undefined;
const cleanUp = async () => {
  await system?.stop();
  system = undefined;
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${name}: ${signal}: stopping the system\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const plannedS = plan.reduce((sum, s) => sum + (secondsOverride ?? s.seconds) + Math.min(s.warmupSeconds, secondsOverride === undefined ? Infinity : 1), 0);
  log(`${name}: ${plan.length} scenario${plan.length === 1 ? '' : 's'} (${plan.map((s) => s.name).join(', ')}), about ${Math.ceil(plannedS / 60)} min of load; the system ${args.kafka ? `on real Kafka, ${batchers} batchers` : 'embedded'}`);
  log(`ceilings: hono echo for ${secondsOverride ?? file.ceilings.echoSeconds} s, SHA-256 on one core`);
  const ceilings = await measureCeilings(secondsOverride ?? file.ceilings.echoSeconds, file.ceilings.echoConnections);
  log(`  echo ${fmt(ceilings.echo.requestsPerS)} req/s (p99 ${ceilings.echo.p99Ms} ms); SHA-256 ${fmt(ceilings.sha256.leafHashesPerS)} leaf hashes/s`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'fareledger-bench-'));
  log(`starting the system (${args.kafka ? 'npm run start:kafka' : 'npm start'}) on ${dataDir}`);
  const nodeArgs = args.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-interval', '200', `--cpu-prof-dir=${path.resolve(args.profile)}`];
  system = await startSystem({ kafka: args.kafka, dataDir, runId, batchers, nodeArgs });
  const context = await prepare(system);
  context.sampler.start();
  const results: ScenarioFigures[] = [];
  try {
    for (const [i, scenario] of plan.entries()) {
      log(`[${i + 1}/${plan.length}] ${scenario.name}`);
      const figures = await runScenario(scenario, context, secondsOverride);
      clearProgress();
      if (figures === undefined) {
        log(`  skipped: no invoices to fetch (run a city scenario before it)`);
        continue;
      }
      results.push(figures);
      log(`  ${summary(figures)}`);
    }
  } finally {
    context.sampler.stop();
    log('stopping the system');
    await cleanUp();
  }
  const samples = context.sampler.samples;
  const run: RunFigures = {
    command: shownArgs.length === 0 ? name : `${name} -- ${shownArgs.join(' ')}`, mode: args.kafka ? 'kafka' : 'embedded', startedAt: startedAt.toISOString(),
    machine: machineFacts(), ceilings, scenarios: results, samples, ...(args.soak && results[0] !== undefined ? { rss: rssGrowth(samples, results[0].fromS) } : {}),
  };
  const { reportPath, goals } = writeReport(outDir, run);
  log('');
  for (const goal of goals) log(`${goal.met === undefined ? 'n/a    ' : goal.met ? 'met    ' : 'NOT MET'}  ${goal.figure} (${goal.goal}): ${goal.measured}`);
  log(`\nreport: ${path.relative(process.cwd(), reportPath)}`);
}

/** Devices and wallet tokens made through the admin APIs, the traffic, the sampler. */
async function prepare(sut: SystemUnderTest): Promise<DriverContext> {
  const { city } = file;
  log(`registering ${city.gates} gates and ${city.validators} bus validators, issuing ${city.walletAccounts.toLocaleString('en-US')} wallet tokens`);
  const admin = (url: string, route: string, body: unknown) => fetch(`${url}${route}`, {
    method: 'POST', headers: { authorization: `Bearer ${sut.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then(async (response) => {
    if (response.status !== 201) throw new Error(`POST ${route}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, string>>;
  });
  const register = async (deviceId: string, operatorId: string, mode: 'metro' | 'bus'): Promise<Device> => {
    const { keyId, secret } = await admin(sut.ingestUrl, '/v1/admin/devices', { deviceId, operatorId, mode });
    return { deviceId, operatorId, mode, keyId: keyId!, secret: Buffer.from(secret!, 'base64url') };
  };
  const gates = await inBatches(city.gates, (i) => register(`bench-${runId}-gate-${i}`, 'szmc', 'metro'));
  const validators = await inBatches(city.validators, (i) => register(`bench-${runId}-validator-${i}`, 'szbus', 'bus'));
  const traffic = new CityTraffic({ network: loadSzmNetwork(), passengers: city.passengers, walletAccounts: city.walletAccounts, rideSecondsMin: city.rideSecondsMin, rideSecondsMax: city.rideSecondsMax, seed: 20_261_202, runId });
  const walletTokens = await inBatches(city.walletAccounts, async (i) => (await admin(sut.invoicesUrl, '/v1/admin/tokens', { role: 'wallet', account: traffic.account(i), label: 'benchmark wallet' })).token!);
  return { system: sut, traffic, gates, validators, walletTokens, sampler: new Sampler({ rootPid: sut.rootPid, metricsUrls: sut.metricsUrls, invoiceMetricsUrl: `${sut.invoicesUrl}/metrics`, withBroker: sut.mode === 'kafka' }), invoices: [], progress: showProgress };
}

async function inBatches<T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  for (let at = 0; at < count; at += 32) made.push(...(await Promise.all(Array.from({ length: Math.min(32, count - at) }, (_, k) => make(at + k)))));
  return made;
}

function summary(f: ScenarioFigures): string {
  const parts = [`${fmt(f.requestsPerS)} req/s, p99 ${f.latencyMs.p99} ms`];
  if (f.tapsAckedPerS !== undefined) parts.push(`taps acked ${fmt(f.tapsAckedPerS)}/s, sealed ${fmt(f.tapsSealedPerS ?? 0)}/s`);
  if (f.invoiceLatencyMs !== undefined) parts.push(`tap-out → invoice p50 ${fmt(f.invoiceLatencyMs.p50)} ms, p99 ${fmt(f.invoiceLatencyMs.p99)} ms (${fmt(f.invoiceLatencyMs.count)} invoices)`);
  if (f.invoiceStagesMs !== undefined) parts.push(`to the seal p50/p99 ${fmt(f.invoiceStagesMs.ackToSealed.p50)}/${fmt(f.invoiceStagesMs.ackToSealed.p99)} ms, seal to invoice ${fmt(f.invoiceStagesMs.sealedToAvailable.p50)}/${fmt(f.invoiceStagesMs.sealedToAvailable.p99)} ms`);
  const refused = Object.entries(f.statusCounts).filter(([status]) => !status.startsWith('2'));
  if (refused.length > 0 || f.errors > 0) parts.push(`not 2xx: ${refused.map(([s, n]) => `${s} ×${n}`).join(', ')}${f.errors > 0 ? ` no answer ×${f.errors}` : ''}`);
  return parts.join('; ');
}

const tty = process.stderr.isTTY === true;
let lastProgressMs = 0;

function showProgress(scenario: string, elapsedS: number, totalS: number, detail: string): void {
  const fraction = Math.min(1, elapsedS / totalS);
  if (!tty && Date.now() - lastProgressMs < 10_000) return;
  lastProgressMs = Date.now();
  const width = 30;
  const bar = `${'#'.repeat(Math.round(fraction * width))}${'.'.repeat(width - Math.round(fraction * width))}`;
  const line = `  [${bar}] ${String(Math.round(fraction * 100)).padStart(3)} % ${scenario} ${Math.round(elapsedS)}/${Math.round(totalS)} s ${detail}`;
  process.stderr.write(tty ? `\r${line.padEnd(120).slice(0, 120)}` : `${line}\n`);
}

function clearProgress(): void {
  if (tty) process.stderr.write(`\r${' '.repeat(120)}\r`);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

try {
  await main();
} catch (error) {
  clearProgress();
  process.stderr.write(`${name}: ${(error as Error).stack ?? String(error)}\n`);
  await cleanUp();
  process.exit(1);
}
