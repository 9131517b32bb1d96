import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseVerifierKey, type VerifierKey } from '@fareledger/checkpoint';
import { decodeEntry } from '@fareledger/codecs';
import { seededIntegers, tapKey } from '@fareledger/domain';
import { loadSzmNetwork } from '@fareledger/domain/node-data';
import { LedgerReader } from '@fareledger/ledger';
import { kafkaEndOffsets, readKafkaTaps } from '@fareledger/tap-log';
import { chainEntryBytes, checkLedger, type LedgerCheck } from '../services/batcher/test/ledger-check.js';
import { auditLedgerFile } from '../services/invoice-audit/src/audit-verify.js';
import { ChaosSystem, type Victim } from './chaos-system.js';
import { type LoadFigures, TapLoad } from './chaos-load.js';
import { CheckpointWatcher, type WatcherFigures } from './checkpoint-watcher.js';
import { CityTraffic } from './city-traffic.js';
import type { Device } from './drivers.js';
import { positiveIntArg, repoRoot, usageError } from './processes.js';

// The chaos test (docs/RELIABILITY.md): the Kafka topology under a steady tap load, and
// `--cycles` times, at a random moment, one of its processes SIGKILLed (ingest, a batcher,
// invoice-audit) or the broker restarted (SIGTERM or SIGKILL), then started again. The
// devices retry what got no 202, as they are told to. At the end, with everything sealed:
// every tap that got a 202 is in the ledger exactly once, no tap is there twice or
// unasked-for, the ledger equals a from-scratch replay of the topic, every chain and the
// key history verify, and a watcher that polled the checkpoints all along proves each
// consistent with the next. Prints the counts; exit 0 when all hold, 1 when one does not.

const command = 'chaos';
const usage = `usage: npm run chaos -- [--cycles 10] [--rate 200] [--seed <n>] [--batchers 2] [--kafka-port 19092]

  --cycles      kill-and-restart cycles (default 10)
  --rate        taps per second the devices post (default 200), in batches of 10
  --seed        the victims' order and the moments (default: from the clock; printed)
  --batchers    batcher processes in the consumer group (default 2)
  --kafka-port  the test's own broker listens here, its controller on the next port (default 19092)
`;

interface Options {
  readonly cycles: number;
  readonly rate: number;
  readonly seed: number;
  readonly batchers: number;
  readonly kafkaPort: number;
}

function parseOptions(argv: readonly string[]): Options {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: { cycles: { type: 'string' }, rate: { type: 'string' }, seed: { type: 'string' }, batchers: { type: 'string' }, 'kafka-port': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    return usageError(command, `${(error as Error).message}\n\n${usage}`);
  }
  if (values.help === true) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const batchers = positiveIntArg(command, values.batchers ?? '2', '--batchers');
  const kafkaPort = positiveIntArg(command, values['kafka-port'] ?? '19092', '--kafka-port');
  if (batchers > 4) usageError(command, '--batchers must be 1..4 (the topic has 4 partitions)');
  if (kafkaPort < 1024 || kafkaPort > 65_534) usageError(command, '--kafka-port must be 1024..65534');
  return {
    cycles: positiveIntArg(command, values.cycles ?? '10', '--cycles'),
    rate: positiveIntArg(command, values.rate ?? '200', '--rate'),
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : positiveIntArg(command, values.seed, '--seed'),
    batchers, kafkaPort,
  };
}

