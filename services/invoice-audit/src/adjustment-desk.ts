import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeEntry, encodeEntry } from '@fareledger/codecs';
import { type Adjustment, adjustmentEntry, type AdjustmentKind, assert, parseAdjustment } from '@fareledger/domain';
import type { TapLog } from '@fareledger/tap-log';
import Database from 'better-sqlite3';
import type { LedgerIndex } from './ledger-index.js';

// Refunds and corrections. An adjustment enters the ledger the way a tap does: on the tap
// log, keyed by the trip's account, so it lands on the trip's chain in order and a replay
// of the log gives the same entries; the batcher appends it as it is. The desk checks it
// against the read copy (the trip is sealed; credits never exceed what the trip charged,
// pending ones counted), stores its exact bytes before sending them, and sends those same
// bytes again for a retry with the same adjustmentId, which the batcher then drops as a
// duplicate (by key and time, as a tap's retry). So a request retried after a timeout or a
// crash is sealed once.

export interface AdjustmentRequest {
  readonly adjustmentId: string;
  readonly tripId: string;
  readonly kind: AdjustmentKind;
  readonly amountFen: number;
  readonly reason: string;
  readonly authorizedBy: string;
}

export type AdjustmentStatus =
  | { readonly status: 'pending'; readonly adjustment: Adjustment }
  | { readonly status: 'sealed'; readonly adjustment: Adjustment; readonly chain: number; readonly logIndex: number };

export class AdjustmentRefusedError extends Error {
  override readonly name = 'AdjustmentRefusedError';
  constructor(readonly reason: 'no-trip' | 'exceeds-charge' | 'conflict', message: string, readonly leftFen?: number) {
    super(message);
  }
}

const schema = `
  CREATE TABLE IF NOT EXISTS adjustment_requests (
    adjustment_id TEXT PRIMARY KEY,
    trip_id       TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL,
    bytes         BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS adjustment_requests_by_trip ON adjustment_requests (trip_id);
`;

export class AdjustmentDesk {
  readonly #db: Database.Database;
  readonly #s;

  #tapLog: Promise<TapLog> | undefined;

  private constructor(db: Database.Database, readonly index: LedgerIndex, readonly openTapLog: () => Promise<TapLog>, readonly nowMs: () => number) {
    this.#db = db;
    this.#s = {
      insert: db.prepare<[string, string, number, Buffer, number]>(
        'INSERT INTO adjustment_requests (adjustment_id, trip_id, amount_fen, bytes, created_at_ms) VALUES (?, ?, ?, ?, ?)'),
      byId: db.prepare<[string], { bytes: Buffer }>('SELECT bytes FROM adjustment_requests WHERE adjustment_id = ?'),
      ofTrip: db.prepare<[string], { adjustment_id: string; amount_fen: number }>('SELECT adjustment_id, amount_fen FROM adjustment_requests WHERE trip_id = ?'),
    };
  }

  /**
   * `openTapLog` is called on the first adjustment (and again after it failed), not at
   * start: invoices are served while Kafka is down, only adjustments wait for it.
   */
  static open(options: { readonly path: string; readonly index: LedgerIndex; readonly openTapLog: () => Promise<TapLog>; readonly nowMs?: () => number }): AdjustmentDesk {
    mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path, { timeout: 5_000 });
    try {
      db.pragma('journal_mode = WAL');
      // An adjustment stored here is one the admin was told about: it must survive a power loss.
      db.pragma('synchronous = FULL');
      db.exec(schema);
      return new AdjustmentDesk(db, options.index, options.openTapLog, options.nowMs ?? Date.now);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Stores and sends an adjustment of a sealed trip; for a retry (same adjustmentId, same
   * request) sends the stored bytes again. Throws AdjustmentRefusedError, or the tap log's
   * errors (LogUnavailableError: the outcome is unknown, retry with the same adjustmentId).
   */
  async submit(request: AdjustmentRequest): Promise<Adjustment> {
    const bytes = this.#db.transaction(() => this.#stored(request) ?? this.#store(request)).immediate();
    const adjustment = adjustmentOf(bytes);
    await (await this.#log()).append([{ key: adjustment.account, value: bytes, timestampMs: this.nowMs() }]);
    return adjustment;
  }

  #log(): Promise<TapLog> {
    this.#tapLog ??= this.openTapLog().catch((error: unknown) => {
      this.#tapLog = undefined;
      throw error;
    });
    return this.#tapLog;
  }

  status(adjustmentId: string): AdjustmentStatus | undefined {
    const row = this.#s.byId.get(adjustmentId);
    if (row === undefined) return undefined;
    const adjustment = adjustmentOf(new Uint8Array(row.bytes));
    const sealed = this.index.adjustment(adjustmentId);
    return sealed === undefined ? { status: 'pending', adjustment } : { status: 'sealed', adjustment, ...sealed };
  }

  async close(): Promise<void> {
    const log = this.#tapLog;
    this.#tapLog = undefined;
    await log?.then((opened) => opened.close(), () => undefined);
    if (this.#db.open) this.#db.close();
  }

  #stored(request: AdjustmentRequest): Uint8Array | undefined {
    const row = this.#s.byId.get(request.adjustmentId);
    if (row === undefined) return undefined;
    const stored = adjustmentOf(new Uint8Array(row.bytes));
    const same = stored.tripId === request.tripId && stored.kind === request.kind && stored.amountFen === request.amountFen &&
      stored.reason === request.reason && stored.authorizedBy === request.authorizedBy;
    if (!same) throw new AdjustmentRefusedError('conflict', `adjustment ${request.adjustmentId} exists with other contents; an adjustmentId names one adjustment for ever`);
    return new Uint8Array(row.bytes);
  }

  #store(request: AdjustmentRequest): Uint8Array {
    const trip = this.index.trip(request.tripId);
    if (trip === undefined) throw new AdjustmentRefusedError('no-trip', `no sealed trip ${request.tripId}`);
    // Sealed credits are in the read copy; the ones sent but not yet indexed are here only.
    const pendingFen = this.#s.ofTrip.all(request.tripId)
      .filter((row) => this.index.adjustment(row.adjustment_id) === undefined)
      .reduce((sum, row) => sum + row.amount_fen, 0);
    const leftFen = trip.chargedFen - trip.creditedFen - pendingFen;
    if (request.amountFen > leftFen) {
      throw new AdjustmentRefusedError('exceeds-charge', `trip ${request.tripId} charged ${trip.chargedFen} fen, ${trip.chargedFen - leftFen} of it credited or being credited: at most ${leftFen} fen can be`, leftFen);
    }
    const createdAtMs = this.nowMs();
    const adjustment = parseAdjustment({ ...request, account: trip.account, createdAtMs });
    const bytes = encodeEntry(adjustmentEntry(adjustment)).slice();
    this.#s.insert.run(adjustment.adjustmentId, adjustment.tripId, adjustment.amountFen, Buffer.from(bytes), createdAtMs);
    return bytes;
  }
}

/** Bytes this desk wrote: one that does not decode to an adjustment is a damaged file, a bug to stop on. */
function adjustmentOf(bytes: Uint8Array): Adjustment {
  const entry = decodeEntry(bytes);
  assert(entry.type === 'adjustment', 'adjustment_requests holds an entry that is not an adjustment');
  return entry.adjustment;
}
