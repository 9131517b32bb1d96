import { TapLogConfigError } from './errors.js';
import { GroupCommit, groupCommitDefaults, type GroupCommitOptions, type GroupCommitStats } from './group-commit.js';
import { KafkaTapLog, type KafkaTapLogConfig } from './kafka-log.js';
import { LocalTapLog, type LocalTapLogOptions } from './local-log.js';
import type { ProbeResult, TapRecord } from './record.js';

/** The durable tap log as ingest uses it: Kafka in production, SQLite embedded. */
export interface TapLog {
  readonly kind: 'kafka' | 'local';
  /** The number of partitions, which is the number of ledger chains. */
  readonly partitions: number;
  /**
   * Resolves only when ALL records are durable (local: committed and fsynced; Kafka:
   * acknowledged by all in-sync replicas). Goes through the group commit; rejects with
   * LogOverloadedError (429), LogUnavailableError (503, outcome unknown) or LogClosedError.
   */
  append(records: readonly TapRecord[]): Promise<void>;
  /** Reachability for /readyz; never rejects, bounded by a timeout. */
  probe(): Promise<ProbeResult>;
  /** Group commit counters and gauges for metrics. */
  stats(): GroupCommitStats;
  /** Stops intake, waits for queued and in-flight appends to settle, then closes the backend. */
  close(): Promise<void>;
}

/** What the group commit needs from a backend. LocalTapLog and KafkaTapLog are ones. */
export interface TapLogBackend {
  readonly kind: 'kafka' | 'local';
  readonly partitions: number;
  appendDurably(records: readonly TapRecord[]): Promise<void>;
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface LocalTapLogConfig extends GroupCommitOptions, LocalTapLogOptions {
  readonly kind: 'local';
  /** The SQLite file; its folder is created if missing. */
  readonly path: string;
  readonly partitions: number;
}

export interface KafkaTapLogOpenConfig extends GroupCommitOptions, Omit<KafkaTapLogConfig, 'sendTimeoutMs'> {
  readonly kind: 'kafka';
  /** Default: appendTimeoutMs, so a failed send surfaces about when the client gets its 503. */
  readonly sendTimeoutMs?: number;
}

export type TapLogConfig = LocalTapLogConfig | KafkaTapLogOpenConfig;

/**
 * A ready tap log: the local file opened (created if new), or the Kafka producer connected
 * and its topic checked (unless verifyOnOpen is false). TapLogConfigError when the file or
 * topic does not fit the config; LogUnavailableError when Kafka cannot be reached.
 */
export async function openTapLog(config: TapLogConfig): Promise<TapLog> {
  // Options are checked (RangeError) before anything is opened, so nothing leaks.
  let backend: TapLogBackend | undefined;
  const group = new GroupCommit((records) => backend!.appendDurably(records), groupCommitOptions(config));
  if (config.kind === 'local') {
    const busy = config.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: config.busyTimeoutMs };
    backend = LocalTapLog.open(config.path, config.partitions, busy);
  } else if (config.kind === 'kafka') {
    backend = await KafkaTapLog.open(kafkaConfig(config));
  } else {
    throw new TapLogConfigError(`tap log: kind must be 'local' or 'kafka', got '${(config as { kind: unknown }).kind}'`);
  }
  return assemble(group, backend);
}

/** `backend` behind a group commit: the TapLog that ingest uses. */
export function withGroupCommit(backend: TapLogBackend, options: GroupCommitOptions = {}): TapLog {
  return assemble(new GroupCommit((records) => backend.appendDurably(records), options), backend);
}

function assemble(group: GroupCommit, backend: TapLogBackend): TapLog {
  let closed: Promise<void> | undefined;
  return {
    kind: backend.kind,
    partitions: backend.partitions,
    append: (records) => group.submit(records),
    probe: () => backend.probe(),
    stats: () => group.stats(),
    close: () => (closed ??= group.drain().then(() => backend.close())),
  };
}

function kafkaConfig(config: KafkaTapLogOpenConfig): KafkaTapLogConfig {
  const sendTimeoutMs = config.sendTimeoutMs ?? config.appendTimeoutMs ?? groupCommitDefaults.appendTimeoutMs;
  const kafka: { -readonly [K in keyof KafkaTapLogConfig]: KafkaTapLogConfig[K] } = {
    brokers: config.brokers,
    topic: config.topic,
    clientId: config.clientId,
    partitions: config.partitions,
    sendTimeoutMs,
  };
  if (config.connectionTimeoutMs !== undefined) kafka.connectionTimeoutMs = config.connectionTimeoutMs;
  if (config.probeTimeoutMs !== undefined) kafka.probeTimeoutMs = config.probeTimeoutMs;
  if (config.probeCacheMs !== undefined) kafka.probeCacheMs = config.probeCacheMs;
  if (config.verifyOnOpen !== undefined) kafka.verifyOnOpen = config.verifyOnOpen;
  if (config.onLog !== undefined) kafka.onLog = config.onLog;
  return kafka;
}

function groupCommitOptions(config: GroupCommitOptions): GroupCommitOptions {
  const options: { -readonly [K in keyof GroupCommitOptions]: GroupCommitOptions[K] } = {};
  if (config.lingerMs !== undefined) options.lingerMs = config.lingerMs;
  if (config.groupRecordsMax !== undefined) options.groupRecordsMax = config.groupRecordsMax;
  if (config.groupBytesMax !== undefined) options.groupBytesMax = config.groupBytesMax;
  if (config.inFlightRecordsMax !== undefined) options.inFlightRecordsMax = config.inFlightRecordsMax;
  if (config.appendTimeoutMs !== undefined) options.appendTimeoutMs = config.appendTimeoutMs;
  if (config.onGroupCommitted !== undefined) options.onGroupCommitted = config.onGroupCommitted;
  if (config.onGroupFailed !== undefined) options.onGroupFailed = config.onGroupFailed;
  return options;
}
