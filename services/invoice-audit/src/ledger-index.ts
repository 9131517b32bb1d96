import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeEntry } from '@fareledger/codecs';
import { type Adjustment, assert, type Tap, tapKey, type Trip } from '@fareledger/domain';
import { invoiceUtcOffsetMin, type OperatorRegistry, splitVat } from '@fareledger/invoice';
import type { LedgerReader } from '@fareledger/ledger';
import Database from 'better-sqlite3';

// The service's read copy of the ledger: what the ledger file does not index (entries by
// account, a tap's trip, a trip's credits, totals per day), built by following the ledger
// and derived from it alone, so deleting the file rebuilds it. Each batch of entries and
// the position it reaches are written in one transaction: a crash leaves it at a batch
// boundary, and following resumes there. Taps are indexed by key, so the proof of each tap
// of a trip is one lookup away.

export const indexFormatVersion = 2;

const schema = `
  CREATE TABLE index_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID, STRICT;
  -- How far each chain is indexed: entries [0, tree_size).
  CREATE TABLE followed (chain INTEGER PRIMARY KEY, tree_size INTEGER NOT NULL) STRICT;
  CREATE TABLE tap_entries (
    tap_key TEXT PRIMARY KEY, chain INTEGER NOT NULL, log_index INTEGER NOT NULL
  ) WITHOUT ROWID, STRICT;
  CREATE TABLE trips (
    trip_id TEXT PRIMARY KEY, chain INTEGER NOT NULL, log_index INTEGER NOT NULL, account TEXT NOT NULL,
    operator_id TEXT NOT NULL, mode TEXT NOT NULL, charged_fen INTEGER NOT NULL, credited_fen INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID, STRICT;
  -- Blue (a trip) and red (an adjustment) invoices of each account, newest first by entry time.
  CREATE TABLE account_invoices (
    account TEXT NOT NULL, time_ms INTEGER NOT NULL, chain INTEGER NOT NULL, log_index INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('blue', 'red')),
    PRIMARY KEY (account, time_ms, chain, log_index)
  ) WITHOUT ROWID, STRICT;
  CREATE INDEX account_invoices_by_kind ON account_invoices (account, kind, time_ms, chain, log_index);
  -- A wallet asks for the invoice of a tap by its tapId: the trip the tap is part of.
  CREATE TABLE tap_trips (
    account TEXT NOT NULL, tap_id TEXT NOT NULL, device_id TEXT NOT NULL, chain INTEGER NOT NULL, trip_index INTEGER NOT NULL,
    PRIMARY KEY (account, tap_id, device_id)
  ) WITHOUT ROWID, STRICT;
  CREATE TABLE adjustments (
    adjustment_id TEXT PRIMARY KEY, chain INTEGER NOT NULL, log_index INTEGER NOT NULL
  ) WITHOUT ROWID, STRICT;
  -- Red invoices of a trip.
  CREATE TABLE trip_credits (
    trip_id TEXT NOT NULL, chain INTEGER NOT NULL, log_index INTEGER NOT NULL, PRIMARY KEY (trip_id, chain, log_index)
  ) WITHOUT ROWID, STRICT;
  -- Totals per China Standard Time day (of the trip's end, or the adjustment's creation),
  -- operator, mode and kind, VAT split invoice by invoice at the registry's rate.
  CREATE TABLE daily_totals (
    day TEXT NOT NULL, operator_id TEXT NOT NULL, mode TEXT NOT NULL, kind TEXT NOT NULL,
    invoices INTEGER NOT NULL, total_fen INTEGER NOT NULL, net_fen INTEGER NOT NULL, tax_fen INTEGER NOT NULL,
    PRIMARY KEY (day, operator_id, mode, kind)
  ) WITHOUT ROWID, STRICT;
`;

export interface InvoiceRef {
  readonly chain: number;
  readonly logIndex: number;
  readonly kind: 'blue' | 'red';
  readonly timeMs: number;
}

