import { deleteTopics, readKafkaConfig, startKafka, stopKafka } from '@fareledger/infra/kafka';
import { cityFiles } from '../services/city/src/config.js';
import { readCredentials } from '../services/city/src/credentials.js';
import { type Child, startChild } from './processes.js';

// The system under test, started the way an operator starts it and stopped at the end:
//   embedded  `npm start`'s entry (services/city): ingest, batcher and invoice-audit in one
//             process on the embedded tap log, one port
//   kafka     `npm run start:kafka`'s script: the broker from infra/ (started if none
//             answers), ingest, two batchers and invoice-audit as processes of their own
// Both with the simulator off, on a fresh data directory, every port free-chosen. The
// Kafka topics and consumer group are this run's own (the topics deleted at the end), so
// no earlier run's taps are sealed into the fresh ledger; the broker is started here when
// none answers (and then stopped here, after the topics are gone).

export interface SystemUnderTest {
  readonly mode: 'embedded' | 'kafka';
  /** Where devices post taps, and the admin door for devices. */
  readonly ingestUrl: string;
  /** The wallet, audit, transparency and token-admin doors. */
  readonly invoicesUrl: string;
  /** Every /metrics to sum the tap counters over: the city's one, or ingest's and each batcher's. */
  readonly metricsUrls: readonly string[];
  readonly adminToken: string;
  readonly auditorToken: string;
  /** The process the benchmark started; the others are its descendants (and, on Kafka, the broker). */
  readonly rootPid: number;
  stop(): Promise<void>;
}

export interface StartSystemOptions {
  readonly kafka: boolean;
  readonly dataDir: string;
  readonly runId: string;
  readonly batchers: number;
  /** Node flags of the embedded city process (`--cpu-prof`); the Kafka topology's processes are started by its script. */
  readonly nodeArgs?: readonly string[];
}

export async function startSystem(options: StartSystemOptions): Promise<SystemUnderTest> {
  return options.kafka ? startKafkaTopology(options) : startEmbedded(options);
}

async function startEmbedded({ dataDir, nodeArgs }: StartSystemOptions): Promise<SystemUnderTest> {
  const city = await startChild('services/city/src/main.ts', { DATA_DIR: dataDir, PORT: '0', CITY_SIMULATE: 'false', LOG_LEVEL: 'info' }, 'city listening', { timeoutMs: 60_000, nodeArgs: nodeArgs ?? [] });
  return {
    mode: 'embedded', ingestUrl: city.url, invoicesUrl: city.url, metricsUrls: [`${city.url}/metrics`], ...tokensOf(dataDir), rootPid: city.process.pid!,
    stop: () => city.stop(),
  };
}

async function startKafkaTopology({ dataDir, runId, batchers }: StartSystemOptions): Promise<SystemUnderTest> {
  const kafka = readKafkaConfig();
  const { started: startedBroker } = await startKafka(kafka);
  const topics = { taps: `fare.taps.bench-${runId}`, blocks: `fare.blocks.bench-${runId}` };
  const urls: { ingest?: string; invoices?: string; batchers: string[] } = { batchers: [] };
  const onLine = (line: string) => {
    if (!line.startsWith('{')) return;
    const { msg, url } = JSON.parse(line) as { msg?: string; url?: string };
    if (url === undefined) return;
    if (msg === 'ingest listening') urls.ingest = url;
    else if (msg === 'invoice-audit listening') urls.invoices = url;
    else if (msg === 'batcher running') urls.batchers.push(url);
  };
  const topology: Child = await startChild('services/city/src/kafka-topology.ts', {
    DATA_DIR: dataDir, INGEST_PORT: '0', INVOICE_PORT: '0', BATCHER_PORT: '0', BATCHER_GROUP: `fareledger-batcher-bench-${runId}`, KAFKA_TOPIC_TAPS: topics.taps, KAFKA_TOPIC_BLOCKS: topics.blocks, LOG_LEVEL: 'info',
  }, 'Ctrl-C stops everything', { args: ['--no-sim', '--batchers', String(batchers)], timeoutMs: 180_000, onLine });
  const stop = async () => {
    await topology.stop();
    await deleteTopics(kafka.brokers, [topics.taps, topics.blocks]).catch(() => {});
    if (startedBroker) await stopKafka(kafka);
  };
  if (urls.ingest === undefined || urls.invoices === undefined || urls.batchers.length !== batchers) {
    await stop();
    throw new Error(`start:kafka did not log every service's URL: ${JSON.stringify(urls)}`);
  }
  return {
    mode: 'kafka', ingestUrl: urls.ingest, invoicesUrl: urls.invoices, metricsUrls: [urls.ingest, ...urls.batchers].map((url) => `${url}/metrics`),
    ...tokensOf(dataDir), rootPid: topology.process.pid!,
    stop,
  };
}

/** The admin and auditor tokens the system wrote into its demo credentials on start. */
function tokensOf(dataDir: string): { adminToken: string; auditorToken: string } {
  const credentials = readCredentials(cityFiles(dataDir).credentials);
  return { adminToken: credentials.adminToken, auditorToken: credentials.auditor.token };
}
