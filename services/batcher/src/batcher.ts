import type { FareTables, MetroNetwork, PricingError } from '@fareledger/domain/fares';
import type { TripBuilderConfig } from '@fareledger/domain/pairing';
import type { LedgerWriter, SealedBlock } from '@fareledger/ledger';
import type { BlockSink } from './block-sink.js';
import { ChainProcessor } from './chain-processor.js';
import type { SourceHandlers, SourceRecord } from './source.js';

export interface BatcherDeps {
  readonly writer: LedgerWriter;
  /** Where sealed blocks are stored: the commit thread, or inline. */
  readonly sink: BlockSink;
  readonly tables: FareTables;
  readonly network: MetroNetwork;
  readonly builderConfig: Partial<TripBuilderConfig>;
  readonly entriesPerBlockMax: number;
  readonly snapshotIntervalEntries: number;
  readonly sealAgeMsMax: number;
  readonly nowMs: () => number;
  readonly onSealed: (block: SealedBlock, taps: number) => void;
  readonly onRejected: (chain: number, offset: number, reason: string) => void;
  readonly onUnpriced: (chain: number, offset: number, error: PricingError) => void;
}

/**
 * The chains one chain worker owns, fed by the main thread's tap source (worker-pool.ts).
 * Blocks are sealed when full (in process) or when their first entry is sealAgeMsMax old (a
 * timer): wall-clock sealing only moves block boundaries, never entries, so a replay still
 * gives the same entries.
 */
export class Batcher implements SourceHandlers {
  readonly #deps: BatcherDeps;
  readonly #chains = new Map<number, ChainProcessor>();
  #sealTimer: NodeJS.Timeout | undefined;

  constructor(deps: BatcherDeps) {
    this.#deps = deps;
  }

  assigned(partitions: readonly number[]): Promise<ReadonlyMap<number, number>> {
    const starts = new Map<number, number>();
    for (const partition of partitions) {
      const processor = this.#chains.get(partition) ?? this.#processor(partition);
      this.#chains.set(partition, processor);
      starts.set(partition, processor.reload());
    }
    this.#sealTimer ??= setInterval(() => this.sealAged(), Math.max(1, Math.floor(this.#deps.sealAgeMsMax / 4)));
    return Promise.resolve(starts);
  }

  revoked(partitions: readonly number[]): Promise<void> {
    // Blocks already handed over are stored (or refused) and reported before the chains go.
    this.#deps.sink.flush();
    for (const partition of partitions) this.#chains.delete(partition);
    return Promise.resolve();
  }

  records(partition: number, records: readonly SourceRecord[]): Promise<number> {
    const processor = this.#chains.get(partition);
    // Not ours (a batch fetched before a revocation): leave it to the new owner.
    if (processor === undefined) return Promise.resolve(records[records.length - 1]!.offset + 1);
    return Promise.resolve(processor.process(records));
  }

  /** Seals every chain whose pending block is at least sealAgeMsMax old. */
  sealAged(): void {
    const now = this.#deps.nowMs();
    for (const processor of this.#chains.values()) {
      const since = processor.pendingSinceMs;
      if (since !== undefined && now - since >= this.#deps.sealAgeMsMax) processor.seal();
    }
  }

  /**
   * The shutdown contract's middle step: the source has stopped; seal everything pending,
   * with a builder snapshot, so the next start has nothing to replay; returns once it is stored.
   */
  sealAll(): void {
    if (this.#sealTimer !== undefined) clearInterval(this.#sealTimer);
    this.#sealTimer = undefined;
    for (const processor of this.#chains.values()) processor.seal({ snapshot: true });
    this.#deps.sink.flush();
  }

  #processor(chain: number): ChainProcessor {
    const { writer, sink, tables, network, builderConfig, entriesPerBlockMax, snapshotIntervalEntries, nowMs, onSealed, onRejected, onUnpriced } = this.#deps;
    return new ChainProcessor({
      chain, writer, sink, tables, network, builderConfig, entriesPerBlockMax, snapshotIntervalEntries, nowMs, onSealed,
      onRejected: (offset, reason) => onRejected(chain, offset, reason),
      onUnpriced: (offset, error) => onUnpriced(chain, offset, error),
    });
  }
}