export interface DailyTotal {
  readonly day: string;
  readonly operatorId: string;
  readonly mode: string;
  readonly kind: 'blue' | 'red';
  readonly invoices: number;
  readonly totalFen: number;
  readonly netFen: number;
  readonly taxFen: number;
}

export interface IndexedTrip {
  readonly tripId: string;
  readonly chain: number;
  readonly logIndex: number;
  readonly account: string;
  readonly operatorId: string;
  readonly mode: Trip['mode'];
  readonly chargedFen: number;
  readonly creditedFen: number;
}

/** A page cursor: the (time, chain, index) of the last item of the previous page. */
export interface PageCursor {
  readonly timeMs: number;
  readonly chain: number;
  readonly logIndex: number;
}

export class IndexFormatError extends Error {
  override readonly name = 'IndexFormatError';
}

function prepare(db: Database.Database) {
  return {
    followed: db.prepare<[], { chain: number; tree_size: number }>('SELECT chain, tree_size FROM followed'),
    setFollowed: db.prepare<[number, number]>('INSERT INTO followed (chain, tree_size) VALUES (?, ?) ON CONFLICT (chain) DO UPDATE SET tree_size = excluded.tree_size'),
    insertTap: db.prepare<[string, number, number]>('INSERT OR IGNORE INTO tap_entries (tap_key, chain, log_index) VALUES (?, ?, ?)'),
    tapIndex: db.prepare<[string], { chain: number; log_index: number }>('SELECT chain, log_index FROM tap_entries WHERE tap_key = ?'),
    insertTrip: db.prepare<[string, number, number, string, string, string, number]>(
      'INSERT OR IGNORE INTO trips (trip_id, chain, log_index, account, operator_id, mode, charged_fen) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    trip: db.prepare<[string], TripRow>(
      'SELECT trip_id, chain, log_index, account, operator_id, mode, charged_fen, credited_fen FROM trips WHERE trip_id = ?'),
    credit: db.prepare<[number, string]>('UPDATE trips SET credited_fen = credited_fen + ? WHERE trip_id = ?'),
    insertAdjustment: db.prepare<[string, number, number]>('INSERT OR IGNORE INTO adjustments (adjustment_id, chain, log_index) VALUES (?, ?, ?)'),
    adjustment: db.prepare<[string], { chain: number; log_index: number }>('SELECT chain, log_index FROM adjustments WHERE adjustment_id = ?'),
    insertTripCredit: db.prepare<[string, number, number]>('INSERT OR IGNORE INTO trip_credits (trip_id, chain, log_index) VALUES (?, ?, ?)'),
    tripCredits: db.prepare<[string], { chain: number; log_index: number }>('SELECT chain, log_index FROM trip_credits WHERE trip_id = ? ORDER BY chain, log_index'),
    insertAccountInvoice: db.prepare<[string, number, number, number, string]>(
      'INSERT OR IGNORE INTO account_invoices (account, time_ms, chain, log_index, kind) VALUES (?, ?, ?, ?, ?)'),
    insertTapTrip: db.prepare<[string, string, string, number, number]>(
      'INSERT OR IGNORE INTO tap_trips (account, tap_id, device_id, chain, trip_index) VALUES (?, ?, ?, ?, ?)'),
    tapTrips: db.prepare<[string, string], { device_id: string; chain: number; trip_index: number }>(
      'SELECT device_id, chain, trip_index FROM tap_trips WHERE account = ? AND tap_id = ? ORDER BY trip_index DESC, device_id'),
    addTotal: db.prepare<[string, string, string, string, number, number, number, number]>(
      `INSERT INTO daily_totals (day, operator_id, mode, kind, invoices, total_fen, net_fen, tax_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, operator_id, mode, kind) DO UPDATE SET invoices = invoices + excluded.invoices, total_fen = total_fen + excluded.total_fen,
         net_fen = net_fen + excluded.net_fen, tax_fen = tax_fen + excluded.tax_fen`),
    totals: db.prepare<[string, string], { day: string; operator_id: string; mode: string; kind: 'blue' | 'red'; invoices: number; total_fen: number; net_fen: number; tax_fen: number }>(
      'SELECT day, operator_id, mode, kind, invoices, total_fen, net_fen, tax_fen FROM daily_totals WHERE day >= ? AND day <= ? ORDER BY day, operator_id, mode, kind'),
  };
}

