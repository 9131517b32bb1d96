import { availableParallelism } from 'node:os';
import {
  type ConfigOf,
  ConfigError,
  configHelp,
  envBool,
  envInt,
  envPath,
  envString,
  loadConfig,
  logLevelSetting,
} from '@fareledger/runtime';
import { tapLogSettings } from '@fareledger/tap-log/config';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/**
 * Every setting of the batcher. Tap-log names (`TAP_LOG*`, `KAFKA_*`) are shared with
 * ingest; ledger names (`LEDGER_*`) with the invoice and audit service.
 */
export const batcherConfigSpec = {
  host: { env: 'BATCHER_HOST', default: '127.0.0.1', schema: envString(), description: 'Address of the health and metrics endpoint.' },
  port: { env: 'BATCHER_PORT', default: '8082', schema: envInt({ min: 0, max: 65_535 }), description: 'TCP port of the health and metrics endpoint; 0 picks a free one (logged).' },
  logLevel: logLevelSetting,

  ...tapLogSettings,
  kafkaTopicBlocks: { env: 'KAFKA_TOPIC_BLOCKS', default: 'fare.blocks', schema: envString({ pattern: /^[A-Za-z0-9._-]{1,249}$/ }), description: 'Topic sealed blocks are published to, for read replicas (TAP_LOG=kafka).' },
  kafkaSessionTimeoutMs: { env: 'BATCHER_KAFKA_SESSION_TIMEOUT_MS', default: '10000', schema: envInt({ min: 6000, max: 5 * minute }), description: 'A batcher that stops heartbeating (killed) loses its partitions after this; the broker accepts 6 s and up.' },
  group: { env: 'BATCHER_GROUP', default: 'fareledger-batcher', schema: envString({ pattern: /^[A-Za-z0-9._-]{1,128}$/ }), description: 'Kafka consumer group: batchers in one group split the partitions.' },

  ledgerPath: { env: 'LEDGER_PATH', default: 'data/ledger.db', schema: envPath(), description: 'SQLite file of the ledger.' },
  logName: { env: 'LEDGER_LOG_NAME', default: 'fareledger.example/szm', schema: envString({ pattern: /^[\x21-\x7e]{1,100}$/ }), description: 'Log name: each chain\'s checkpoint origin is `<name>/chain/<n>`. Fixed for the life of a ledger.' },
  signingKeyPath: { env: 'LEDGER_SIGNING_KEY_PATH', default: 'data/signing.key', schema: envPath(), description: 'Ed25519 note signing key (PRIVATE+KEY+... format, mode 0600). Must exist unless BATCHER_DEV_CREATE_KEY=true.' },
  devCreateKey: { env: 'BATCHER_DEV_CREATE_KEY', default: 'false', schema: envBool(), description: 'Embedded dev mode only: create the signing key on first start if missing (logged loudly). Never in production.' },
  signingKeyName: { env: 'LEDGER_SIGNING_KEY_NAME', default: 'fareledger.example/szm-dev', schema: envString({ pattern: /^[\x21-\x2a\x2c-\x7e]{1,100}$/ }), description: 'Name of a key created by BATCHER_DEV_CREATE_KEY (no `+`).' },

  workers: { env: 'BATCHER_WORKERS', default: String(Math.min(availableParallelism(), 16)), schema: envInt({ min: 1, max: 64 }), description: 'Worker threads that pair, price and seal; chain c runs on worker c mod n. Default: one per core, up to 16.' },
  entriesPerBlockMax: { env: 'BATCHER_ENTRIES_PER_BLOCK_MAX', default: '4096', schema: envInt({ min: 1, max: 65_536 }), description: 'A block is sealed once it holds this many entries.' },
  snapshotIntervalEntries: { env: 'BATCHER_SNAPSHOT_INTERVAL_ENTRIES', default: '100000', schema: envInt({ min: 1, max: 100_000_000 }), description: 'A block stores a trip builder snapshot once this many entries were sealed since the last (and at shutdown); a restart replays at most about this many entries.' },
  sealAgeMsMax: { env: 'BATCHER_SEAL_AGE_MS_MAX', default: '250', schema: envInt({ min: 1, max: minute }), description: 'A block is sealed at most this long after its first entry arrived.' },
  journeyMsMax: { env: 'BATCHER_JOURNEY_MS_MAX', default: String(4 * hour), schema: envInt({ min: minute, max: 24 * hour }), description: 'A metro tap-in with no tap-out this long after it (by event time) becomes an incomplete trip.' },
  pollMs: { env: 'BATCHER_POLL_MS', default: '20', schema: envInt({ min: 1, max: 10 * second }), description: 'Local tap log: how often an idle partition is polled for new taps.' },
  shutdownMsMax: { env: 'BATCHER_SHUTDOWN_MS_MAX', default: '15000', schema: envInt({ min: 1000, max: 10 * minute }), description: 'On SIGINT/SIGTERM: seal what is pending and close within this, else exit 1.' },
} as const;

export type BatcherConfig = ConfigOf<typeof batcherConfigSpec>;

export const batcherHelp = configHelp({
  command: 'npm run batcher   (or: tsx services/batcher/src/main.ts)',
  summary: 'Reads taps per partition, pairs and prices trips, and seals them into signed Merkle-rooted blocks in the SQLite ledger, exactly once.',
  spec: batcherConfigSpec,
});

export function loadBatcherConfig(env: Readonly<Record<string, string | undefined>> = process.env): BatcherConfig {
  const config = loadConfig(batcherConfigSpec, env, { prefixes: ['BATCHER_'] });
  if (config.sealAgeMsMax > config.journeyMsMax) {
    throw new ConfigError([{ env: 'BATCHER_SEAL_AGE_MS_MAX', value: String(config.sealAgeMsMax), secret: false, reason: 'must not exceed BATCHER_JOURNEY_MS_MAX' }]);
  }
  return config;
}
