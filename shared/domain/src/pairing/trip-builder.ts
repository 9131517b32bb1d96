import { assert } from '../assert.js';
import { applyDiscounts, type Discounted } from '../fares/discounts.js';
import { busFareFen } from '../fares/bus-fare.js';
import { PricingError } from '../fares/errors.js';
import { transferWindowMsMax } from '../fares/fare-table.js';
import type { FareTables } from '../fares/fare-tables.js';
import { hourMs, localDayEndBoundMs, localDayOf } from '../fares/local-time.js';
import { metroFareFen } from '../fares/metro-fare.js';
import type { MetroNetwork } from '../fares/network.js';
import type { FareTable } from '../fares/rules.js';
import { taxiFare } from '../fares/taxi-fare.js';
import { tripDurationMsMax } from '../limits.js';
import { type BusTap, type MetroTap, type Tap, type TaxiTap, tapKey } from '../tap.js';
import {
  type BusTrip, type MetroCompleteTrip, type MetroIncompleteTrip, type TaxiTrip, type Trip, tripReasonCodes,
} from '../trip.js';
import { type Pending, PendingHeap } from './pending-heap.js';
import {
  type AccountRow, parseTripBuilderState, type PendingRow, type TripBuilderState, TripBuilderStateError,
} from './state.js';

// Pairs one partition's taps into priced trips, by event time only (docs/fares.md).
//
// - Watermark W = the max eventTimeMs accepted so far. Each accept() first raises W, then
//   closes every pending tap whose deadline (eventTimeMs + journeyMsMax) is < W, in
//   (deadline, tapKey) order, then handles the tap itself.
// - Metro tap-in: pairs with the account's held tap-out if tapIn ≤ tapOut ≤ tapIn +
//   journeyMsMax; else opens a journey. Two open tap-ins: the earlier by event time closes
//   as `missing-tap-out` (tie: the one already open), the later stays open.
// - Metro tap-out: closes the open journey if tapIn ≤ tapOut; else it is held for a late
//   tap-in. Two held tap-outs: the earlier closes as `missing-tap-in` (tie: the one held).
// - Bus and taxi: one trip at once. Bus gets the transfer discount when it starts 0 ..=
//   transferWindowMs after the end of the account's latest metro or bus trip that has an
//   exit (complete metro, missing-tap-in, bus), among the trips closed before it.
// - Daily cap: metro and bus charges per account and local day of the trip's start, in the
//   order trips close.
// - History (day totals, latest trip end) serves a late tap only within lateTapMsMax: a day
//   counts while W ≤ its end (+12 h, for any offset) + lateTapMsMax, a trip end while W ≤
//   end + transferWindowMsMax (6 h) + lateTapMsMax. Lookups apply these bounds, so results
//   never depend on when the hourly sweep drops what they exclude. A pending tap closed by
//   the watermark is priced as the watermark passes its deadline (W = deadline + 1 ms), so
//   a jump of W prices it as a gradual rise would.
//
// Measured (npm run bench:pairing, bench/pairing.ts; Node 20.20, AMD EPYC, 2 cores, the machine's load average
// about 2.5 from other work): accept() 2.2 µs per tap, best of 3 runs of 2,000,000 taps
// (1,242,171 trips) over 100,000 accounts: 75% metro (39% in, 36% out), 19% bus, 6% taxi,
// 2% of tap-outs lost, 1% of taps up to 10 min late, taps decoded from JSON in batches of 100,000. At
// 80,000 taps/s that is under a fifth of one core. snapshot() of 100,000 open journeys:
// 8.1 MB of JSON (81 B each), 100 ms with JSON.stringify; JSON.parse + restore 330 ms.

export interface TripBuilderConfig {
  /** A tap-in with no tap-out this long after it closes as incomplete; also the pairing window of a held tap-out. */
  readonly journeyMsMax: number;
  /** How far behind the watermark a tap may be and still see the account's transfer and cap history. */
  readonly lateTapMsMax: number;
}

