import { signRequest } from '@fareledger/device-auth';
import { formatEventTime, mulberry32 } from '@fareledger/domain';
import type { MetroNetwork } from '@fareledger/domain/fares';
import type { DemoCredentials, DemoDevice } from './credentials.js';

// The city simulator: passengers of a Shenzhen-like city riding the metro (commutes at the
// rush hours of Shenzhen's clock, leisure trips between, transfers between lines, some
// tap-ins never tapped out), buses and taxis, posting signed taps through the real HTTP
// door of the devices in the demo credentials; a few metro trips of the demo accounts are
// refunded through the admin API, which seals them as red-letter invoices.
//
// Time is compressed for rides only: a tap-out comes `rideMinutes × 60 / timeScale`
// seconds after its tap-in (30 s for a 30-minute ride at the default 60), and every tap
// carries the wall-clock time it was posted at, so ingest's event-time window holds.

export interface SimulatorOptions {
  /** Where devices post taps (`/v1/taps`). */
  readonly url: string;
  /** Where the wallet and admin doors are (default `url`: one port, as npm start). */
  readonly invoicesUrl?: string;
  readonly credentials: DemoCredentials;
  readonly network: MetroNetwork;
  /** Taps per second, all modes together. */
  readonly rate: number;
  /** Passengers (default 600 per tap a second, at least 2,000); the first are the demo accounts. */
  readonly passengers?: number;
  readonly timeScale?: number;
  readonly seed?: number;
  /** Metro journeys that never tap out, 0..1. */
  readonly incompleteShare?: number;
  /** Completed metro journeys of a demo account that are refunded, 0..1. */
  readonly refundShare?: number;
  readonly nowMs?: () => number;
}

export interface SimulatorCounts {
  /** Taps handed to a POST. */
  posted: number;
  /** Taps answered 202. */
  accepted: number;
  /** Taps of POSTs answered otherwise (or not at all), by status (`network` for no answer). */
  refused: Record<string, number>;
  /** `unstarted`: ticks that found every passenger picked busy (raise --passengers for the rate). */
  journeys: { metro: number; bus: number; taxi: number; incomplete: number; transfers: number; unstarted: number };
  refunds: { requested: number; sealed: number; failed: number };
}

interface PendingTap {
  readonly atMs: number;
  readonly device: DemoDevice;
  readonly tap: Record<string, unknown>;
  /** For a demo account's tap-out chosen for a refund: the trip id (its tap-in's key). */
  readonly refundTripId?: string;
}

const tickMs = 100;
const refundFenMax = 200;
/** One journey in a hundred is a demo account's, so the demo wallets fill up (a few a second at 300 taps/s, which fare caps then make free). */
const demoJourneyShare = 0.01;
/**
 * A passenger rides about once per four minutes of wall time at the default compression
 * (a ride, then one to six hours' rest), 1.7 taps a journey: 140 passengers per tap a
 * second keep up; the default gives four times that.
 */
const passengersPerTapPerSecond = 600;
const utcOffsetMin = 480;
/** Rides at this many metres a minute (about 36 km/h with dwell), plus 3 minutes of walking and waiting. */
const metroMetresPerMinute = 600;

export class CitySimulator {
  readonly counts: SimulatorCounts = {
    posted: 0, accepted: 0, refused: {}, journeys: { metro: 0, bus: 0, taxi: 0, incomplete: 0, transfers: 0, unstarted: 0 }, refunds: { requested: 0, sealed: 0, failed: 0 },
  };
  readonly #options: Required<SimulatorOptions>;
  readonly #random: () => number;
  readonly #accounts: string[];
  readonly #homes: number[];
  readonly #works: number[];
  readonly #idleAtMs: Float64Array;
  readonly #gates = new Map<string, DemoDevice>();
  readonly #buses: DemoDevice[];
  readonly #taxis: DemoDevice[];
  /** Future taps (tap-outs), kept sorted by atMs. */
  readonly #pending: PendingTap[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #startedAtMs = 0;
  readonly #runId: string;
  #tapsPosted = 0;
  #sequence = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Aborts a refund's long polls on stop, so stopping never waits out their waitMs. */
  readonly #stopping = new AbortController();

