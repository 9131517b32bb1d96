/** One record of the tap log as the batcher reads it. */
export interface SourceRecord {
  readonly offset: number;
  /** The canonical tap entry, exactly as ingest appended it. */
  readonly value: Uint8Array;
}

/**
 * What a tap source calls. A source owns the reading (Kafka consumer group, or polling the
 * local log); the batcher owns the positions: it says where each partition starts, and
 * every record before that position is skipped, so a source may redeliver freely.
 */
export interface SourceHandlers {
  /** This batcher now reads `partitions`. Resolves the stored next offset of each (where to start). */
  assigned(partitions: readonly number[]): Promise<ReadonlyMap<number, number>>;
  /** This batcher no longer reads `partitions`: drop what is not sealed (the next owner re-reads it). */
  revoked(partitions: readonly number[]): Promise<void>;
  /**
   * Records of one partition, in offset order. Resolves the offset to read next: normally
   * the last record's + 1; another one when the batcher had to go back (its chain moved
   * under it) or skip ahead, and the source then seeks there.
   */
  records(partition: number, records: readonly SourceRecord[]): Promise<number>;
}

export interface TapSource {
  start(handlers: SourceHandlers): Promise<void>;
  /** Stops fetching; resolves once no handler call is running. */
  stop(): Promise<void>;
}
