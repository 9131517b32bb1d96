import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cityFiles } from '../services/city/src/config.js';
import { type DemoCredentials, type DemoDevice, readCredentials } from '../services/city/src/credentials.js';
import { type KnownData, startTrickle, type Trickle } from './fuzz-trickle.js';
import { ensureVenv, failureSection, fuzzChecks, runSchemathesis, type SchemathesisReport, stopCurrentRun } from './fuzz-schemathesis.js';
import { positiveIntArg, repoRoot, usageError } from './processes.js';
import { startSystem, type SystemUnderTest } from './system.js';

// `npm run fuzz -- [--cases <n>]`: schema fuzzing with schemathesis against the /openapi.json
// of ingest and of invoice-audit, each its own process on real Kafka (npm run start:kafka's
// topology, started here on a fresh data directory), in every credential mode: without
// credentials, and with a device's signature, a wallet token, the auditor token and the
// admin token. A trickle of real signed taps runs before and during, so the wallet and audit
// routes have sealed data to return. The goal: no 5xx, and every answer as its operation
// documents it. Exit 0 with no failure, 1 with failures (schemathesis's reproductions
// printed), 2 on a usage error. Reports: load-tests/reports/fuzz-<timestamp>/.

const name = 'npm run fuzz';
const usage = `usage: npm run fuzz -- [--cases <n>] [--seed <n>] [--out <dir>]

  --cases  generated test cases to aim for across all runs (default 2000), split evenly over
           every operation of every run (schemathesis --max-examples)
  --seed   schemathesis's seed for every run (default: a random one each, printed in the reports)
  --out    the reports' directory (default load-tests/reports/fuzz-<timestamp>)
`;
const { values: args } = (() => {
  try {
    return parseArgs({ options: { cases: { type: 'string', default: '2000' }, seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (error) {
    return usageError(name, `${(error as Error).message}\n\n${usage}`);
  }
})();
if (args.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const casesWanted = positiveIntArg(name, args.cases, '--cases');
if (args.seed !== undefined && !/^[0-9]{1,40}$/.test(args.seed)) usageError(name, '--seed must be a non-negative integer');
const startedAt = new Date();
const outDir = path.resolve(args.out ?? path.join(repoRoot, 'load-tests/reports', `fuzz-${startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}`));
const runId = `fuzz-${startedAt.getTime().toString(36)}`;
// A run's bound: schemathesis answers a case in milliseconds here; a case that waits is bounded by the hooks (waitMs ≤ 1 s) and --request-timeout.
const runTimeoutMsBase = 120_000;
const runTimeoutMsPerCase = 1_000;

type Service = 'ingest' | 'invoice-audit';
type Mode = 'none' | 'device' | 'wallet' | 'auditor' | 'admin';
/** The credential modes of each service: its own doors, and none. */
const modesOf: Readonly<Record<Service, readonly Mode[]>> = { ingest: ['none', 'device', 'admin'], 'invoice-audit': ['none', 'wallet', 'auditor', 'admin'] };
/** The security schemes of the API documents each mode's credentials satisfy (an auditor token opens the wallet door too). */
const schemesOf: Readonly<Record<Mode, readonly string[]>> = { none: [], device: ['deviceSignature'], wallet: ['walletToken'], auditor: ['walletToken', 'auditorToken'], admin: ['adminToken'] };

interface PlannedRun {
  readonly service: Service;
  readonly mode: Mode;
  readonly schemaUrl: string;
  readonly operations: number;
  /** Operations (`METHOD /path`) this mode's credentials open. */
  readonly opened: readonly string[];
}

interface RunResult extends PlannedRun {
  readonly maxExamples: number;
  readonly report: SchemathesisReport;
  readonly logPath: string;
  /**
   * Operations the mode's credentials open that answered 401 to a request carrying them
   * (tallied by the hooks): the credentials were refused (a signature made wrong, a replay),
   * so those cases tested the door only. A failure: schemathesis would only warn.
   */
  readonly credentialsRefused: readonly string[];
}

let system: SystemUnderTest | undefined;
let trickle: Trickle | undefined;
let dataDir: string | undefined;
let cleaning: Promise<void> | undefined;
// Once, however many ways lead here (the end, a failure, Ctrl-C while a run is failing because of it).
const cleanUp = (): Promise<void> => (cleaning ??= (async () => {
  stopCurrentRun();
  await trickle?.stop();
  await system?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
})());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${name}: ${signal}: stopping schemathesis and the system\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const began = Date.now();
  await ensureVenv(log);
  mkdirSync(outDir, { recursive: true });
  dataDir = mkdtempSync(path.join(tmpdir(), 'fareledger-fuzz-'));
  log(`starting the system on Kafka (npm run start:kafka's topology) on ${dataDir}`);
  system = await startSystem({ kafka: true, dataDir, runId, batchers: 1 });
  const credentials = readCredentials(cityFiles(dataDir).credentials);
  trickle = await startTrickle(system, credentials, runId);
  log('trickle of real taps started; waiting for sealed invoices');
  const known = await trickle.sealed();
  log(`  ${known.invoices.length} invoices of ${known.account}, chains ${known.chains.join(', ')} (tree sizes up to ${Math.max(...known.sizes)})`);
  const plan = await planRuns(system);
  const bearers = { wallet: trickle.wallet.token, auditor: credentials.auditor.token, admin: credentials.adminToken };
  const results = await runAll(plan, { gate: deviceOfMode(credentials), bearers, known }, dataDir);
  await trickle.stop();
  const tapCounts = { ...trickle.counts };
  log('stopping the system');
  await cleanUp();
  const failed = results.filter(isFailed);
  writeSummary(results, tapCounts, (Date.now() - began) / 1000);
  for (const result of failed) {
    log(`\n--- ${result.service}, credentials ${result.mode}: schemathesis's account (${path.relative(process.cwd(), result.logPath)}) ---\n${failureSection(result.logPath)}`);
    if (result.credentialsRefused.length > 0) log(`the ${result.mode} credentials were answered 401 by: ${result.credentialsRefused.join(', ')}`);
  }
  if (tapCounts.refused + tapCounts.failed > 0) log(`\nthe trickle of real taps was refused or unanswered ${tapCounts.refused + tapCounts.failed} times`);
  return failed.length > 0 || tapCounts.refused + tapCounts.failed > 0 ? 1 : 0;
}

async function planRuns(sut: SystemUnderTest): Promise<PlannedRun[]> {
  const plan: PlannedRun[] = [];
  for (const [service, url] of [['ingest', sut.ingestUrl], ['invoice-audit', sut.invoicesUrl]] as const) {
    const schemaUrl = `${url}/openapi.json`;
    if (new URL(schemaUrl).hostname !== '127.0.0.1') throw new Error(`${service} is not on 127.0.0.1 (${url}): the fuzzing targets this machine only`);
    const response = await fetch(schemaUrl);
    if (!response.ok) throw new Error(`GET ${schemaUrl}: ${response.status}`);
    const { paths } = (await response.json()) as { paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>> };
    const operations = Object.entries(paths).flatMap(([route, methods]) => Object.entries(methods).filter(([m]) => httpMethods.has(m)).map(([m, operation]) => ({
      label: `${m.toUpperCase()} ${route}`, schemes: (operation.security ?? []).flatMap((requirement) => Object.keys(requirement)),
    })));
    for (const mode of modesOf[service]) {
      const opened = operations.filter((operation) => operation.schemes.some((scheme) => schemesOf[mode].includes(scheme))).map((operation) => operation.label);
      plan.push({ service, mode, schemaUrl, operations: operations.length, opened });
    }
  }
  return plan;
}

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

interface HookInputs {
  readonly gate: DemoDevice;
  readonly bearers: Readonly<Record<'wallet' | 'auditor' | 'admin', string>>;
  readonly known: KnownData;
}

/**
 * Every run in turn. The cases left are spread over the operations left, so an operation
 * whose inputs run out early (no parameters: one case) leaves its share to the later runs.
 */
async function runAll(plan: readonly PlannedRun[], inputs: HookInputs, contextDir: string): Promise<RunResult[]> {
  const results: RunResult[] = [];
  let casesLeft = casesWanted;
  let operationsLeft = plan.reduce((sum, run) => sum + run.operations, 0);
  for (const [i, run] of plan.entries()) {
    const maxExamples = Math.max(1, Math.round(casesLeft / operationsLeft));
    const stem = `${run.service}-${run.mode}`;
    const contextPath = path.join(contextDir, `${stem}.context.json`);
    const refusedPath = path.join(contextDir, `${stem}.refused.json`);
    writeFileSync(contextPath, JSON.stringify({ ...hookContext(run.mode, inputs), refusedPath }), { mode: 0o600 });
    log(`[${i + 1}/${plan.length}] ${run.service}, credentials ${run.mode}: ${run.operations} operations × up to ${maxExamples} cases`);
    const logPath = path.join(outDir, `${stem}.log`);
    const report = await runSchemathesis({
      schemaUrl: run.schemaUrl, maxExamples, contextPath, reportPath: path.join(outDir, `${stem}.json`), logPath,
      timeoutMs: runTimeoutMsBase + runTimeoutMsPerCase * maxExamples * run.operations, ...(args.seed === undefined ? {} : { seed: args.seed }),
    });
    const refused = existsSync(refusedPath) ? Object.keys(JSON.parse(readFileSync(refusedPath, 'utf8')) as Record<string, number>) : [];
    const result = { ...run, maxExamples, report, logPath, credentialsRefused: refused.filter((operation) => run.opened.includes(operation)) };
    log(`  ${report.cases} cases in ${report.runningTimeS.toFixed(1)} s: ${isFailed(result) ? `FAILED (${describeFailures(result)})` : 'no failures'}`);
    results.push(result);
    casesLeft = Math.max(0, casesLeft - report.cases);
    operationsLeft -= run.operations;
  }
  return results;
}

/** What the hooks read (load-tests/fuzz/fareledger_hooks.py): the mode's credentials and the data that exists. */
function hookContext(mode: Mode, { gate, bearers, known }: HookInputs): Record<string, unknown> {
  return {
    mode, known,
    ...(mode === 'device' ? { device: gate } : {}),
    ...(mode === 'wallet' || mode === 'auditor' || mode === 'admin' ? { bearer: bearers[mode] } : {}),
  };
}

/** The device whose signature the device mode uses: a metro gate, as the trickle's. */
function deviceOfMode(credentials: DemoCredentials): DemoDevice {
  const gate = credentials.devices.find((d) => d.mode === 'metro');
  if (gate === undefined) throw new Error('the demo credentials have no metro gate');
  return gate;
}

function isFailed({ report, credentialsRefused }: RunResult): boolean {
  return Object.keys(report.failuresByCheck).length > 0 || report.errors.length > 0 || report.exitCode !== 0 || credentialsRefused.length > 0;
}

function describeFailures({ report, credentialsRefused }: RunResult): string {
  const parts = Object.entries(report.failuresByCheck).map(([check, count]) => `${check} ×${count}`);
  for (const error of report.errors) parts.push(`error "${error.title}" ×${error.count}`);
  if (credentialsRefused.length > 0) parts.push(`credentials refused by ${credentialsRefused.length} operations`);
  return parts.length === 0 ? `schemathesis exited ${report.exitCode}` : parts.join(', ');
}

/** The table on stdout and in summary.md (with summary.json beside it). */
function writeSummary(results: readonly RunResult[], taps: Trickle['counts'], elapsedS: number): void {
  const header = ['service', 'credentials', 'operations', 'cases', 'errors', 'credentials refused', ...fuzzChecks];
  const rows = results.map((r) => [
    r.service, r.mode, String(r.report.operations), String(r.report.cases), String(r.report.errors.reduce((sum, e) => sum + e.count, 0)), String(r.credentialsRefused.length),
    ...fuzzChecks.map((check) => String(r.report.failuresByCheck[check] ?? 0)),
  ]);
  const total = (column: number) => String(rows.reduce((sum, row) => sum + Number(row[column]), 0));
  const totals = ['all', '', ...header.slice(2).map((_, i) => total(2 + i))];
  rows.push(totals);
  const other = results.flatMap((r) => Object.entries(r.report.failuresByCheck).filter(([check]) => !(fuzzChecks as readonly string[]).includes(check)).map(([check, n]) => `${r.service}/${r.mode}: ${check} ×${n}`));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  const table = [line(header), `|${widths.map((w, i) => (i < 2 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
  const facts = `${totals[3]} cases against ${results.length} runs in ${Math.round(elapsedS)} s (asked for ${casesWanted}); real taps acknowledged ${taps.acked}, refused ${taps.refused}, unanswered ${taps.failed}`;
  log(`\n${table}\n\n${facts}${other.length > 0 ? `\nother failures: ${other.join('; ')}` : ''}`);
  writeFileSync(path.join(outDir, 'summary.md'), `# npm run fuzz, ${startedAt.toISOString()}\n\n${table}\n\n${facts}\n`);
  writeFileSync(path.join(outDir, 'summary.json'), `${JSON.stringify({ startedAt: startedAt.toISOString(), casesWanted, elapsedS, taps, runs: results.map(({ service, mode, maxExamples, report, credentialsRefused }) => ({ service, mode, maxExamples, ...report, credentialsRefused })) }, null, 2)}\n`);
  log(`reports: ${path.relative(process.cwd(), outDir)}`);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

try {
  process.exit(await main());
} catch (error) {
  process.stderr.write(`${name}: ${(error as Error).stack ?? String(error)}\n`);
  await cleanUp();
  process.exit(1);
}
