import { decodeEntry, EntryDecodeError } from '@fareledger/codecs';
import { type AdjustmentEntry, type Tap, tapKey, type Trip, tripEntry } from '@fareledger/domain';
import { type FareTables, type MetroNetwork, PricingError } from '@fareledger/domain/fares';
import { TripBuilder, type TripBuilderConfig } from '@fareledger/domain/pairing';
import { duplicateIndexKey, type LedgerEntryInput, type LedgerWriter, ledgerEntryOf, type SealedBlock } from '@fareledger/ledger';
import type { BlockSink } from './block-sink.js';
import { replayIntoBuilder } from './builder-replay.js';
import { idOf, RecentTaps } from './recent-taps.js';
import type { SourceRecord } from './source.js';

export interface ChainProcessorDeps {
  readonly chain: number;
  /** Prepares blocks and reads the chain back; blocks are stored through `sink`. */
  readonly writer: LedgerWriter;
  readonly sink: BlockSink;
  readonly tables: FareTables;
  readonly network: MetroNetwork;
  readonly builderConfig: Partial<TripBuilderConfig>;
  readonly entriesPerBlockMax: number;
  /** A block stores a trip builder snapshot once this many entries were sealed since the last one. */
  readonly snapshotIntervalEntries: number;
  readonly nowMs: () => number;
  /** After each block is stored (publish to fare.blocks, metrics). */
  readonly onSealed: (block: SealedBlock, taps: number) => void;
  /** A record that is not a valid tap entry, or reuses a pending tap's id: skipped (deterministically), reported. */
  readonly onRejected: (offset: number, reason: string) => void;
  /** A tap sealed without a trip because it cannot be priced (unknown station, no fare table). */
  readonly onUnpriced: (offset: number, error: PricingError) => void;
}

/**
 * Taps of the last 10 minutes of event time are checked for duplicates in memory, older
 * ones in the ledger. Memory grows with the taps of one window: at a city's peak, tens of
 * thousands per chain.
 */
const recentTapsWindowMs = 10 * 60_000;
const emptySet: ReadonlySet<string> = new Set();

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One chain (= partition): reads its taps in offset order, drops retried taps,
 * appends the tap entry and the trips it closes, and seals blocks. Everything the block
 * depends on (entries, tree, checkpoint, next offset, now and then a trip builder snapshot)
 * is written in one transaction, so after a crash the chain resumes exactly where its last
 * stored block ended. A block is handed to the sink and the chain goes on; when the sink
 * refuses one (another writer moved the chain), the chain drops everything after its
 * stored state and reloads at its next call.
 */
export class ChainProcessor {
  readonly chain: number;
  readonly #deps: ChainProcessorDeps;
  #builder!: TripBuilder;
  #entries: LedgerEntryInput[] = [];
  /** The duplicate drop's memory: every tap of the chain, sealed or pending, of the last minutes. */
  readonly #recentTaps = new RecentTaps(recentTapsWindowMs);
  #taps = 0;
  /** Offset of the first record of the pending block; the stored next offset. */
  #offsetFirst = 0;
  /** Next offset to read. */
  #offsetNext = 0;
  /** Wall clock of the first pending record: the seal age starts there. */
  #pendingSinceMs: number | undefined;
  /** Entries sealed since the latest builder snapshot: what a restart replays. */
  #entriesSinceSnapshot = 0;
  /** A block handed to the sink was refused: what is in memory is not the stored chain's. */
  #conflicted = false;

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