/**
 * journeyMsMax 4 h: Shenzhen Metro's limit for one ride inside the paid area; its longest
 * end-to-end ride is under 2 h, so no real journey is cut. lateTapMsMax 49 h: ingest takes
 * eventTimes up to 48 h old (INGEST_EVENT_TIME_PAST_MS_MAX) and 5 min ahead, plus slack.
 */
export const tripBuilderDefaults: TripBuilderConfig = Object.freeze({ journeyMsMax: 4 * hourMs, lateTapMsMax: 49 * hourMs });

export interface TripBuilderDeps {
  readonly tables: FareTables;
  readonly network: MetroNetwork;
  readonly config?: Partial<TripBuilderConfig>;
}

/** What the builder keeps per account. */
interface AccountState {
  open: Pending | undefined;
  held: Pending | undefined;
  /** End of the latest metro or bus trip with an exit; 0 for none. */
  lastEndMs: number;
  /** [localDay, chargedFen, ...]: metro and bus charges per local day. */
  days: number[];
}

const sweepIntervalMs = hourMs;

/** One per partition (= chain). Pure: the same state and taps give the same trips. */
export class TripBuilder {
  readonly config: TripBuilderConfig;
  private readonly tables: FareTables;
  private readonly network: MetroNetwork;
  private readonly accounts = new Map<string, AccountState>();
  private readonly heap = new PendingHeap();
  private watermark = 0;
  private sweptUntil = 0;

  constructor(deps: TripBuilderDeps) {
    const config = { ...tripBuilderDefaults, ...deps.config };
    assert(Number.isSafeInteger(config.journeyMsMax) && config.journeyMsMax >= 60_000 && config.journeyMsMax <= tripDurationMsMax,
      `journeyMsMax must be 60000..${tripDurationMsMax} ms`);
    assert(Number.isSafeInteger(config.lateTapMsMax) && config.lateTapMsMax >= 0 && config.lateTapMsMax <= 30 * 24 * hourMs,
      'lateTapMsMax must be 0..30 days in ms');
    this.config = Object.freeze(config);
    this.tables = deps.tables;
    this.network = deps.network;
  }

  /** The max eventTimeMs accepted so far; 0 before the first tap. */
  get watermarkMs(): number {
    return this.watermark;
  }

