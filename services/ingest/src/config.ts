import {
  type ConfigOf,
  configHelp,
  envInt,
  envPath,
  envString,
  ConfigError,
  loadConfig,
  logLevelSetting,
} from '@fareledger/runtime';
import { tapLogSettings } from '@fareledger/tap-log/config';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/**
 * Every setting of the ingest service, read once from the environment at start-up.
 * Tap-log settings (`TAP_LOG*`, `KAFKA_*`) have no `INGEST_` prefix because the batcher
 * reads the same log with the same names.
 */
export const ingestConfigSpec = {
  host: { env: 'INGEST_HOST', default: '127.0.0.1', schema: envString(), description: 'Address to listen on; 0.0.0.0 for every interface.' },
  port: { env: 'INGEST_PORT', default: '8081', schema: envInt({ min: 0, max: 65_535 }), description: 'TCP port; 0 picks a free one (logged).' },
  logLevel: logLevelSetting,

  ...tapLogSettings,
  kafkaClientId: { env: 'INGEST_KAFKA_CLIENT_ID', default: 'fareledger-ingest', schema: envString({ pattern: /^[A-Za-z0-9._-]{1,128}$/ }), description: 'Kafka client id, shown in broker logs and quotas.' },

  devicesPath: { env: 'INGEST_DEVICES_PATH', default: 'data/devices.db', schema: envPath(), description: 'SQLite file of the device registry (device keys: keep it 0600, apart from the ledger). Several ingest processes on one machine may share it.' },
  devicesRefreshMs: { env: 'INGEST_DEVICES_REFRESH_MS', default: '1000', schema: envInt({ min: 10, max: minute }), description: 'How soon a device change made by another process sharing the registry takes effect here.' },
  adminToken: { env: 'INGEST_ADMIN_TOKEN', schema: envString({ lengthMin: 32, lengthMax: 256, pattern: /^[\x21-\x7e]+$/ }), secret: true, description: 'Bearer token of the admin API (device registration). At least 32 printable characters; generate with `openssl rand -base64 32`.' },

  batchTapsMax: { env: 'INGEST_BATCH_TAPS_MAX', default: '500', schema: envInt({ min: 1, max: 1000 }), description: 'Most taps in one request; a longer batch gets 413 batch-too-large.' },
  bodyBytesMax: { env: 'INGEST_BODY_BYTES_MAX', default: '524288', schema: envInt({ min: 1024, max: 768 * 1024 }), description: 'Largest request body in bytes (512 KiB holds 500 taps of the longest legal fields); larger gets 413. At most 768 KiB, so that one request always fits one Kafka record batch (1 MiB).' },
  signatureSkewMsMax: { env: 'INGEST_SIGNATURE_SKEW_MS_MAX', default: '30000', schema: envInt({ min: second, max: 10 * minute }), description: 'Replay window: a request signature timestamp may differ from the server clock by at most this.' },
  replayEntriesMax: { env: 'INGEST_REPLAY_ENTRIES_MAX', default: '2000000', schema: envInt({ min: 1000, max: 50_000_000 }), description: 'Signatures remembered within the replay window (about 64 B each); when full, requests get 503 replay-window-full rather than weakening replay protection.' },
  eventTimeFutureMsMax: { env: 'INGEST_EVENT_TIME_FUTURE_MS_MAX', default: '300000', schema: envInt({ min: 0, max: hour }), description: 'How far ahead of the server clock a tap eventTime may be (device clock skew).' },
  eventTimePastMsMax: { env: 'INGEST_EVENT_TIME_PAST_MS_MAX', default: '172800000', schema: envInt({ min: minute, max: 30 * 24 * hour }), description: 'How old a tap eventTime may be: devices that were offline upload late, but not forever (default 48 h).' },

  lingerMs: { env: 'INGEST_LINGER_MS', default: '1', schema: envInt({ min: 0, max: 100 }), description: 'Group commit: how long an idle log waits to gather concurrent requests into one append.' },
  groupTapsMax: { env: 'INGEST_GROUP_TAPS_MAX', default: '5000', schema: envInt({ min: 1, max: 100_000 }), description: 'Group commit: most taps in one append (a single request is never split).' },
  inFlightTapsMax: { env: 'INGEST_IN_FLIGHT_TAPS_MAX', default: '50000', schema: envInt({ min: 1, max: 10_000_000 }), description: 'Taps waiting to become durable; beyond it requests get 429 with Retry-After. Must be at least INGEST_BATCH_TAPS_MAX.' },
  appendTimeoutMs: { env: 'INGEST_APPEND_TIMEOUT_MS', default: '5000', schema: envInt({ min: 100, max: 5 * minute }), description: 'A request whose taps are not durable within this gets 503 with Retry-After (the log is unreachable or stalled).' },

  headersTimeoutMs: { env: 'INGEST_HEADERS_TIMEOUT_MS', default: '10000', schema: envInt({ min: 100, max: 5 * minute }), description: 'A client must send its request headers within this time.' },
  requestTimeoutMs: { env: 'INGEST_REQUEST_TIMEOUT_MS', default: '30000', schema: envInt({ min: 100, max: 10 * minute }), description: 'A client must send its whole request within this time (slow-body guard).' },
  keepAliveTimeoutMs: { env: 'INGEST_KEEP_ALIVE_TIMEOUT_MS', default: '65000', schema: envInt({ min: 1000, max: 10 * minute }), description: 'Idle keep-alive connections are closed after this.' },
  shutdownMsMax: { env: 'INGEST_SHUTDOWN_MS_MAX', default: '15000', schema: envInt({ min: 1000, max: 10 * minute }), description: 'On SIGINT/SIGTERM: finish in-flight appends and close within this, else exit 1.' },
} as const;

