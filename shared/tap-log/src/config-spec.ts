import { type ConfigOf, envEnum, envHostPortList, envInt, envPath, envString, type Logger } from '@fareledger/runtime';
import type { GroupCommitOptions } from './group-commit.js';
import type { TapLogConfig } from './tap-log.js';

/**
 * The tap-log settings every service that writes or reads the log shares (ingest, batcher),
 * under the same variable names, so one environment configures them all.
 */
export const tapLogSettings = {
  tapLog: { env: 'TAP_LOG', default: 'local', schema: envEnum(['local', 'kafka']), description: '`local`: the embedded SQLite tap log (one machine, no Kafka). `kafka`: the topic KAFKA_TOPIC_TAPS on KAFKA_BROKERS.' },
  tapLogPath: { env: 'TAP_LOG_PATH', default: 'data/taps.db', schema: envPath(), description: 'SQLite file of the local tap log (TAP_LOG=local).' },
  tapLogPartitions: { env: 'TAP_LOG_PARTITIONS', default: '4', schema: envInt({ min: 1, max: 256 }), description: 'Partitions (= ledger chains): of a new local tap log, and what the Kafka topic must have. An existing log with another count is refused.' },
  kafkaBrokers: { env: 'KAFKA_BROKERS', default: '127.0.0.1:9092', schema: envHostPortList(), description: 'Kafka bootstrap brokers, comma-separated host:port (TAP_LOG=kafka).' },
  kafkaTopicTaps: { env: 'KAFKA_TOPIC_TAPS', default: 'fare.taps', schema: envString({ pattern: /^[A-Za-z0-9._-]{1,249}$/ }), description: 'Topic of taps, keyed by account (TAP_LOG=kafka).' },
} as const;

export type TapLogSettings = ConfigOf<typeof tapLogSettings>;

/**
 * The TapLogConfig of a service's tap-log settings, its Kafka client id and its group
 * commit options: the embedded file, or the Kafka topic with the client's log lines in the
 * service's logger (errors and warnings as such, the rest at debug).
 */
export function tapLogConfigOf(settings: TapLogSettings & { readonly kafkaClientId: string }, group: GroupCommitOptions, logger: Logger): TapLogConfig {
  if (settings.tapLog === 'local') return { kind: 'local', path: settings.tapLogPath, partitions: settings.tapLogPartitions, ...group };
  return {
    kind: 'kafka', brokers: settings.kafkaBrokers, topic: settings.kafkaTopicTaps, clientId: settings.kafkaClientId, partitions: settings.tapLogPartitions, ...group,
    onLog: (line) => logger[line.level === 'error' ? 'error' : line.level === 'warn' ? 'warn' : 'debug']({ kafka: line }, line.message),
  };
}