type Statements = ReturnType<typeof prepare>;

interface TripRow {
  trip_id: string;
  chain: number;
  log_index: number;
  account: string;
  operator_id: string;
  mode: Trip['mode'];
  charged_fen: number;
  credited_fen: number;
}

export class LedgerIndex {
  readonly #db: Database.Database;
  readonly #s: Statements;
  readonly #followed = new Map<number, number>();
  /** Totals of the batch being indexed, by day, operator, mode and kind. */
  readonly #pendingTotals = new Map<string, { day: string; operatorId: string; mode: string; kind: 'blue' | 'red'; invoices: number; totalFen: number; netFen: number; taxFen: number }>();
  readonly #pages = new Map<string, Database.Statement<unknown[], { time_ms: number; chain: number; log_index: number; kind: 'blue' | 'red' }>>();

  private constructor(db: Database.Database, readonly operators: OperatorRegistry) {
    this.#db = db;
    this.#s = prepare(db);
    for (const row of this.#s.followed.all()) this.#followed.set(row.chain, row.tree_size);
  }

  /** Opens (creating) the index of the ledger `logName`; a file of another ledger or format is refused. */
  static open(options: { readonly path: string; readonly logName: string; readonly operators: OperatorRegistry }): LedgerIndex {
    const { path, logName } = options;
    const fresh = !existsSync(path);
    if (fresh) mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      if (fresh) db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      // NORMAL: the index is derived from the ledger; a power loss costs a re-index of the last batches, never a wrong answer.
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -65536');
      // Accounts arrive in random order, so each batch's inserts dirty pages all over the
      // tables and every commit writes them to the WAL; checkpointing them back less often
      // (every 8,192 pages, 128 MB of ours, rather than SQLite's 1,000, 16 MB) measured
      // a third cheaper an insert.
      db.pragma('wal_autocheckpoint = 8192');
      db.transaction(() => checkOrCreate(db, path, logName)).immediate();
      return new LedgerIndex(db, options.operators);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * What another connection (the follower's worker) committed: entries [0, size) of the
   * chain are indexed. Never moves back.
   */
  observeFollowed(chain: number, size: number): void {
    if (size > this.followedSize(chain)) this.#followed.set(chain, size);
  }

  /** Entries indexed of the chain: [0, followedSize). */
  followedSize(chain: number): number {
    return this.#followed.get(chain) ?? 0;
  }

  /**
   * Indexes newly sealed entries, at most `entriesMax`, from the chains of `reader` in chain
   * order; returns how many. The caller loops while it returns entriesMax.
   */
  follow(reader: LedgerReader, entriesMax: number): number {
    let budget = entriesMax;
    for (const chain of reader.chains()) {
      if (budget === 0) break;
      const from = this.followedSize(chain.chain);
      assert(from <= chain.treeSize, `the index of chain ${chain.chain} is ahead of the ledger (${from} > ${chain.treeSize}): another ledger's index`);
      const to = Math.min(chain.treeSize, from + budget);
      if (to === from) continue;
      const entries = reader.entries(chain.chain, from, to);
      assert(entries.length === to - from, `chain ${chain.chain}: entries [${from}, ${to}) are not all in the ledger`);
      this.#db.transaction(() => {
        this.#pendingTotals.clear(); // what a failed attempt summed was rolled back with it
        for (const stored of entries) this.#index(chain.chain, stored.index, stored.bytes);
        this.#flushTotals();
        this.#s.setFollowed.run(chain.chain, to);
      }).immediate();
      this.#followed.set(chain.chain, to);
      budget -= to - from;
    }
    return entriesMax - budget;
  }

  #index(chain: number, logIndex: number, bytes: Uint8Array): void {
    const entry = decodeEntry(bytes);
    switch (entry.type) {
      case 'tap':
        this.#indexTap(chain, logIndex, entry.tap);
        return;
      case 'trip':
        this.#indexTrip(chain, logIndex, entry.trip);
        return;
      case 'adjustment':
        this.#indexAdjustment(chain, logIndex, entry.adjustment);
        return;
    }
  }