  constructor(options: SimulatorOptions) {
    this.#options = {
      invoicesUrl: options.url, passengers: Math.max(2_000, Math.ceil(options.rate * passengersPerTapPerSecond)), timeScale: 60, seed: 20_261_202, incompleteShare: 0.03, refundShare: 0.1, nowMs: Date.now, ...options,
    };
    const { credentials, network } = this.#options;
    this.#random = mulberry32(this.#options.seed ^ Math.floor(this.#options.nowMs() / 1000));
    const demo = credentials.wallets.map((wallet) => wallet.account);
    this.#accounts = Array.from({ length: Math.max(this.#options.passengers, demo.length) }, (_, i) => demo[i] ?? `wa_sim_${String(i).padStart(6, '0')}`);
    this.#homes = this.#accounts.map(() => this.#pick(network.stations.length));
    this.#works = this.#accounts.map(() => this.#pick(network.stations.length));
    this.#idleAtMs = new Float64Array(this.#accounts.length);
    this.#runId = Math.floor(this.#options.nowMs() / 1000).toString(36);
    for (const device of credentials.devices) {
      if (device.mode === 'metro') this.#gates.set(device.deviceId.split('-')[2]!, device);
    }
    this.#buses = credentials.devices.filter((device) => device.mode === 'bus');
    this.#taxis = credentials.devices.filter((device) => device.mode === 'taxi');
    if (this.#gates.size === 0 || this.#buses.length === 0 || this.#taxis.length === 0) throw new Error('the credentials need a metro gate, a bus validator and a taxi terminal');
  }

  start(): void {
    this.#startedAtMs = this.#options.nowMs();
    this.#timer = setInterval(() => this.#tick(), tickMs);
  }