/** Victims in rounds: each round every victim once, in a shuffled order. */
function victimOrder(victims: readonly Victim[], cycles: number, random: (n: number) => number): Victim[] {
  const order: Victim[] = [];
  while (order.length < cycles) {
    const round = [...victims];
    for (let i = round.length - 1; i > 0; i -= 1) {
      const j = random(i + 1);
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    order.push(...round);
  }
  return order.slice(0, cycles);
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Waits until every chain of the ledger sealed up to the end of fare.taps; the ends. */
async function drained(system: ChaosSystem, timeoutMs: number): Promise<{ ends: number[]; drainedInS: number }> {
  const startedMs = Date.now();
  const ends = await kafkaEndOffsets(system.kafka.brokers, 'fare.taps');
  for (;;) {
    const reader = LedgerReader.open({ path: system.files.ledger });
    const lagging = ends.filter((end, chain) => end > 0 && reader.chain(chain)?.nextOffset !== end).length;
    reader.close();
    if (lagging === 0) return { ends, drainedInS: (Date.now() - startedMs) / 1000 };
    if (Date.now() - startedMs > timeoutMs) throw new Error(`${lagging} chains did not seal up to the end of fare.taps within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface Totals {
  readonly days: readonly unknown[];
  readonly asOf: readonly { chain: number; treeSize: number }[];
}

/** The auditor's totals of the run's days once the read copy behind `url` indexed the whole ledger. */
async function indexedTotals(url: string, auditorToken: string, ledgerPath: string, timeoutMs: number): Promise<Totals> {
  const reader = LedgerReader.open({ path: ledgerPath });
  const sizes = new Map(reader.chains().map(({ chain, treeSize }) => [chain, treeSize]));
  reader.close();
  const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10); // China Standard Time
  const query = `from=${day(Date.now() - 86_400_000)}&to=${day(Date.now() + 86_400_000)}`;
  for (const deadline = Date.now() + timeoutMs; ; await sleep(500)) {
    const response = await fetch(`${url}/v1/audit/totals?${query}`, { headers: { authorization: `Bearer ${auditorToken}` } });
    if (response.status !== 200) throw new Error(`GET ${url}/v1/audit/totals: ${response.status} ${(await response.text()).slice(0, 300)}`);
    const totals = (await response.json()) as Totals;
    if (totals.asOf.every(({ chain, treeSize }) => treeSize === sizes.get(chain))) return totals;
    if (Date.now() > deadline) throw new Error(`the read copy at ${url} did not index the whole ledger within ${timeoutMs / 1000} s: ${JSON.stringify(totals.asOf)}`);
  }
}

/** The read copy that lived through the kills against one built from scratch from the same ledger: equal totals, day by day. */
async function compareReadCopies(system: ChaosSystem, dir: string, auditorToken: string): Promise<{ invoices: number; equal: boolean }> {
  const survivor = await indexedTotals(system.invoicesUrl, auditorToken, system.files.ledger, 120_000);
  const fresh = await system.startFreshReadCopy(path.join(dir, 'fresh-index.db'));
  try {
    const rebuilt = await indexedTotals(fresh.url, auditorToken, system.files.ledger, 180_000);
    const invoices = (survivor.days as { invoices: number }[]).reduce((sum, row) => sum + row.invoices, 0);
    return { invoices, equal: JSON.stringify(survivor.days) === JSON.stringify(rebuilt.days) };
  } finally {
    await fresh.stop();
  }
}

/** How many times each tap key is in the ledger. */
function ledgerTapCounts(ledgerPath: string): Map<string, number> {
  const counts = new Map<string, number>();
  const reader = LedgerReader.open({ path: ledgerPath });
  try {
    for (const { chain, treeSize } of reader.chains()) {
      for (const bytes of chainEntryBytes(reader, chain, treeSize)) {
        const entry = decodeEntry(bytes);
        if (entry.type === 'tap') counts.set(tapKey(entry.tap), (counts.get(tapKey(entry.tap)) ?? 0) + 1);
      }
    }
  } finally {
    reader.close();
  }
  return counts;
}

interface Outcome {
  readonly load: LoadFigures;
  readonly ledger: { tapsInLedger: number; duplicates: number; losses: number; unaskedFor: number; neverAckedButSealed: number };
  readonly replay: LedgerCheck;
  readonly auditOk: boolean;
  readonly readCopy: { invoices: number; equal: boolean };
  readonly watcher: WatcherFigures;
  readonly problems: readonly string[];
}

function judge(load: TapLoad, system: ChaosSystem, replay: LedgerCheck, auditOk: boolean, readCopy: Outcome['readCopy'], watcher: WatcherFigures): Outcome {
  const figures = load.figures();
  const counts = ledgerTapCounts(system.files.ledger);
  let duplicates = 0;
  let losses = 0;
  let unaskedFor = 0;
  let neverAckedButSealed = 0;
  for (const [key, count] of counts) {
    if (count > 1) duplicates += count - 1;
    const fate = load.fates.get(key);
    if (fate === undefined) unaskedFor += 1;
    else if (!fate.acked) neverAckedButSealed += 1;
  }
  for (const [key, fate] of load.fates) if (fate.acked && !counts.has(key)) losses += 1;
  const problems = [
    ...(losses > 0 ? [`${losses} acknowledged taps are not in the ledger`] : []),
    ...(duplicates > 0 ? [`${duplicates} taps are in the ledger more than once`] : []),
    ...(unaskedFor > 0 ? [`${unaskedFor} taps in the ledger were never sent`] : []),
    ...(figures.tapsNeverAcked > 0 ? [`${figures.tapsNeverAcked} taps never got a 202, even retried with everything up`] : []),
    ...load.refusals.map((refusal) => `ingest refused a valid batch: ${refusal}`),
    ...replay.mismatches.map((m) => `chain ${m.chain} differs from a replay of the topic at entry ${m.index}`),
    ...replay.chainFailures,
    ...(auditOk ? [] : ['fareledger-audit-verify fails the ledger']),
    ...(readCopy.equal ? [] : ['the read copy\'s totals differ from those of one built from scratch']),
    ...watcher.failures,
    ...system.unexpectedExits,
  ];
  const ledger = { tapsInLedger: [...counts.values()].reduce((a, b) => a + b, 0), duplicates, losses, unaskedFor, neverAckedButSealed };
  return { load: figures, ledger, replay, auditOk, readCopy, watcher, problems };
}

function printOutcome(outcome: Outcome, kills: Record<string, number>): void {
  const n = (value: number) => value.toLocaleString('en');
  const { load, ledger, replay, watcher } = outcome;
  const lines = [
    `kills and restarts: ${Object.entries(kills).map(([victim, count]) => `${victim} ${count}`).join(', ')}`,
    `taps sent ${n(load.tapsSent)}, acknowledged (202) ${n(load.tapsAcked)}, never acknowledged ${n(load.tapsNeverAcked)}; requests ${n(load.requests)}, ` +
      `failed ${n(Object.values(load.failures).reduce((a, b) => a + b, 0))} (${Object.entries(load.failures).map(([status, count]) => `${status}: ${n(count)}`).join(', ') || 'none'}), taps retried ${n(load.tapsRetried)}`,
    `ledger: taps ${n(ledger.tapsInLedger)}, duplicates ${n(ledger.duplicates)}, losses ${n(ledger.losses)}, never sent ${n(ledger.unaskedFor)}; ` +
      `trips ${n(replay.tripsInLedger)}; tap records on fare.taps ${n(replay.tapsInLog)} (${n(replay.uniqueTaps)} unique); replay mismatches ${replay.mismatches.length}`,
    `chains verified: ${replay.chainFailures.length === 0 && outcome.auditOk ? 'all (fareledger-audit-verify ok)' : 'NO'}`,
    `read copy: ${n(outcome.readCopy.invoices)} invoices in the totals, ${outcome.readCopy.equal ? 'equal to' : 'DIFFERENT from'} a read copy built from scratch`,
    `watcher: ${n(watcher.polls)} polls (${n(watcher.pollsUnanswered)} unanswered), ${n(watcher.checkpointsSeen)} checkpoints, ${n(watcher.consistencyProofsVerified)} consistency proofs verified, ${watcher.failures.length} failures`,
  ];
  for (const line of lines) console.log(`chaos: ${line}`);
  for (const problem of outcome.problems) console.log(`chaos: FAILED: ${problem}`);
}

async function run(options: Options, dir: string, system: ChaosSystem): Promise<number> {
  const startedMs = Date.now();
  const elapsed = () => `+${((Date.now() - startedMs) / 1000).toFixed(1)} s`;
  const credentials = await system.credentials();
  const devices: Device[] = credentials.devices.filter((d) => d.mode !== 'taxi').map((d) => ({ deviceId: d.deviceId, operatorId: d.operatorId, mode: d.mode as 'metro' | 'bus', keyId: d.keyId, secret: Buffer.from(d.secret, 'base64url') }));
  const runId = randomBytes(3).toString('hex');
  const traffic = new CityTraffic({ network: loadSzmNetwork(), passengers: 50_000, walletAccounts: 0, rideSecondsMin: 2, rideSecondsMax: 30, seed: options.seed, runId });
  const load = new TapLoad({ ingestUrl: system.ingestUrl, devices, traffic, tapsPerS: options.rate, tapsPerRequest: 10, concurrency: 8 });
  console.log(`chaos: ${system.services().join(', ')} and a broker on ${system.kafka.brokers.join(',')}; ${options.rate} taps/s; ${options.cycles} cycles; seed ${options.seed}`);
  load.start();
  // The key is published with the first checkpoint it signs; the watcher takes it then, once, and trusts only it.
  const { keys, logName } = await publishedKeys(system.invoicesUrl);
  const watcher = new CheckpointWatcher(system.invoicesUrl, logName, keys);
  watcher.start(500);
  await sleep(2_000);
  const random = seededIntegers(options.seed);
  const kills: Record<string, number> = {};
  let brokerRestarts = 0;
  for (const [i, victim] of victimOrder(system.victims(), options.cycles, random).entries()) {
    await sleep(1_000 + random(3_000));
    const brokerKill = victim === 'broker' && brokerRestarts++ % 2 === 1;
    const label = victim === 'broker' ? `broker (${brokerKill ? 'SIGKILL' : 'SIGTERM'})` : victim;
    const { downMs } = await system.killAndRestart(victim, brokerKill).catch((error: Error) => {
      throw new Error(`cycle ${i + 1}: ${label} did not start again: ${error.message}`);
    });
    kills[label] = (kills[label] ?? 0) + 1;
    const figures = load.figures();
    console.log(`chaos: cycle ${i + 1}/${options.cycles} ${elapsed()}: ${victim === 'broker' ? 'restarted' : 'SIGKILLed'} ${label}, back in ${(downMs / 1000).toFixed(1)} s; ` +
      `${figures.tapsAcked.toLocaleString('en')} of ${figures.tapsSent.toLocaleString('en')} taps acknowledged so far`);
  }
  await sleep(3_000);
  const loadFigures = await load.finish(120_000);
  console.log(`chaos: load stopped ${elapsed()}: ${loadFigures.tapsAcked.toLocaleString('en')} taps acknowledged; waiting until all is sealed`);
  const { ends, drainedInS } = await drained(system, 180_000);
  await watcher.poll();
  const watcherFigures = await watcher.finish();
  const replay = checkLedger(system.files.ledger, await readKafkaTaps(system.kafka.brokers, 'fare.taps', { untilOffsets: ends }));
  const audit = auditLedgerFile(system.files.ledger, keys);
  const readCopy = await compareReadCopies(system, dir, credentials.auditor.token);
  const outcome = judge(load, system, replay, audit.ok, readCopy, watcherFigures);
  console.log(`chaos: sealed everything ${drainedInS.toFixed(1)} s after the load stopped; checked ${elapsed()}`);
  printOutcome(outcome, kills);
  const reportPath = path.join(repoRoot, 'load-tests', 'reports', `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify({ options, kills, ...outcome, replay: { ...outcome.replay } }, null, 1)}\n`);
  console.log(`chaos: ${outcome.problems.length === 0 ? 'PASSED' : 'FAILED'}; report ${path.relative(repoRoot, reportPath)}; data ${dir} (removed)`);
  return outcome.problems.length === 0 ? 0 : 1;
}

async function publishedKeys(invoicesUrl: string): Promise<{ keys: VerifierKey[]; logName: string }> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
    const { keys } = await json<{ keys: { verifierKey: string }[] }>(`${invoicesUrl}/v1/keys`);
    if (keys.length === 0) continue;
    const { logName } = await json<{ logName: string }>(`${invoicesUrl}/v1/chains`);
    return { keys: keys.map((key) => parseVerifierKey(key.verifierKey)), logName };
  }
  throw new Error('no block sealed within 60 s of the load starting: GET /v1/keys lists no key');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(path.join(tmpdir(), 'fareledger-chaos-'));
  let system: ChaosSystem | undefined;
  const cleanUp = async () => {
    await system?.stop().catch((error: Error) => console.error(`chaos: stopping: ${error.message}`));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  try {
    system = await ChaosSystem.start({ dir, batchers: options.batchers, kafkaPort: options.kafkaPort });
    return await run(options, dir, system);
  } catch (error) {
    console.error(`chaos: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    await cleanUp();
  }
}

process.exitCode = await main();