  /** Open tap-ins plus held tap-outs. */
  get pendingTapCount(): number {
    return this.heap.size;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  /**
   * Whether the tap's key is that of its account's open tap-in or held tap-out while the
   * tap is another one: a device reusing a tap id. accept() must not take it (the two would
   * be one trip's both ends, and trip ids would clash); the batcher refuses it.
   */
  holdsTapKey(tap: Tap, key: string = tapKey(tap)): boolean {
    const state = this.accounts.get(tap.account);
    if (state === undefined) return false;
    return state.open?.tapKey === key || state.held?.tapKey === key;
  }

  /**
   * Takes the partition's next tap (offset order) and returns the trips it closes: first
   * those the raised watermark expires, in (deadline, tapKey) order, then the tap's own.
   * Throws PricingError (unknown station, no fare table at the trip's start) before it
   * changes anything. Each tapKey must be accepted once: the caller drops duplicates.
   * `key` is tapKey(tap), when the caller has built it already (as for holdsTapKey).
   */
  accept(tap: Tap, key: string = tapKey(tap)): Trip[] {
    const startMs = tap.mode === 'taxi' ? tap.eventTimeMs - tap.durationS * 1000 : tap.eventTimeMs;
    const table = this.tables.tableAt(startMs);
    if (table === undefined) {
      throw new PricingError('no-fare-table', 'eventTimeMs', `no fare table is in force at the trip's start, ${new Date(startMs).toISOString()}`);
    }
    const stationIndex = tap.mode === 'metro' ? this.network.stationIndex(tap.stationId) : -1;
    if (tap.mode === 'metro' && stationIndex < 0) {
      throw new PricingError('unknown-station', 'stationId', `no station ${tap.stationId} in network ${this.network.network}`);
    }
    const trips: Trip[] = [];
    if (tap.eventTimeMs > this.watermark) this.advance(tap.eventTimeMs, trips);
    switch (tap.mode) {
      case 'metro':
        if (tap.kind === 'in') this.tapIn(this.pending(tap, key, stationIndex), trips);
        else this.tapOut(this.pending(tap, key, stationIndex), trips);
        break;
      case 'bus':
        trips.push(this.busTrip(tap, key, table));
        break;
      case 'taxi':
        trips.push(taxiTrip(tap, key, startMs, table));
        break;
    }
    return trips;
  }

  /** Raises the watermark, closes what it expires, and now and then drops stale history. */
  private advance(watermarkMs: number, trips: Trip[]): void {
    for (let next = this.heap.peek(); next !== undefined && next.deadlineMs < watermarkMs; next = this.heap.peek()) {
      this.heap.pop();
      // Priced as the watermark passes its deadline, not at the new watermark, so a jump (a
      // quiet partition, a device clock ahead) prices it as a gradual rise would: its day's
      // cap total is still in view. Monotonic: every deadline in the heap is ≥ the watermark.
      this.watermark = next.deadlineMs + 1;
      const state = this.accounts.get(next.account) as AccountState;
      if (next.kind === 'in') state.open = undefined;
      else state.held = undefined;
      trips.push(this.incompleteTrip(state, next));
    }
    this.watermark = watermarkMs;
    if (watermarkMs - this.sweptUntil >= sweepIntervalMs) {
      this.sweptUntil = watermarkMs;
      this.sweep();
    }
  }

  private tapIn(tapIn: Pending, trips: Trip[]): void {
    const state = this.accountOf(tapIn.account);
    const held = state.held;
    if (held !== undefined && tapIn.eventTimeMs <= held.eventTimeMs && held.eventTimeMs - tapIn.eventTimeMs <= this.config.journeyMsMax) {
      this.heap.remove(held);
      state.held = undefined;
      trips.push(this.completeTrip(state, tapIn, held));
      return;
    }
    const open = state.open;
    if (open !== undefined) {
      if (open.tapKey === tapIn.tapKey) assert(false, `tap ${tapIn.tapKey} accepted twice`);
      const closing = tapIn.eventTimeMs >= open.eventTimeMs ? open : tapIn;
      trips.push(this.incompleteTrip(state, closing));
      if (closing === tapIn) return;
      this.heap.remove(open);
      state.open = undefined;
    }
    if (tapIn.deadlineMs < this.watermark) {
      trips.push(this.incompleteTrip(state, tapIn));
      return;
    }
    state.open = tapIn;
    this.heap.push(tapIn);
  }

  private tapOut(tapOut: Pending, trips: Trip[]): void {
    const state = this.accountOf(tapOut.account);
    const open = state.open;
    if (open !== undefined && open.eventTimeMs <= tapOut.eventTimeMs) {
      this.heap.remove(open);
      state.open = undefined;
      trips.push(this.completeTrip(state, open, tapOut));
      return;
    }
    const held = state.held;
    if (held !== undefined) {
      if (held.tapKey === tapOut.tapKey) assert(false, `tap ${tapOut.tapKey} accepted twice`);
      const closing = tapOut.eventTimeMs >= held.eventTimeMs ? held : tapOut;
      trips.push(this.incompleteTrip(state, closing));
      if (closing === tapOut) return;
      this.heap.remove(held);
      state.held = undefined;
    }
    if (tapOut.deadlineMs < this.watermark) {
      trips.push(this.incompleteTrip(state, tapOut));
      return;
    }
    state.held = tapOut;
    this.heap.push(tapOut);
  }

  private completeTrip(state: AccountState, tapIn: Pending, tapOut: Pending): MetroCompleteTrip {
    const table = this.tableAt(tapIn.eventTimeMs);
    const distanceM = this.network.distanceAt(tapIn.stationIndex, tapOut.stationIndex);
    const fareFen = metroFareFen(table.metro, distanceM);
    const priced = this.discount(state, table, fareFen, 0, tapIn.eventTimeMs, tapIn.utcOffsetMin);
    this.noteEnd(state, tapOut.eventTimeMs);
    const trip: MetroCompleteTrip = {
      tripId: tapIn.tapKey, account: tapIn.account, operatorId: tapIn.operatorId, mode: 'metro', status: 'complete',
      tapKeys: [tapIn.tapKey, tapOut.tapKey], fromStationId: tapIn.stationId, toStationId: tapOut.stationId,
      startMs: tapIn.eventTimeMs, endMs: tapOut.eventTimeMs, distanceM, fareTableVersion: table.version,
      fareFen, discountFen: priced.discountFen, chargedFen: priced.chargedFen,
    };
    return withReason(trip, priced.reasonCode);
  }

  /** One tap alone, charged the maximum fare from its station: `missing-tap-out` or `missing-tap-in`. */
  private incompleteTrip(state: AccountState, lone: Pending): MetroIncompleteTrip {
    const table = this.tableAt(lone.eventTimeMs);
    const fareFen = metroFareFen(table.metro, this.network.farthestAt(lone.stationIndex));
    const priced = this.discount(state, table, fareFen, 0, lone.eventTimeMs, lone.utcOffsetMin);
    const version = table.version;
    const { discountFen, chargedFen } = priced;
    // Two literals, not spreads (0.8 µs each on Node 20): the station field sits mid-way.
    if (lone.kind === 'in') {
      return {
        tripId: lone.tapKey, account: lone.account, operatorId: lone.operatorId, mode: 'metro', status: 'incomplete',
        tapKeys: [lone.tapKey], fromStationId: lone.stationId, startMs: lone.eventTimeMs, endMs: lone.eventTimeMs,
        fareTableVersion: version, fareFen, discountFen, chargedFen, reasonCode: priced.reasonCode ?? tripReasonCodes.missingTapOut,
      };
    }
    this.noteEnd(state, lone.eventTimeMs);
    return {
      tripId: lone.tapKey, account: lone.account, operatorId: lone.operatorId, mode: 'metro', status: 'incomplete',
      tapKeys: [lone.tapKey], toStationId: lone.stationId, startMs: lone.eventTimeMs, endMs: lone.eventTimeMs,
      fareTableVersion: version, fareFen, discountFen, chargedFen, reasonCode: priced.reasonCode ?? tripReasonCodes.missingTapIn,
    };
  }

  private busTrip(tap: BusTap, key: string, table: FareTable): BusTrip {
    const state = this.accountOf(tap.account);
    const fareFen = busFareFen(table.bus, tap.routeId);
    const lastEndMs = this.visibleLastEndMs(state);
    const gapMs = tap.eventTimeMs - lastEndMs;
    const transfer = lastEndMs !== 0 && gapMs >= 0 && gapMs <= table.bus.transferWindowMs;
    const priced = this.discount(state, table, fareFen, transfer ? table.bus.transferDiscountFen : 0, tap.eventTimeMs, tap.utcOffsetMin);
    this.noteEnd(state, tap.eventTimeMs);
    const trip: BusTrip = {
      tripId: key, account: tap.account, operatorId: tap.operatorId, mode: 'bus', status: 'complete', tapKeys: [key],
      routeId: tap.routeId, vehicleId: tap.vehicleId, startMs: tap.eventTimeMs, endMs: tap.eventTimeMs,
      fareTableVersion: table.version, fareFen, discountFen: priced.discountFen, chargedFen: priced.chargedFen,
    };
    return withReason(trip, priced.reasonCode);
  }

  /** Transfer, then the daily cap, on the trip's local day; adds the charge to that day. */
  private discount(state: AccountState, table: FareTable, fareFen: number, transferFen: number, startMs: number, utcOffsetMin: number): Discounted {
    const day = localDayOf(startMs, utcOffsetMin);
    const dayVisible = this.watermark <= localDayEndBoundMs(day) + this.config.lateTapMsMax;
    const days = state.days;
    let at = -1;
    for (let index = 0; index < days.length; index += 2) if (days[index] === day) at = index;
    const dayChargedFen = dayVisible && at >= 0 ? (days[at + 1] as number) : 0;
    const priced = applyDiscounts({ fareFen, transferDiscountFen: transferFen, dailyCapFen: table.dailyCapFen, dayChargedFen });
    if (!dayVisible) {
      if (at >= 0) days.splice(at, 2);
    } else if (at >= 0) {
      days[at + 1] = dayChargedFen + priced.chargedFen;
    } else if (priced.chargedFen > 0) {
      days.push(day, priced.chargedFen);
    }
    return priced;
  }

  private visibleLastEndMs(state: AccountState): number {
    const lastEndMs = state.lastEndMs;
    return lastEndMs !== 0 && this.watermark <= lastEndMs + transferWindowMsMax + this.config.lateTapMsMax ? lastEndMs : 0;
  }

  private noteEnd(state: AccountState, endMs: number): void {
    state.lastEndMs = Math.max(this.visibleLastEndMs(state), endMs);
  }

  /** Drops history no lookup can see any more, and accounts left with nothing. O(accounts), hourly. */
  private sweep(): void {
    // forEach, not for-of: for-of allocated an [account, state] pair per account.
    this.accounts.forEach((state, account) => {
      state.lastEndMs = this.visibleLastEndMs(state);
      state.days = this.visibleDays(state);
      if (state.open === undefined && state.held === undefined && state.lastEndMs === 0 && state.days.length === 0) {
        this.accounts.delete(account);
      }
    });
  }

  /** The account's days a lookup can still see: its own list when that is all of them (most sweeps drop none). */
  private visibleDays(state: AccountState): number[] {
    let allVisible = true;
    for (let index = 0; index < state.days.length && allVisible; index += 2) {
      allVisible = this.watermark <= localDayEndBoundMs(state.days[index] as number) + this.config.lateTapMsMax;
    }
    if (allVisible) return state.days;
    const kept: number[] = [];
    for (let index = 0; index < state.days.length; index += 2) {
      const day = state.days[index] as number;
      if (this.watermark <= localDayEndBoundMs(day) + this.config.lateTapMsMax) kept.push(day, state.days[index + 1] as number);
    }
    return kept;
  }

  private accountOf(account: string): AccountState {
    let state = this.accounts.get(account);
    if (state === undefined) {
      state = { open: undefined, held: undefined, lastEndMs: 0, days: [] };
      this.accounts.set(account, state);
    }
    return state;
  }

  private pending(tap: MetroTap, key: string, stationIndex: number): Pending {
    return {
      kind: tap.kind, account: tap.account, tapKey: key, operatorId: tap.operatorId, stationId: tap.stationId,
      stationIndex, eventTimeMs: tap.eventTimeMs, utcOffsetMin: tap.utcOffsetMin,
      deadlineMs: tap.eventTimeMs + this.config.journeyMsMax, heapIndex: -1,
    };
  }

  /** Every pending tap was checked against the tables when accepted (or restored). */
  private tableAt(startMs: number): FareTable {
    const table = this.tables.tableAt(startMs);
    if (table === undefined) assert(false, `no fare table at ${startMs} for a tap that had one when accepted`);
    return table;
  }

  /**
   * The state as plain JSON-safe data, without history no lookup can see any more. Accounts
   * are sorted, so two builders in the same state give equal snapshots.
   */
  snapshot(): TripBuilderState {
    const accounts: AccountRow[] = [];
    for (const [account, state] of this.accounts) {
      const lastEndMs = this.visibleLastEndMs(state);
      const days = this.visibleDays(state);
      if (state.open === undefined && state.held === undefined && lastEndMs === 0 && days.length === 0) continue;
      // A copy: visibleDays may return the account's own list, which later trips change.
      accounts.push([account, pendingRow(state.open), pendingRow(state.held), lastEndMs === 0 ? null : lastEndMs, days.slice()]);
    }
    accounts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { v: 1, ...this.config, watermarkMs: this.watermark, accounts };
  }

  /**
   * A builder that continues exactly where the one that made `state` stopped. Throws
   * TripBuilderStateError if the state is malformed, was made with another journeyMsMax or
   * lateTapMsMax, names a station the network lacks, or a tap no table prices.
   */
  static restore(state: unknown, deps: TripBuilderDeps): TripBuilder {
    const parsed = parseTripBuilderState(state);
    const builder = new TripBuilder(deps);
    for (const key of ['journeyMsMax', 'lateTapMsMax'] as const) {
      if (parsed[key] !== builder.config[key]) {
        throw new TripBuilderStateError(key, `the state was built with ${parsed[key]}, the config says ${builder.config[key]}`);
      }
    }
    builder.watermark = parsed.watermarkMs;
    builder.sweptUntil = parsed.watermarkMs;
    parsed.accounts.forEach(([account, open, held, lastEndMs, days], index) => {
      const field = `accounts[${index}]`;
      builder.accounts.set(account, {
        open: builder.restorePending(`${field}[1]`, 'in', account, open),
        held: builder.restorePending(`${field}[2]`, 'out', account, held),
        lastEndMs: lastEndMs ?? 0,
        days: [...days],
      });
    });
    return builder;
  }

  private restorePending(field: string, kind: Pending['kind'], account: string, row: PendingRow | null): Pending | undefined {
    if (row === null) return undefined;
    const [key, operatorId, stationId, eventTimeMs, utcOffsetMin] = row;
    const stationIndex = this.network.stationIndex(stationId);
    if (stationIndex < 0) throw new TripBuilderStateError(`${field}[2]`, `no station ${stationId} in network ${this.network.network}`);
    if (this.tables.tableAt(eventTimeMs) === undefined) throw new TripBuilderStateError(`${field}[3]`, 'no fare table is in force at this time');
    const deadlineMs = eventTimeMs + this.config.journeyMsMax;
    if (deadlineMs < this.watermark) throw new TripBuilderStateError(`${field}[3]`, 'this tap should have expired before the watermark');
    const pending: Pending = { kind, account, tapKey: key, operatorId, stationId, stationIndex, eventTimeMs, utcOffsetMin, deadlineMs, heapIndex: -1 };
    this.heap.push(pending);
    return pending;
  }
}

function taxiTrip(tap: TaxiTap, key: string, startMs: number, table: FareTable): TaxiTrip {
  const fare = taxiFare(table.taxi, { distanceM: tap.distanceM, waitingS: tap.waitingS, startMs, utcOffsetMin: tap.utcOffsetMin });
  return {
    tripId: key, account: tap.account, operatorId: tap.operatorId, mode: 'taxi', status: 'complete', tapKeys: [key],
    vehicleId: tap.vehicleId, startMs, endMs: tap.eventTimeMs, distanceM: tap.distanceM, fareTableVersion: table.version,
    fareFen: fare.fareFen, discountFen: 0, chargedFen: fare.fareFen,
  };
}

function pendingRow(pending: Pending | undefined): PendingRow | null {
  return pending === undefined ? null : [pending.tapKey, pending.operatorId, pending.stationId, pending.eventTimeMs, pending.utcOffsetMin];
}

/** reasonCode is the ledger's last trip field, so adding it last keeps field order. */
function withReason<T extends Trip>(trip: T, reasonCode: string | undefined): T {
  if (reasonCode !== undefined) (trip as { reasonCode?: string }).reasonCode = reasonCode;
  return trip;
}

/**
 * The trips a tap sealed in a chain closed, as a replay of sealed history sees it: what
 * accept() returns, or none for a tap the batcher sealed unpriced (accept threw
 * PricingError: the batcher seals such a tap without a trip). The batcher's restart replay
 * and the audit's fare recomputation both feed taps this way.
 */
export function tripsOfSealedTap(builder: TripBuilder, tap: Tap): Trip[] {
  try {
    return builder.accept(tap);
  } catch (error) {
    if (error instanceof PricingError) return [];
    throw error;
  }
}