  #indexTap(chain: number, logIndex: number, tap: Tap): void {
    this.#s.insertTap.run(tapKey(tap), chain, logIndex);
  }

  #indexTrip(chain: number, logIndex: number, trip: Trip): void {
    this.#s.insertTrip.run(trip.tripId, chain, logIndex, trip.account, trip.operatorId, trip.mode, trip.chargedFen);
    this.#s.insertAccountInvoice.run(trip.account, trip.endMs, chain, logIndex, 'blue');
    for (const key of trip.tapKeys) {
      const slash = key.indexOf('/');
      this.#s.insertTapTrip.run(trip.account, key.slice(slash + 1), key.slice(0, slash), chain, logIndex);
    }
    this.#addTotal(trip.endMs, trip.operatorId, trip.mode, 'blue', trip.chargedFen);
  }

  #indexAdjustment(chain: number, logIndex: number, adjustment: Adjustment): void {
    const trip = this.#s.trip.get(adjustment.tripId);
    // The batcher appends an adjustment only of a trip of its chain; one that names no
    // indexed trip is listed for its account (an auditor sees it) but credits nothing.
    this.#s.insertAccountInvoice.run(adjustment.account, adjustment.createdAtMs, chain, logIndex, 'red');
    this.#s.insertAdjustment.run(adjustment.adjustmentId, chain, logIndex);
    this.#s.insertTripCredit.run(adjustment.tripId, chain, logIndex);
    if (trip === undefined) return;
    this.#s.credit.run(adjustment.amountFen, adjustment.tripId);
    this.#addTotal(adjustment.createdAtMs, trip.operator_id, trip.mode, 'red', -adjustment.amountFen);
  }

  /** Adds an invoice to its day's totals: summed in memory over a batch, written once per row by #flushTotals (one upsert a batch, not one an invoice). */
  #addTotal(timeMs: number, operatorId: string, mode: Trip['mode'], kind: 'blue' | 'red', totalFen: number): void {
    const rate = this.operators.operator(operatorId)?.vatRatesBp[mode] ?? 0;
    const { netFen, taxFen } = splitVat(totalFen, rate);
    const day = chinaDay(timeMs);
    const key = `${day}\n${operatorId}\n${mode}\n${kind}`;
    const sum = this.#pendingTotals.get(key);
    if (sum === undefined) this.#pendingTotals.set(key, { day, operatorId, mode, kind, invoices: 1, totalFen, netFen, taxFen });
    else {
      sum.invoices += 1;
      sum.totalFen += totalFen;
      sum.netFen += netFen;
      sum.taxFen += taxFen;
    }
  }

  #flushTotals(): void {
    for (const t of this.#pendingTotals.values()) this.#s.addTotal.run(t.day, t.operatorId, t.mode, t.kind, t.invoices, t.totalFen, t.netFen, t.taxFen);
    this.#pendingTotals.clear();
  }

  tapIndex(key: string): { chain: number; logIndex: number } | undefined {
    const row = this.#s.tapIndex.get(key);
    return row === undefined ? undefined : { chain: row.chain, logIndex: row.log_index };
  }

  trip(tripId: string): IndexedTrip | undefined {
    const row = this.#s.trip.get(tripId);
    if (row === undefined) return undefined;
    return {
      tripId: row.trip_id, chain: row.chain, logIndex: row.log_index, account: row.account,
      operatorId: row.operator_id, mode: row.mode, chargedFen: row.charged_fen, creditedFen: row.credited_fen,
    };
  }

  /** Where an adjustment was sealed, once it is indexed. */
  adjustment(adjustmentId: string): { chain: number; logIndex: number } | undefined {
    const row = this.#s.adjustment.get(adjustmentId);
    return row === undefined ? undefined : { chain: row.chain, logIndex: row.log_index };
  }

  /** Red invoices of a trip, oldest first. */
  tripCredits(tripId: string): { chain: number; logIndex: number }[] {
    return this.#s.tripCredits.all(tripId).map((row) => ({ chain: row.chain, logIndex: row.log_index }));
  }

  /** The trip a tap of this account is part of; a tapId used by several devices gives the latest trip. */
  tapTrip(account: string, tapId: string): { chain: number; logIndex: number; deviceId: string } | undefined {
    const row = this.#s.tapTrips.get(account, tapId);
    return row === undefined ? undefined : { chain: row.chain, logIndex: row.trip_index, deviceId: row.device_id };
  }

  /** An account's invoices, newest first, `limit` of them after `before`; `kind` for blue (trips) or red only. */
  accountInvoices(account: string, options: { readonly limit: number; readonly before?: PageCursor; readonly kind?: 'blue' | 'red' }): InvoiceRef[] {
    const { limit, before, kind } = options;
    const statement = this.#pageStatement(kind !== undefined, before !== undefined);
    const args: unknown[] = [account];
    if (kind !== undefined) args.push(kind);
    if (before !== undefined) args.push(before.timeMs, before.chain, before.logIndex);
    args.push(limit);
    return statement.all(...args).map((row) => ({ chain: row.chain, logIndex: row.log_index, kind: row.kind, timeMs: row.time_ms }));
  }

  #pageStatement(byKind: boolean, after: boolean) {
    const key = `${byKind}/${after}`;
    let statement = this.#pages.get(key);
    if (statement === undefined) {
      const where = ['account = ?', ...(byKind ? ['kind = ?'] : []), ...(after ? ['(time_ms, chain, log_index) < (?, ?, ?)'] : [])].join(' AND ');
      const sql = `SELECT time_ms, chain, log_index, kind FROM account_invoices${byKind ? ' INDEXED BY account_invoices_by_kind' : ''} WHERE ${where} ORDER BY time_ms DESC, chain DESC, log_index DESC LIMIT ?`;
      statement = this.#db.prepare(sql);
      this.#pages.set(key, statement);
    }
    return statement;
  }

  /** Totals per day (China Standard Time, `YYYY-MM-DD`), operator, mode and kind, days [fromDay, toDay]. */
  totals(fromDay: string, toDay: string): DailyTotal[] {
    return this.#s.totals.all(fromDay, toDay).map((row) => ({
      day: row.day, operatorId: row.operator_id, mode: row.mode, kind: row.kind,
      invoices: row.invoices, totalFen: row.total_fen, netFen: row.net_fen, taxFen: row.tax_fen,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/** `YYYY-MM-DD` of an instant in China Standard Time: the day an invoice counts towards. */
export function chinaDay(timeMs: number): string {
  return new Date(timeMs + invoiceUtcOffsetMin * 60_000).toISOString().slice(0, 10);
}

function checkOrCreate(db: Database.Database, path: string, logName: string): void {
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
  if (tables.length === 0) {
    db.exec(schema);
    const insert = db.prepare('INSERT INTO index_meta (name, value) VALUES (?, ?)');
    insert.run('format', String(indexFormatVersion));
    insert.run('log_name', logName);
    return;
  }
  if (!tables.includes('index_meta')) throw new IndexFormatError(`${path} is not an invoice index (no index_meta table)`);
  const meta = new Map(db.prepare<[], { name: string; value: string }>('SELECT name, value FROM index_meta').all().map((r) => [r.name, r.value]));
  if (meta.get('format') !== String(indexFormatVersion)) {
    throw new IndexFormatError(`${path} is an invoice index of format ${meta.get('format') ?? '(none)'}, this code reads ${indexFormatVersion}: delete it, it is rebuilt from the ledger`);
  }
  if (meta.get('log_name') !== logName) {
    throw new IndexFormatError(`${path} indexes the ledger ${JSON.stringify(meta.get('log_name'))}, not ${JSON.stringify(logName)}: delete it, or point INVOICE_INDEX_PATH elsewhere`);
  }
}
