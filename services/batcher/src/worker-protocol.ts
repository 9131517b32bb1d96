import type { SealedBlock } from '@fareledger/ledger';
import type { CommitChannel } from './block-sink.js';
import type { SourceRecord } from './source.js';

// The messages between the batcher's main thread (the tap source) and its worker threads:
// the chain workers (each one a Batcher for the chains it owns) and the ledger's commit
// thread, which stores what the chain workers seal (block-sink.ts).

export interface ChainWorkerConfig {
  readonly ledgerPath: string;
  readonly logName: string;
  readonly signingKeyPath: string;
  readonly journeyMsMax: number;
  readonly entriesPerBlockMax: number;
  readonly snapshotIntervalEntries: number;
  readonly sealAgeMsMax: number;
}

export interface ChainWorkerInit extends ChainWorkerConfig {
  /** The worker's channel to the commit thread. */
  readonly commit: CommitChannel;
  /** Blocks handed to the commit thread and not yet stored, at most (past it, the worker waits). */
  readonly blocksInFlightMax: number;
}

export interface CommitWorkerInit {
  readonly ledgerPath: string;
  readonly logName: string;
  readonly busyTimeoutMs: number;
  /** One per chain worker, in worker order. */
  readonly channels: readonly CommitChannel[];
}

/** A batch of records as three transferable arrays: one copy in, none across the thread boundary. */
export interface PackedRecords {
  readonly offsets: Float64Array;
  /** End of each record's value in `values`. */
  readonly ends: Uint32Array;
  readonly values: Uint8Array;
}

export type WorkerRequest =
  | { readonly id: number; readonly type: 'assigned'; readonly partitions: readonly number[] }
  | { readonly id: number; readonly type: 'revoked'; readonly partitions: readonly number[] }
  | { readonly id: number; readonly type: 'records'; readonly partition: number; readonly records: PackedRecords }
  | { readonly id: number; readonly type: 'sealAll' }
  | { readonly id: number; readonly type: 'close' };

export type WorkerEvent =
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly type: 'failed'; readonly id: number; readonly message: string; readonly stack: string | undefined }
  | { readonly type: 'sealed'; readonly block: SealedBlock; readonly taps: number }
  | { readonly type: 'rejected'; readonly chain: number; readonly offset: number; readonly reason: string }
  | { readonly type: 'unpriced'; readonly chain: number; readonly offset: number; readonly code: string; readonly reason: string };

export function packRecords(records: readonly SourceRecord[]): PackedRecords {
  const offsets = new Float64Array(records.length);
  const ends = new Uint32Array(records.length);
  let size = 0;
  for (const record of records) size += record.value.length;
  const values = new Uint8Array(size);
  let at = 0;
  records.forEach((record, i) => {
    offsets[i] = record.offset;
    values.set(record.value, at);
    at += record.value.length;
    ends[i] = at;
  });
  return { offsets, ends, values };
}

/** The records again; each value is a view into the one `values` buffer. */
export function unpackRecords({ offsets, ends, values }: PackedRecords): SourceRecord[] {
  const records: SourceRecord[] = [];
  let start = 0;
  for (let i = 0; i < offsets.length; i++) {
    records.push({ offset: offsets[i]!, value: values.subarray(start, ends[i]!) });
    start = ends[i]!;
  }
  return records;
}

export function transferablesOf(records: PackedRecords): ArrayBuffer[] {
  return [records.offsets.buffer as ArrayBuffer, records.ends.buffer as ArrayBuffer, records.values.buffer as ArrayBuffer];
}
