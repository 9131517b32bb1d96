import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSzmNetwork } from '@fareledger/domain/node-data';
import { brokerAnswers, ensureTopics, fareTopics, readKafkaConfig, startKafka, stopKafka, warmUpCoordinators } from '@fareledger/infra/kafka';
import { cityFiles } from './config.js';
import { adminTokenOf, ensureCredentials } from './credentials.js';
import { CitySimulator } from './simulator.js';

// `npm run start:kafka`: the production topology on this machine (docs/deploy.md). The
// broker from infra/ (started if none answers, stopped at the end if started here), then
// each service as its own process on its own port: ingest, N batchers in one consumer
// group splitting fare.taps's partitions, invoice-audit. Demo credentials as npm start
// makes them; the simulator unless --no-sim. Ctrl-C stops the simulator, then the
// processes in the order taps flow, then the broker.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const usage = `usage: npm run start:kafka [-- --batchers <n>] [--no-sim] [--rate <taps/s>]

  --batchers   batcher processes in the consumer group (default 2)
  --no-sim     no simulator
  --rate       taps per second of the simulator (default 200)

  Ports: ingest INGEST_PORT (8081), invoice-audit INVOICE_PORT (8083), batchers 8090, 8091, ...
  (0 for any: a free one, printed; BATCHER_PORT=0 for all the batchers)
  Files under DATA_DIR (default data/kafka: not the embedded mode's data/, whose tap log is another).
`;

const { values: args } = parseArgs({ options: { batchers: { type: 'string' }, 'no-sim': { type: 'boolean' }, rate: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (args.help === true) {
  process.stdout.write(usage);
  process.exit(0);
}
const batcherCount = Number(args.batchers ?? '2');
const rate = Number(args.rate ?? '200');
if (!Number.isSafeInteger(batcherCount) || batcherCount < 1 || batcherCount > 16 || !Number.isSafeInteger(rate) || rate < 1) {
  process.stderr.write(`start:kafka: --batchers must be 1..16 and --rate a positive integer\n\n${usage}`);
  process.exit(2);
}

const dataDir = path.resolve(process.env.DATA_DIR ?? 'data/kafka');
const files = cityFiles(dataDir);
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const kafka = readKafkaConfig();
const brokers = process.env.KAFKA_BROKERS ?? kafka.brokers.join(',');
const adminToken = adminTokenOf(files.credentials);
const ingestPort = process.env.INGEST_PORT ?? '8081';
const invoicePort = process.env.INVOICE_PORT ?? '8083';
const shared = {
  TAP_LOG: 'kafka', KAFKA_BROKERS: brokers, LEDGER_PATH: files.ledger, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};

interface Service {
  readonly name: string;
  readonly process: ChildProcess;
  readonly url: Promise<string>;
}

/** A service as its own process, its log lines passed through; resolves its URL from its "listening" line. */
function startService(name: string, entry: string, env: Record<string, string>, readyMsg: string): Service {
  const child = spawn(process.execPath, ['--import', tsx, path.join(repoRoot, entry)], {
    // A process group of its own: Ctrl-C reaches this script only, which stops the services in order.
    cwd: repoRoot, env: { ...process.env, ...shared, ...env }, stdio: ['ignore', 'pipe', 'inherit'], detached: true,
  });
  let resolveUrl: (url: string) => void;
  let rejectUrl: (error: Error) => void;
  const url = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.includes(readyMsg)) resolveUrl((JSON.parse(line) as { url: string }).url);
  });
  child.once('exit', (code) => rejectUrl(new Error(`${name} exited with ${code}`)));
  url.catch(() => {}); // awaited where it matters; a service exiting while others start is reported there
  return { name, process: child, url };
}

function stopService(service: Service): Promise<void> {
  if (service.process.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    service.process.once('exit', () => resolve());
    service.process.kill('SIGTERM');
  });
}

const startedBroker = (await brokerAnswers(brokers.split(','))) ? false : (await startKafka(kafka, (line) => console.log(`[kafka] ${line}`))).started;
// The topics the services are set to (the defaults, which start creates, or others), as start makes them; never changed if they exist.
const topics = { taps: process.env.KAFKA_TOPIC_TAPS ?? 'fare.taps', blocks: process.env.KAFKA_TOPIC_BLOCKS ?? 'fare.blocks' };
const ensured = await ensureTopics(brokers.split(','), fareTopics(kafka, topics));
for (const { topic, partitions, wanted } of ensured.mismatched) console.warn(`start:kafka: ${topic} has ${partitions} partitions, not ${wanted}; the chains follow the topic`);
if (!startedBroker) await warmUpCoordinators(brokers.split(','));
const services: Service[] = [];
let simulator: CitySimulator | undefined;
let stopping = false;
const stopAll = async (code: number) => {
  if (stopping) return;
  stopping = true;
  if (simulator !== undefined) console.log(`simulator: ${JSON.stringify(await simulator.stop())}`);
  // In the order taps flow: ingest, then the batchers together (each seals and publishes what it read), then invoice-audit.
  const stage = (names: (name: string) => boolean) => Promise.all(services.filter((service) => names(service.name)).map(stopService));
  await stage((name) => name === 'ingest');
  await stage((name) => name.startsWith('batcher-'));
  await stage((name) => name === 'invoice-audit');
  if (startedBroker) await stopKafka(kafka, (line) => console.log(`[kafka] ${line}`));
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAll(0));
// Leaving by any other way (a crash here): no service outlives the script in its own process group.
process.on('exit', () => {
  for (const service of services) if (service.process.exitCode === null) service.process.kill('SIGKILL');
});

try {
  services.push(startService('ingest', 'services/ingest/src/main.ts', { INGEST_PORT: ingestPort, INGEST_ADMIN_TOKEN: adminToken, INGEST_DEVICES_PATH: files.devices }, 'ingest listening'));
  for (let i = 0; i < batcherCount; i++) {
    services.push(startService(`batcher-${i}`, 'services/batcher/src/main.ts', {
      BATCHER_PORT: process.env.BATCHER_PORT === '0' ? '0' : String(8090 + i), LEDGER_SIGNING_KEY_PATH: files.signingKey, BATCHER_DEV_CREATE_KEY: i === 0 ? 'true' : 'false',
    }, 'batcher running'));
    // The first creates the dev signing key; the others load it.
    if (i === 0) await services.at(-1)!.url;
  }
  services.push(startService('invoice-audit', 'services/invoice-audit/src/main.ts', {
    INVOICE_PORT: invoicePort, INVOICE_ADMIN_TOKEN: adminToken, INVOICE_INDEX_PATH: files.invoiceIndex, INVOICE_ACCESS_PATH: files.access,
    INVOICE_ADJUSTMENTS_PATH: files.adjustments, INVOICE_AUDIT_KEY_PATH: files.auditKey, INVOICE_DEV_CREATE_KEY: 'true',
  }, 'invoice-audit listening'));
  const urls = await Promise.all(services.map((service) => service.url));
  const [ingestUrl, invoicesUrl] = [urls[0]!, urls.at(-1)!];
  const call = (method: 'POST', route: string, body: unknown) => fetch(`${route.startsWith('/v1/admin/devices') ? ingestUrl : invoicesUrl}${route}`, {
    method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const { credentials } = await ensureCredentials(files.credentials, adminToken, call);
  if (args['no-sim'] !== true) {
    simulator = new CitySimulator({ url: ingestUrl, invoicesUrl, credentials, network: loadSzmNetwork(), rate });
    simulator.start();
  }
  process.stdout.write([
    '',
    `  Fareledger on Kafka (${brokers}${startedBroker ? ', started here' : ''}): ${batcherCount} batcher${batcherCount === 1 ? '' : 's'} in one group`,
    `    devices (ingest)           ${ingestUrl}/docs`,
    `    wallets, audit, /verify    ${invoicesUrl}/docs`,
    ...urls.slice(1, -1).map((url, i) => `    batcher-${i} health/metrics  ${url}/metrics`),
    `    demo credentials           ${files.credentials}`,
    `    simulator                  ${simulator === undefined ? 'off' : `${rate} taps/s (npm run simulate -- --url ${ingestUrl} --invoices-url ${invoicesUrl} --credentials ${files.credentials} for more)`}`,
    '  Ctrl-C stops everything.',
    '',
    '',
  ].join('\n'));
} catch (error) {
  console.error(`start:kafka: ${(error as Error).message}`);
  await stopAll(1);
}
