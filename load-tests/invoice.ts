import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatInvoiceNumber, type Invoice } from '@fareledger/invoice';
import autocannon from 'autocannon';
import { chain, pricedCityEntries, TestLedger } from '../services/invoice-audit/test/fixture.js';
import { type Child, cpuTimeUs, positiveIntArg, repoRoot, startChild } from './processes.js';

// Invoice service figures on this machine, in one run, side by side:
//   static    hono on @hono/node-server answering a fixed JSON body of an invoice's size: the HTTP ceiling
//   fetch     GET /v1/invoices/{number} with a wallet token, invoices issued and cached (goal ≥ 15,000/s, p99 ≤ 20 ms)
//   issue     the same with the cache off: every fetch builds the invoice and its proofs from the ledger
//   verify    verifyInvoice (the CLI's library, node:crypto Ed25519 and SHA-256) of real invoices, one core,
//             beside the raw limit: the same Ed25519 verification and SHA-256 hashes alone (goal ≥ 0.8),
//             in a process of its own (verify-bench.ts)
// The ledger is a real one: city taps priced by the trip builder, sealed by the LedgerWriter.
//
//   npm run load:invoice -- [--seconds 10] [--connections 50] [--taps 60000] [--accounts 2000] [--profile <dir>]

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    taps: { type: 'string', default: '60000' },
    accounts: { type: 'string', default: '2000' },
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run load:invoice -- [--seconds 10] [--warmup 2] [--connections 50] [--taps 60000] [--accounts 2000] [--profile <dir>]');
  process.exit(0);
}
const seconds = positiveInt(args.seconds, '--seconds');
const warmupSeconds = positiveInt(args.warmup, '--warmup');
const connections = positiveInt(args.connections, '--connections');
const tapCount = positiveInt(args.taps, '--taps');
const accountCount = positiveInt(args.accounts, '--accounts');
const nodeArgs = args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`];
const adminToken = randomBytes(32).toString('base64url');

function positiveInt(text: string, name: string): number {
  return positiveIntArg('load:invoice', text, name);
}

interface Fetchable {
  readonly number: string;
  readonly token: string;
}

interface HttpFigures {
  readonly scenario: string;
  readonly requestsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuUsPerRequest: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'load-invoice-'));
  try {
    const trips = buildLedger(dir);
    console.log(`load:invoice: a ledger of ${tapCount.toLocaleString('en-US')} taps, ${trips.length.toLocaleString('en-US')} trips of ${accountCount} accounts; ${seconds} s per scenario after ${warmupSeconds} s warm-up, ${connections} connections`);
    const results: HttpFigures[] = [];
    let sample: Invoice[] = [];
    const echo = await startChild('load-tests/echo-server.ts', { ECHO_STATIC_BYTES: '5000' }, 'echo listening', { nodeArgs });
    try {
      results.push(await measure('static (ceiling)', echo, () => ({ path: '/static' })));
    } finally {
      await echo.stop();
    }
    for (const cache of ['cached', 'uncached'] as const) {
      const service = await startService(dir, cache);
      try {
        const fetchable = await walletRequests(service, trips);
        if (cache === 'cached') {
          ledgerVerifierKey = ((await (await fetch(`${service.url}/v1/keys`)).json()) as { keys: { verifierKey: string }[] }).keys[0]!.verifierKey;
          sample = await warm(service, fetchable);
          results.push(await measure('fetch (cached)', service, pick(fetchable)));
        } else {
          results.push(await measure('issue (uncached)', service, pick(fetchable)));
        }
      } finally {
        await service.stop();
      }
    }
    const verify = verifications(sample, dir);
    report(results, verify);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The chain's trips with their accounts and invoice numbers; the ledger file is in `dir`. */
function buildLedger(dir: string): { number: string; account: string }[] {
  const entries = pricedCityEntries(tapCount, undefined, accountCount);
  const ledger = new TestLedger(path.join(dir, 'ledger.db'));
  ledger.sealAll(entries, 4_096);
  ledger.close();
  return entries.flatMap((entry, index) => (entry.type === 'trip' ? [{ number: formatInvoiceNumber(chain, index, entry.trip.endMs), account: entry.trip.account }] : []));
}

function startService(dir: string, cache: 'cached' | 'uncached'): Promise<Child> {
  return startChild('services/invoice-audit/src/main.ts', {
    INVOICE_PORT: '0', INVOICE_ADMIN_TOKEN: adminToken, LEDGER_PATH: path.join(dir, 'ledger.db'),
    INVOICE_INDEX_PATH: path.join(dir, 'index.db'), INVOICE_ACCESS_PATH: path.join(dir, 'access.db'), INVOICE_ADJUSTMENTS_PATH: path.join(dir, 'adjustments.db'),
    INVOICE_AUDIT_KEY_PATH: path.join(dir, 'audit.key'), INVOICE_DEV_CREATE_KEY: 'true', INVOICE_CACHE_ENTRIES_MAX: cache === 'cached' ? '100000' : '0',
    LOG_LEVEL: 'info',
  }, 'invoice-audit listening', { nodeArgs, timeoutMs: 120_000 });
}

/** A wallet token per account (issued once; the access file is kept between the two runs), and every trip's number. */
let tokens: Map<string, string> | undefined;
async function walletRequests(service: Child, trips: readonly { number: string; account: string }[]): Promise<Fetchable[]> {
  if (tokens === undefined) {
    tokens = new Map();
    for (const account of new Set(trips.map((trip) => trip.account))) {
      const response = await fetch(`${service.url}/v1/admin/tokens`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'wallet', account }) });
      tokens.set(account, ((await response.json()) as { token: string }).token);
    }
  }
  return trips.map((trip) => ({ number: trip.number, token: tokens!.get(trip.account)! }));
}

/** Fetches every invoice once (as wallets do at tap-out), so the cached scenario measures serving; returns some for the verifier. */
async function warm(service: Child, fetchable: readonly Fetchable[]): Promise<Invoice[]> {
  const all: Invoice[] = [];
  for (let at = 0; at < fetchable.length; at += 64) {
    const answers = await Promise.all(fetchable.slice(at, at + 64).map(async ({ number, token }) => {
      const response = await fetch(`${service.url}/v1/invoices/${number}`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) throw new Error(`warm-up: ${number} answered ${response.status}`);
      return (await response.json()) as Invoice;
    }));
    all.push(...answers);
  }
  // Invoices from all along the log: a later trip's proof is against a larger tree, so a longer path.
  const step = Math.max(1, Math.floor(all.length / 500));
  return all.filter((_, i) => i % step === 0).slice(0, 500);
}

function pick(fetchable: readonly Fetchable[]) {
  let next = 0;
  return () => {
    const { number, token } = fetchable[(next = (next + 7919) % fetchable.length)]!;
    return { path: `/v1/invoices/${number}`, headers: { authorization: `Bearer ${token}` } };
  };
}

type Request = { path: string; headers?: Record<string, string> };

async function measure(scenario: string, server: Child, request: () => Request): Promise<HttpFigures> {
  const options = {
    url: server.url, connections, pipelining: 1,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, method: 'GET', ...request() }) }],
  } as unknown as autocannon.Options;
  await autocannon({ ...options, duration: warmupSeconds });
  const cpuBeforeUs = cpuTimeUs(server);
  const result = await autocannon({ ...options, duration: seconds });
  const ok = result['2xx'];
  const figures = {
    scenario, requestsPerS: ok / result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99,
    serverCpuUsPerRequest: (cpuTimeUs(server) - cpuBeforeUs) / Math.max(1, ok), non2xx: result.non2xx, errors: result.errors + result.timeouts,
  };
  console.log(`  ${scenario.padEnd(18)} ${Math.round(figures.requestsPerS).toLocaleString('en-US').padStart(8)} req/s  p99 ${figures.p99Ms} ms  ${figures.serverCpuUsPerRequest.toFixed(0)} µs server CPU/request`);
  return figures;
}

interface VerifyFigures {
  readonly verificationsPerS: number;
  readonly limitPerS: number;
  readonly hashesPerInvoice: number;
}

/** The verify figures, measured in a process of their own (verify-bench.ts) on the sample written to `dir`. */
function verifications(sample: readonly Invoice[], dir: string): VerifyFigures {
  const samplePath = path.join(dir, 'verify-sample.json');
  writeFileSync(samplePath, JSON.stringify({ key: ledgerVerifierKey, sample }));
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'load-tests/verify-bench.ts'), samplePath], { cwd: repoRoot, encoding: 'utf8' });
  return JSON.parse(output) as VerifyFigures;
}

/** The ledger's verifier key, as /v1/keys publishes it. */
let ledgerVerifierKey = '';

function report(results: readonly HttpFigures[], verify: VerifyFigures): void {
  console.table(results.map((r) => ({
    scenario: r.scenario, 'req/s': Math.round(r.requestsPerS), 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, 'server µs/req': Math.round(r.serverCpuUsPerRequest),
    'x ceiling': Number((r.requestsPerS / results[0]!.requestsPerS).toFixed(2)), non2xx: r.non2xx, errors: r.errors,
  })));
  const ratio = verify.verificationsPerS / verify.limitPerS;
  console.log(`verify: ${Math.round(verify.verificationsPerS).toLocaleString('en-US')} invoices/s on one thread; raw limit (1 Ed25519 verification + ${verify.hashesPerInvoice.toFixed(1)} SHA-256, node:crypto) ${Math.round(verify.limitPerS).toLocaleString('en-US')}/s: ${ratio.toFixed(2)} of the limit`);
  const fetch = results.find((r) => r.scenario === 'fetch (cached)')!;
  const verdict = (met: boolean) => (met ? 'met     ' : 'NOT MET ');
  console.log(`${verdict(fetch.requestsPerS >= 15_000 && fetch.p99Ms <= 20)} invoice fetch ≥ 15,000/s with p99 ≤ 20 ms: ${Math.round(fetch.requestsPerS).toLocaleString('en-US')}/s, p99 ${fetch.p99Ms} ms`);
  console.log(`${verdict(ratio >= 0.8)} verification ≥ 0.8 of the raw limit: ${ratio.toFixed(2)}`);
}

await main();