  /** Stops starting journeys; waits for the POSTs in flight (tap-outs still pending are dropped, as journeys cut short). */
  async stop(): Promise<SimulatorCounts> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#stopping.abort();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    return this.counts;
  }

  #tick(): void {
    const nowMs = this.#options.nowMs();
    const due: PendingTap[] = [];
    while (this.#pending.length > 0 && this.#pending[0]!.atMs <= nowMs) due.push(this.#pending.shift()!);
    // The rate counts taps as posted: tap-outs falling due leave room for fewer new journeys.
    this.#tapsPosted += due.length;
    const target = Math.floor(((nowMs - this.#startedAtMs) / 1000) * this.#options.rate);
    while (this.#tapsPosted < target) {
      const passenger = this.#idlePassenger(nowMs);
      if (passenger < 0) break; // everyone riding or resting: more passengers are needed for this rate
      const started = this.#startJourney(passenger, nowMs);
      this.#tapsPosted += started.length;
      due.push(...started);
    }
    if (due.length > 0) this.#post(due, nowMs);
  }

  /** A journey's taps due now; a metro tap-out goes to #pending. */
  #startJourney(passenger: number, nowMs: number): PendingTap[] {
    const account = this.#accounts[passenger]!;
    const roll = this.#random();
    if (roll < 0.7) return this.#metroJourney(passenger, account, nowMs);
    this.#sequence += 1;
    this.#rides(passenger, nowMs, 10 + this.#pick(30));
    if (roll < 0.92) {
      this.counts.journeys.bus += 1;
      const device = this.#buses[this.#pick(this.#buses.length)]!;
      const routeId = device.deviceId.split('-')[2]!;
      return [{ atMs: nowMs, device, tap: { ...this.#tapOf(device, account, this.#tapId('b')), kind: 'single', routeId, vehicleId: `BUS-${routeId}-${1 + this.#pick(40)}` } }];
    }
    this.counts.journeys.taxi += 1;
    const device = this.#taxis[this.#pick(this.#taxis.length)]!;
    const durationS = 300 + this.#pick(2_400);
    return [{
      atMs: nowMs, device,
      tap: { ...this.#tapOf(device, account, this.#tapId('t')), kind: 'metered', vehicleId: `TX-${device.deviceId.split('-')[2]}`, distanceM: Math.round(durationS * (4 + this.#random() * 6)), durationS, waitingS: this.#pick(Math.floor(durationS / 3)) },
    }];
  }

  /** Mornings home to work, evenings back, otherwise anywhere; a tap-out unless incomplete. */
  #metroJourney(passenger: number, account: string, nowMs: number): PendingTap[] {
    const { network } = this.#options;
    const hour = new Date(nowMs + utcOffsetMin * 60_000).getUTCHours();
    const home = this.#homes[passenger]!;
    const work = this.#works[passenger]!;
    let [from, to] = hour >= 6 && hour < 10 ? [home, work] : hour >= 17 && hour < 21 ? [work, home] : [this.#pick(network.stations.length), this.#pick(network.stations.length)];
    if (from === to) to = (to + 3) % network.stations.length;
    const fromStation = network.stations[from!]!;
    const toStation = network.stations[to!]!;
    this.#sequence += 1;
    this.counts.journeys.metro += 1;
    if (fromStation.lineId !== toStation.lineId) this.counts.journeys.transfers += 1;
    const gateIn = this.#gateOf(fromStation.lineId);
    const tapInId = this.#tapId('m', 'i');
    const taps: PendingTap[] = [{ atMs: nowMs, device: gateIn, tap: { ...this.#tapOf(gateIn, account, tapInId), kind: 'in', stationId: fromStation.id } }];
    if (this.#random() < this.#options.incompleteShare) {
      this.counts.journeys.incomplete += 1;
      this.#rides(passenger, nowMs, 30); // walked out past a broken gate, or forgot: no tap-out
      return taps;
    }
    const rideMinutes = 3 + network.distanceAt(from!, to!) / metroMetresPerMinute;
    this.#rides(passenger, nowMs, rideMinutes);
    const gateOut = this.#gateOf(toStation.lineId);
    const demoAccount = this.#options.credentials.wallets.some((wallet) => wallet.account === account);
    const refund = demoAccount && this.#random() < this.#options.refundShare;
    this.#schedule({
      atMs: nowMs + (rideMinutes * 60_000) / this.#options.timeScale, device: gateOut,
      tap: { ...this.#tapOf(gateOut, account, this.#tapId('m', 'o')), kind: 'out', stationId: toStation.id },
      ...(refund ? { refundTripId: `${gateIn.deviceId}/${tapInId}` } : {}),
    });
    return taps;
  }

  /**
   * A passenger free to ride (not on a journey, and rested since the last: one to six
   * hours of city time), a demo account one time in a hundred; -1 when eight picks find
   * none, so a rate too high for the passengers shows as taps short, not as impossible
   * overlapping journeys (a tap-in before the last tap-out closes the last as incomplete).
   */
  #idlePassenger(nowMs: number): number {
    const demoCount = this.#options.credentials.wallets.length;
    for (let attempt = 0; attempt < 8; attempt++) {
      const passenger = attempt === 0 && demoCount > 0 && this.#random() < demoJourneyShare ? this.#pick(demoCount) : this.#pick(this.#accounts.length);
      if (this.#idleAtMs[passenger]! <= nowMs) return passenger;
    }
    this.counts.journeys.unstarted += 1;
    return -1;
  }

  /** Busy for the ride, then resting: both in city time, compressed by timeScale. */
  #rides(passenger: number, nowMs: number, rideMinutes: number): void {
    const restMinutes = 60 + this.#random() * 300;
    this.#idleAtMs[passenger] = nowMs + ((rideMinutes + restMinutes) * 60_000) / this.#options.timeScale;
  }

  /**
   * Unique for ever per device, as ingest requires (a reused tap id is a duplicate): this
   * run's start second, base 36, then the journey's number; the tap-out's is the tap-in's
   * with `o` for `i`.
   */
  #tapId(kind: 'm' | 'b' | 't', end = ''): string {
    return `${kind}${this.#runId}-${this.#sequence}${end}`;
  }

  #tapOf(device: DemoDevice, account: string, tapId: string): Record<string, unknown> {
    return { tapId, deviceId: device.deviceId, operatorId: device.operatorId, account, mode: device.mode };
  }

  #gateOf(lineId: string): DemoDevice {
    return this.#gates.get(lineId) ?? [...this.#gates.values()][0]!;
  }

  #schedule(tap: PendingTap): void {
    let i = this.#pending.length;
    while (i > 0 && this.#pending[i - 1]!.atMs > tap.atMs) i--;
    this.#pending.splice(i, 0, tap);
  }

  #pick(n: number): number {
    return Math.floor(this.#random() * n);
  }

  /** One batched POST per device, each tap stamped with the time it is posted. */
  #post(due: readonly PendingTap[], nowMs: number): void {
    const byDevice = new Map<DemoDevice, PendingTap[]>();
    for (const tap of due) {
      const taps = byDevice.get(tap.device);
      if (taps === undefined) byDevice.set(tap.device, [tap]);
      else taps.push(tap);
    }
    for (const [device, taps] of byDevice) {
      for (let from = 0; from < taps.length; from += 100) this.#track(this.#postBatch(device, taps.slice(from, from + 100), nowMs));
    }
  }

  async #postBatch(device: DemoDevice, taps: readonly PendingTap[], nowMs: number): Promise<void> {
    const eventTime = formatEventTime(nowMs, utcOffsetMin);
    const bodies = taps.map(({ tap }) => ({ ...tap, eventTime }));
    const body = Buffer.from(JSON.stringify(bodies.length === 1 ? bodies[0] : { taps: bodies }));
    const authorization = signRequest({
      deviceId: device.deviceId, keyId: device.keyId, secret: Buffer.from(device.secret, 'base64url'), method: 'POST', target: '/v1/taps', timestampMs: Date.now(), body,
    });
    this.counts.posted += taps.length;
    let status = 'network';
    try {
      const response = await fetch(`${this.#options.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      await response.arrayBuffer();
      status = String(response.status);
    } catch {
      // counted as `network` below
    }
    if (status === '202') {
      this.counts.accepted += taps.length;
      for (const tap of taps) if (tap.refundTripId !== undefined) this.#track(this.#refund(tap));
    } else {
      this.counts.refused[status] = (this.counts.refused[status] ?? 0) + taps.length;
    }
  }

  /**
   * Refunds part of a demo account's trip, as a customer-service desk would: it looks the
   * trip's invoice up first (through the wallet door, waiting for the seal), and credits at
   * most what was charged; a trip the fare caps made free is not refunded.
   */
  async #refund(tapOut: PendingTap): Promise<void> {
    const wallet = this.#options.credentials.wallets.find((w) => w.account === tapOut.tap.account);
    if (wallet === undefined || this.#stopped) return;
    const lookup = await fetch(`${this.#options.invoicesUrl}/v1/taps/${String(tapOut.tap.tapId)}/invoice?waitMs=10000`, { headers: { authorization: `Bearer ${wallet.token}` }, signal: this.#stopping.signal }).catch(() => undefined);
    const invoice = lookup?.status === 200 ? ((await lookup.json().catch(() => undefined)) as { amounts: { totalFen: number } } | undefined) : undefined;
    const amountFen = Math.min(refundFenMax, invoice?.amounts.totalFen ?? 0);
    if (amountFen === 0 || this.#stopped) return;
    this.counts.refunds.requested += 1;
    const response = await fetch(`${this.#options.invoicesUrl}/v1/admin/adjustments?waitMs=10000`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#options.credentials.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ adjustmentId: `sim-refund-${String(tapOut.tap.tapId)}-${this.#startedAtMs}`, tripId: tapOut.refundTripId, kind: 'refund', amountFen, reason: 'gate fault: charged twice at the barrier', authorizedBy: 'sim.desk' }),
      signal: this.#stopping.signal,
    }).catch(() => undefined);
    await response?.arrayBuffer().catch(() => undefined);
    if (response?.status === 201) this.counts.refunds.sealed += 1;
    else this.counts.refunds.failed += 1;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }
}
