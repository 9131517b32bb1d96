import { decodeEntry, EntryDecodeError } from '@fareledger/codecs';
import { type Tap, tapKey, tripEntry } from '@fareledger/domain';
import type { FareTables, MetroNetwork } from '@fareledger/domain/fares';
import { TripBuilder, type TripBuilderConfig } from '@fareledger/domain/pairing';
import { ChainConflictError, type LedgerEntryInput, type LedgerWriter, ledgerEntryOf, type SealedBlock } from '@fareledger/ledger';
import type { SourceRecord } from './source.js';

export interface ChainProcessorDeps {
  readonly chain: number;
  readonly writer: LedgerWriter;
  readonly tables: FareTables;
  readonly network: MetroNetwork;
  readonly builderConfig: Partial<TripBuilderConfig>;
  readonly entriesPerBlockMax: number;
  readonly nowMs: () => number;
  /** After each sealed block (publish to fare.blocks, metrics). */
  readonly onSealed: (block: SealedBlock, taps: number) => void;
  /** A record that is not a valid tap entry: skipped (deterministically), reported. */
  readonly onRejected: (offset: number, reason: string) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One chain (= partition): reads its taps in offset order, drops duplicates by tap key,
 * appends the tap entry and the trips it closes, and seals blocks. Everything the block
 * depends on (entries, tree, checkpoint, next offset, the trip builder's state) is written
 * in one transaction, so after a crash the chain resumes exactly where its last block ended.
 */
export class ChainProcessor {
  readonly chain: number;
  readonly #deps: ChainProcessorDeps;
  #builder!: TripBuilder;
  #entries: LedgerEntryInput[] = [];
  #pendingKeys = new Set<string>();
  #taps = 0;
  /** Offset of the first record of the pending block; the stored next offset. */
  #offsetFirst = 0;
  /** Next offset to read. */
  #offsetNext = 0;
  /** Wall clock of the first pending record: the seal age starts there. */
  #pendingSinceMs: number | undefined;

  constructor(deps: ChainProcessorDeps) {
    this.chain = deps.chain;
    this.#deps = deps;
    this.reload();
  }

  /** The offset this chain reads next. */
  get nextOffset(): number {
    return this.#offsetNext;
  }

  get pendingSinceMs(): number | undefined {
    return this.#pendingSinceMs;
  }

  /** Drops everything not sealed and takes the stored state: after a conflict, or a new assignment. */
  reload(): number {
    const state = this.#deps.writer.chainState(this.chain);
    const { tables, network, builderConfig } = this.#deps;
    this.#builder =
      state.builderState === null
        ? new TripBuilder({ tables, network, config: builderConfig })
        : TripBuilder.restore(JSON.parse(decoder.decode(state.builderState)), { tables, network, config: builderConfig });
    this.#entries = [];
    this.#pendingKeys = new Set();
    this.#taps = 0;
    this.#offsetFirst = state.nextOffset;
    this.#offsetNext = state.nextOffset;
    this.#pendingSinceMs = undefined;
    return state.nextOffset;
  }

  /** Processes records in offset order; resolves the offset to read next. */
  process(records: readonly SourceRecord[]): number {
    for (const record of records) {
      if (record.offset < this.#offsetNext) continue; // redelivered: already in a block or pending
      if (record.offset > this.#offsetNext) return this.#offsetNext; // a gap: the source must seek back
      this.#pendingSinceMs ??= this.#deps.nowMs();
      this.#accept(record);
      this.#offsetNext = record.offset + 1;
      if (this.#entries.length >= this.#deps.entriesPerBlockMax) {
        const next = this.seal();
        if (next !== this.#offsetNext) return next;
      }
    }
    return this.#offsetNext;
  }

  #accept(record: SourceRecord): void {
    let tap: Tap;
    try {
      const entry = decodeEntry(record.value);
      if (entry.type !== 'tap') return this.#deps.onRejected(record.offset, `a ${entry.type} entry on the tap log`);
      tap = entry.tap;
    } catch (error) {
      if (error instanceof EntryDecodeError) return this.#deps.onRejected(record.offset, error.message);
      throw error;
    }
    const key = tapKey(tap);
    if (this.#pendingKeys.has(key) || this.#deps.writer.hasTapKey(this.chain, key)) return; // a retried tap
    this.#pendingKeys.add(key);
    this.#taps += 1;
    this.#entries.push({ bytes: record.value, kind: 'tap', key, account: tap.account, timeMs: tap.eventTimeMs });
    for (const trip of this.#builder.accept(tap)) this.#entries.push(ledgerEntryOf(tripEntry(trip)));
  }

  /** The fare table in force at the chain's event time: what the checkpoint's fares line names. */
  #fareTableVersion(): string {
    const { tables } = this.#deps;
    return (tables.tableAt(this.#builder.watermarkMs) ?? tables.tables[0]!).version;
  }

  /**
   * Seals what is pending (nothing when no record was read since the last block). Resolves
   * the offset to read next: the same as before, or, when another writer moved the chain
   * (a rebalance), the stored one, everything pending dropped.
   */
  seal(): number {
    if (this.#offsetNext === this.#offsetFirst) return this.#offsetNext;
    const snapshot = encoder.encode(JSON.stringify(this.#builder.snapshot()));
    try {
      const block = this.#deps.writer.sealBlock(this.chain, {
        entries: this.#entries,
        offsetFirst: this.#offsetFirst,
        offsetNext: this.#offsetNext,
        builderState: snapshot,
        fareTableVersion: this.#fareTableVersion(),
        sealedAtMs: this.#deps.nowMs(),
      });
      this.#deps.onSealed(block, this.#taps);
    } catch (error) {
      if (error instanceof ChainConflictError) return this.reload();
      throw error;
    }
    this.#entries = [];
    this.#pendingKeys = new Set();
    this.#taps = 0;
    this.#offsetFirst = this.#offsetNext;
    this.#pendingSinceMs = undefined;
    return this.#offsetNext;
  }
}
