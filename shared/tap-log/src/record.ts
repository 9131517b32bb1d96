import { assert } from '@fareledger/domain';

/** One tap as the log stores it. The log never looks inside `value`. */
export interface TapRecord {
  /** The account token (UTF-8): it picks the partition, so one account's taps stay in order. */
  readonly key: string;
  /** Opaque bytes: the canonical tap entry. */
  readonly value: Uint8Array;
  /** Milliseconds since the epoch, as ingest stamped it (Kafka's CreateTime). */
  readonly timestampMs: number;
}

/**
 * A record read back, with its place in the log. Offsets are numbers, not bigints: they are
 * exact up to 2^53, which at 50,000 taps/s into one partition lasts 5,700 years.
 */
export interface StoredTapRecord extends TapRecord {
  readonly partition: number;
  readonly offset: number;
}

/** Whether the log answers, for /readyz. Never throws; bounded by the backend's timeout. */
export type ProbeResult =
  | { readonly ok: true; readonly latencyMs: number }
  | { readonly ok: false; readonly latencyMs: number; readonly reason: string };

/** The append a backend offers the group commit: all records durable, or a rejection. */
export type AppendDurably = (records: readonly TapRecord[]) => Promise<void>;

/** Bytes a record adds to a group: its value and key (account tokens are ASCII). */
export function recordBytes(record: TapRecord): number {
  return record.value.byteLength + record.key.length;
}

/** Ingest builds records from validated taps: a malformed one is a bug, not bad input. */
export function assertRecord(record: TapRecord): void {
  assert(typeof record.key === 'string', 'tap record: key must be a string');
  assert(record.value instanceof Uint8Array, 'tap record: value must be a Uint8Array');
  assert(
    Number.isSafeInteger(record.timestampMs) && record.timestampMs >= 0,
    `tap record: timestampMs must be a non-negative integer, got ${record.timestampMs}`,
  );
}
