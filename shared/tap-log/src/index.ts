export { LogClosedError, LogOverloadedError, LogUnavailableError, TapLogConfigError } from './errors.js';
export {
  GroupCommit,
  groupCommitDefaults,
  type GroupCommitOptions,
  type GroupCommitStats,
} from './group-commit.js';
export {
  type KafkaLogLine,
  KafkaTapLog,
  type KafkaTapLogConfig,
  kafkaTapLogDefaults,
} from './kafka-log.js';
export { kafkaEndOffsets, readKafkaTaps, type ReadKafkaTapsOptions } from './kafka-reader.js';
export { LocalTapLog, type LocalTapLogOptions } from './local-log.js';
export { murmur2, partitionOf, toPositive } from './murmur2.js';
export type { AppendDurably, ProbeResult, StoredTapRecord, TapRecord } from './record.js';
export {
  type KafkaTapLogOpenConfig,
  type LocalTapLogConfig,
  openTapLog,
  type TapLog,
  type TapLogBackend,
  type TapLogConfig,
  withGroupCommit,
} from './tap-log.js';
