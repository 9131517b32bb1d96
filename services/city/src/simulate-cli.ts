import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSzmNetwork } from '@fareledger/domain/node-data';
import { type DemoCredentials, readCredentials } from './credentials.js';
import { CitySimulator, type SimulatorCounts } from './simulator.js';

// `npm run simulate -- --rate <taps/s> --minutes <m>`: the city simulator against a running
// system (`npm start`, or the Kafka topology), as devices would post: signed taps through
// the HTTP door. Progress on stderr, a summary on stdout; exit 0 when every tap was
// accepted, 1 when some were refused, 2 on a usage error.

const usage = `usage: npm run simulate -- --rate <taps/s> --minutes <m> [--url <base URL>] [--invoices-url <base URL>] [--credentials <file>] [--passengers <n>] [--time-scale <n>] [--seed <n>]

  --rate          taps per second, all modes together (default 200)
  --minutes       how long to run (default 1); may be fractional
  --url           the system's base URL (default http://127.0.0.1:8080, npm start's)
  --invoices-url  the wallet and admin doors, when not on --url (npm run start:kafka: the invoice-audit port)
  --credentials   demo credentials written by npm start (default data/credentials.json)
  --passengers    distinct accounts (default 600 per tap a second, at least 2000; the first five are the demo wallets)
  --time-scale    ride-time compression: a 30-minute ride taps out after 30·60/n s (default 60)
  --seed          random seed (default: from the clock)
`;

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n\n${usage}`);
  process.exit(2);
}

function positive(value: string | undefined, name: string, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isSafeInteger(n))) fail(`${name} must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(value)}`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      rate: { type: 'string' }, minutes: { type: 'string' }, url: { type: 'string' }, 'invoices-url': { type: 'string' }, credentials: { type: 'string' },
      passengers: { type: 'string' }, 'time-scale': { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (parsed.help === true) {
  process.stdout.write(usage);
  process.exit(0);
}
const rate = positive(parsed.rate, '--rate', 200);
const minutes = positive(parsed.minutes, '--minutes', 1, false);
function baseUrl(value: string, name: string): string {
  const url = value.replace(/\/$/, '');
  if (!/^https?:\/\/[^\s/?#]+$/.test(url)) fail(`${name} must be a base URL such as http://127.0.0.1:8080, not ${JSON.stringify(value)}`);
  return url;
}
const url = baseUrl(parsed.url ?? 'http://127.0.0.1:8080', '--url');
const invoicesUrl = baseUrl(parsed['invoices-url'] ?? url, '--invoices-url');
const credentialsPath = path.resolve(parsed.credentials ?? 'data/credentials.json');
let credentials: DemoCredentials;
try {
  credentials = readCredentials(credentialsPath);
} catch (error) {
  fail(`${(error as Error).message}\n(npm start writes the credentials file on its first start)`);
}

const simulator = new CitySimulator({
  url, invoicesUrl, credentials, network: loadSzmNetwork(), rate,
  ...(parsed.passengers === undefined ? {} : { passengers: positive(parsed.passengers, '--passengers', 1) }),
  ...(parsed['time-scale'] === undefined ? {} : { timeScale: positive(parsed['time-scale'], '--time-scale', 60) }),
  ...(parsed.seed === undefined ? {} : { seed: positive(parsed.seed, '--seed', 1) }),
});
const durationMs = minutes * 60_000;
const startedAtMs = Date.now();
simulator.start();
const progress = setInterval(() => showProgress(simulator.counts, Date.now() - startedAtMs), process.stderr.isTTY ? 250 : 10_000);
let stopping = false;
const finish = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(progress);
  const counts = await simulator.stop();
  showProgress(counts, Math.min(Date.now() - startedAtMs, durationMs));
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stdout.write(await summary(counts, (Date.now() - startedAtMs) / 1000));
  process.exitCode = Object.keys(counts.refused).length === 0 ? 0 : 1;
};
const timer = setTimeout(() => void finish(), durationMs);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearTimeout(timer);
    void finish();
  });
}

function showProgress(counts: SimulatorCounts, elapsedMs: number): void {
  const share = Math.min(1, elapsedMs / durationMs);
  const width = 30;
  const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
  const refused = Object.values(counts.refused).reduce((sum, n) => sum + n, 0);
  const line = `[${bar}] ${clock(elapsedMs)}/${clock(durationMs)}  ${counts.accepted.toLocaleString('en-US')} taps accepted (${Math.round(counts.accepted / Math.max(1, elapsedMs / 1000))}/s), ${refused} refused, ${counts.refunds.sealed} refunds`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function summary(counts: SimulatorCounts, seconds: number): Promise<string> {
  const { journeys, refunds } = counts;
  const wallet = credentials.wallets[0];
  let latest = '';
  if (wallet !== undefined) {
    const response = await fetch(`${invoicesUrl}/v1/accounts/${wallet.account}/invoices?limit=1`, { headers: { authorization: `Bearer ${wallet.token}` } }).catch(() => undefined);
    const page = response?.ok === true ? ((await response.json()) as { items?: { number: string }[] }) : undefined;
    const number = page?.items?.[0]?.number;
    if (number !== undefined) latest = `\n  latest invoice of ${wallet.account}: ${invoicesUrl}/v1/invoices/${number} (bearer token in ${credentialsPath})`;
  }
  const refused = Object.entries(counts.refused).map(([status, n]) => `${n} (${status})`).join(', ') || 'none';
  return [
    `simulate: ${seconds.toFixed(0)} s against ${url}`,
    `  taps posted ${counts.posted.toLocaleString('en-US')}, accepted ${counts.accepted.toLocaleString('en-US')} (${(counts.accepted / seconds).toFixed(0)}/s), refused ${refused}`,
    `  journeys: metro ${journeys.metro} (${journeys.transfers} with a transfer, ${journeys.incomplete} never tapped out), bus ${journeys.bus}, taxi ${journeys.taxi}${journeys.unstarted > 0 ? `; ${journeys.unstarted} ticks found no passenger free (raise --passengers)` : ''}`,
    `  refunds: ${refunds.requested} requested, ${refunds.sealed} sealed as red-letter invoices, ${refunds.failed} failed${latest}`,
    '',
  ].join('\n');
}