  /**
   * Drops everything not stored and takes the stored state: after a conflict, or a new
   * assignment. The trip builder is the latest snapshot with the taps sealed after it
   * replayed (builder-replay.ts).
   */
  reload(): number {
    const { writer, sink, tables, network, builderConfig } = this.#deps;
    sink.flush(); // the stored state must include every block handed over
    const state = writer.chainState(this.chain);
    const snapshot = state.builderSnapshot;
    this.#builder =
      snapshot === null
        ? new TripBuilder({ tables, network, config: builderConfig })
        : TripBuilder.restore(JSON.parse(decoder.decode(snapshot.state)), { tables, network, config: builderConfig });
    const replayFrom = snapshot?.treeSize ?? 0;
    replayIntoBuilder(this.#builder, writer, this.chain, replayFrom, state.treeSize);
    this.#entriesSinceSnapshot = state.treeSize - replayFrom;
    this.#entries = [];
    const watermarkMs = this.#builder.watermarkMs;
    this.#recentTaps.reset(watermarkMs, this.#deps.writer.tapsSince(this.chain, Math.max(0, watermarkMs - recentTapsWindowMs)));
    this.#taps = 0;
    this.#offsetFirst = state.nextOffset;
    this.#offsetNext = state.nextOffset;
    this.#pendingSinceMs = undefined;
    this.#conflicted = false;
    return state.nextOffset;
  }

  /** Processes records in offset order; resolves the offset to read next. */
  process(records: readonly SourceRecord[]): number {
    if (this.#conflicted) return this.reload();
    const run = this.#contiguousRun(records);
    if (run === undefined) return this.#offsetNext; // a gap: the source must seek back
    if (run.length === 0) return this.#offsetNext;
    if (this.#offsetNext === this.#offsetFirst) this.#recentTaps.prune(this.#builder.watermarkMs);
    const decoded = run.map((record) => decodeRecord(record));
    const sealedLate = this.#sealedLateTaps(decoded);
    if (this.#conflicted) return this.reload();
    for (let i = 0; i < run.length; i++) {
      // Per record, not per call: a block sealed midway restarts the age of what follows it.
      this.#pendingSinceMs ??= this.#deps.nowMs();
      const item = decoded[i]!;
      if (typeof item === 'string') this.#deps.onRejected(run[i]!.offset, item);
      else if (isAdjustment(item)) this.#acceptAdjustment(run[i]!, item, sealedLate);
      else this.#accept(run[i]!, item, sealedLate);
      this.#offsetNext = run[i]!.offset + 1;
      if (this.#entries.length >= this.#deps.entriesPerBlockMax) {
        const expected = this.#offsetNext;
        const next = this.seal();
        if (next !== expected) return next; // reloaded elsewhere: the source seeks there
      }
    }
    return this.#offsetNext;
  }

  /** The records from the next offset on, skipping redeliveries; undefined when the first one is past it. */
  #contiguousRun(records: readonly SourceRecord[]): readonly SourceRecord[] | undefined {
    let from = 0;
    while (from < records.length && records[from]!.offset < this.#offsetNext) from += 1; // redelivered: in a block or pending
    if (from === records.length) return [];
    if (records[from]!.offset > this.#offsetNext) return undefined;
    let to = from + 1;
    while (to < records.length && records[to]!.offset === records[to - 1]!.offset + 1) to += 1;
    return records.slice(from, to);
  }

  /**
   * The taps older than the in-memory window that the ledger already holds, looked up in
   * one read transaction (rare: a late retry). As idOf names them.
   */
  #sealedLateTaps(decoded: readonly (Tap | AdjustmentEntry | string)[]): ReadonlySet<string> {
    const late: { key: string; eventTimeMs: number }[] = [];
    for (const item of decoded) {
      if (typeof item === 'string') continue;
      if (isAdjustment(item)) {
        const { key, timeMs } = adjustmentDuplicate(item);
        if (timeMs < this.#recentTaps.fromMs) late.push({ key, eventTimeMs: timeMs });
      } else if (item.eventTimeMs < this.#recentTaps.fromMs) late.push({ key: tapKey(item), eventTimeMs: item.eventTimeMs });
    }
    if (late.length === 0) return emptySet;
    this.#deps.sink.flush(); // the lookup must see every block handed over
    const sealed = this.#deps.writer.hasTaps(this.chain, late);
    return new Set(late.filter((_, i) => sealed[i]).map((tap) => idOf(tap.key, tap.eventTimeMs)));
  }

  #accept(record: SourceRecord, tap: Tap, sealedLate: ReadonlySet<string>): void {
    // A device's retry repeats the tap exactly: same key, same event time (docs/batcher.md).
    const key = tapKey(tap);
    const recent = this.#recentTaps.has(key, tap.eventTimeMs);
    if (recent === true || (recent === undefined && sealedLate.has(idOf(key, tap.eventTimeMs)))) return;
    if (this.#builder.holdsTapKey(tap, key)) return this.#deps.onRejected(record.offset, `tap id ${key} reused by another tap while the first is pending`);
    let trips: Trip[];
    try {
      trips = this.#builder.accept(tap, key);
    } catch (error) {
      if (!(error instanceof PricingError)) throw error;
      this.#deps.onUnpriced(record.offset, error);
      trips = [];
    }
    this.#recentTaps.add(key, tap.eventTimeMs);
    this.#taps += 1;
    this.#entries.push({ bytes: record.value, kind: 'tap', key, account: tap.account, timeMs: tap.eventTimeMs });
    for (const trip of trips) this.#entries.push(ledgerEntryOf(tripEntry(trip)));
  }

  /**
   * A refund or correction the invoice service put on the tap log: appended as it is (it
   * prices nothing). Its retry repeats it byte for byte (the service stores it before it
   * sends it), so it is dropped as a tap's retry is, by its key and time.
   */
  #acceptAdjustment(record: SourceRecord, entry: AdjustmentEntry, sealedLate: ReadonlySet<string>): void {
    const { key, timeMs } = adjustmentDuplicate(entry);
    const recent = this.#recentTaps.has(key, timeMs);
    if (recent === true || (recent === undefined && sealedLate.has(idOf(key, timeMs)))) return;
    this.#recentTaps.add(key, timeMs);
    const { adjustmentId, account } = entry.adjustment;
    this.#entries.push({ bytes: record.value, kind: 'adjustment', key: adjustmentId, account, timeMs });
  }

  /** The fare table in force at the chain's event time: what the checkpoint's fares line names. */
  #fareTableVersion(): string {
    const { tables } = this.#deps;
    return (tables.tableAt(this.#builder.watermarkMs) ?? tables.tables[0]!).version;
  }

  /**
   * Seals what is pending (nothing when no record was read since the last block) and hands
   * it to the sink. Resolves the offset to read next: the same as before, or, when a block
   * was refused (another writer moved the chain: a rebalance), the stored one, everything
   * after it dropped. The block carries a builder snapshot when snapshotIntervalEntries
   * were sealed since the last one, or when asked (at shutdown, so the next start replays
   * nothing).
   */
  seal(options: { readonly snapshot?: boolean } = {}): number {
    if (this.#conflicted) return this.reload();
    if (this.#offsetNext === this.#offsetFirst) return this.#offsetNext;
    const entriesSinceSnapshot = this.#entriesSinceSnapshot + this.#entries.length;
    const takeSnapshot = options.snapshot === true || entriesSinceSnapshot >= this.#deps.snapshotIntervalEntries;
    const { sealed, write } = this.#deps.writer.prepareBlock(this.chain, {
      entries: this.#entries,
      offsetFirst: this.#offsetFirst,
      offsetNext: this.#offsetNext,
      ...(takeSnapshot ? { builderState: encoder.encode(JSON.stringify(this.#builder.snapshot())) } : {}),
      fareTableVersion: this.#fareTableVersion(),
      sealedAtMs: this.#deps.nowMs(),
    });
    const taps = this.#taps;
    this.#entriesSinceSnapshot = takeSnapshot ? 0 : entriesSinceSnapshot;
    this.#entries = [];
    this.#taps = 0;
    this.#offsetFirst = this.#offsetNext;
    this.#pendingSinceMs = undefined;
    this.#deps.sink.submit(write, (outcome) => {
      if (this.#deps.writer.settle(write, outcome)) this.#deps.onSealed(sealed, taps);
      else this.#conflicted = true;
    });
    return this.#conflicted ? this.reload() : this.#offsetNext;
  }
}

/** The record's tap, or why it is not a tap entry. */
/** A tap or an adjustment to append; a string says why the record is neither. */
function decodeRecord(record: SourceRecord): Tap | AdjustmentEntry | string {
  try {
    const entry = decodeEntry(record.value);
    if (entry.type === 'tap') return entry.tap;
    if (entry.type === 'adjustment') return entry;
    return `a ${entry.type} entry on the tap log`;
  } catch (error) {
    if (!(error instanceof EntryDecodeError)) throw error;
    return error.message;
  }
}

function isAdjustment(item: Tap | AdjustmentEntry): item is AdjustmentEntry {
  return (item as AdjustmentEntry).type === 'adjustment';
}

function adjustmentDuplicate(entry: AdjustmentEntry): { key: string; timeMs: number } {
  return { key: duplicateIndexKey({ kind: 'adjustment', key: entry.adjustment.adjustmentId })!, timeMs: entry.adjustment.createdAtMs };
}