export type IngestConfig = ConfigOf<typeof ingestConfigSpec>;

/**
 * Bytes a tap's record (entry + account key) can add over the tap's own bytes in the
 * body: the key (at most 128 bytes) plus the entry's extra fields. Measured at most 157 for
 * the longest legal tap (tap-bytes.test.ts), so 256 leaves room for the format to grow.
 */
export const recordBytesOverBodyMax = 256;

/**
 * The most bytes one request can hand the tap log: the group commit's byte bound, so a
 * request always fits one append. With the limits above it stays under Kafka's default
 * message.max.bytes (1 MiB), the size of one record batch.
 */
export function requestRecordBytesMax(config: Pick<IngestConfig, 'bodyBytesMax' | 'batchTapsMax'>): number {
  return config.bodyBytesMax + recordBytesOverBodyMax * config.batchTapsMax;
}

export const ingestHelp = configHelp({
  command: 'npm run ingest   (or: tsx services/ingest/src/main.ts)',
  summary:
    'The device door: POST /v1/taps accepts signed taps from gates, validators and taxi POS, and answers 202 once they are durable in the tap log.',
  spec: ingestConfigSpec,
});

/** Reads and checks the config; throws ConfigError naming every bad variable. */
export function loadIngestConfig(env: Readonly<Record<string, string | undefined>> = process.env): IngestConfig {
  const config = loadConfig(ingestConfigSpec, env, { prefixes: ['INGEST_'] });
  crossCheck(config);
  return config;
}

function crossCheck(config: IngestConfig): void {
  const issues = [];
  if (config.inFlightTapsMax < config.batchTapsMax) {
    issues.push({ env: 'INGEST_IN_FLIGHT_TAPS_MAX', value: String(config.inFlightTapsMax), secret: false, reason: `must be at least INGEST_BATCH_TAPS_MAX (${config.batchTapsMax}), or a full batch could never be accepted` });
  }
  if (config.groupTapsMax < config.batchTapsMax) {
    issues.push({ env: 'INGEST_GROUP_TAPS_MAX', value: String(config.groupTapsMax), secret: false, reason: `must be at least INGEST_BATCH_TAPS_MAX (${config.batchTapsMax}): a batch is never split across appends` });
  }
  if (config.inFlightTapsMax < config.groupTapsMax) {
    issues.push({ env: 'INGEST_IN_FLIGHT_TAPS_MAX', value: String(config.inFlightTapsMax), secret: false, reason: `must be at least INGEST_GROUP_TAPS_MAX (${config.groupTapsMax}): a group is part of what is in flight` });
  }
  if (config.requestTimeoutMs < config.headersTimeoutMs) {
    issues.push({ env: 'INGEST_REQUEST_TIMEOUT_MS', value: String(config.requestTimeoutMs), secret: false, reason: 'must be at least INGEST_HEADERS_TIMEOUT_MS' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}
