import { formatEventTime, mulberry32 } from '@fareledger/domain';
import type { MetroNetwork } from '@fareledger/domain/fares';

// The taps a city's devices post under load, for the benchmark: passengers tap in at a
// metro station and out at another a few seconds later (ride time compressed, so a
// minute of load holds many whole journeys), or board a bus (one tap, priced at once).
// A share of journeys are by passengers whose wallet app fetches the trip's invoice at
// tap-out: the first `walletAccounts` accounts, which the benchmark gave wallet tokens.
// Unlike the city simulator (services/city), which paces a demo at a few taps a second
// through fetch, this one only makes bodies: autocannon sends them as fast as asked.

export interface CityTrafficOptions {
  readonly network: MetroNetwork;
  /** Accounts riding; the first `walletAccounts` have wallet tokens. */
  readonly passengers: number;
  readonly walletAccounts: number;
  /** Seconds from a metro tap-in to its tap-out: uniform in [min, max]. */
  readonly rideSecondsMin: number;
  readonly rideSecondsMax: number;
  readonly seed: number;
  /** Distinguishes this run's tap ids and accounts from any other's on the same ledger. */
  readonly runId: string;
}

export type Tap = Record<string, unknown> & { readonly tapId: string; readonly account: string };

/** A device's batch: its taps, and which of them a wallet will fetch the invoice of (tap-outs and bus taps of wallet accounts). */
export interface TrafficBatch {
  readonly taps: Tap[];
  readonly walletTaps: Tap[];
}

export interface TrafficDevice {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: 'metro' | 'bus';
}

const busRoutes = ['B101', 'M375', 'N6', 'E11'];
const utcOffsetMin = 480;
const bucketMs = 100;

export class CityTraffic {
  /** Share of journeys made by a wallet account, 0..1: each scenario sets its own. */
  walletShare = 0;
  readonly #options: CityTrafficOptions;
  readonly #random: () => number;
  readonly #riding: Uint8Array;
  /** Tap-outs waiting for their time, by 100 ms bucket. */
  readonly #due = new Map<number, { passenger: number; tapId: string; stationId: string }[]>();
  #drainedBucket = -1;
  #sequence = 0;

  constructor(options: CityTrafficOptions) {
    if (options.walletAccounts > options.passengers) throw new Error('city traffic: more wallet accounts than passengers');
    if (options.rideSecondsMin > options.rideSecondsMax) throw new Error('city traffic: rideSecondsMin is above rideSecondsMax');
    this.#options = options;
    this.#random = mulberry32(options.seed);
    this.#riding = new Uint8Array(options.passengers);
  }

  account(passenger: number): string {
    return `wa_${this.#options.runId}_${passenger}`;
  }

  /** Up to `count` taps for one device, stamped `nowMs`: a gate's due tap-outs first, then new journeys. */
  batch(device: TrafficDevice, count: number, nowMs: number): TrafficBatch {
    const taps: Tap[] = [];
    const walletTaps: Tap[] = [];
    const eventTime = formatEventTime(nowMs, utcOffsetMin);
    const base = { deviceId: device.deviceId, operatorId: device.operatorId, mode: device.mode, eventTime };
    if (device.mode === 'metro') this.#tapOuts(count, nowMs, (passenger, tapId, stationId) => {
      const tap = { ...base, tapId, account: this.account(passenger), kind: 'out', stationId };
      taps.push(tap);
      if (this.#isWallet(passenger)) walletTaps.push(tap);
    });
    while (taps.length < count) {
      const passenger = this.#idlePassenger();
      if (passenger < 0) break;
      const tapId = `${this.#options.runId}-${(this.#sequence += 1)}`;
      const account = this.account(passenger);
      if (device.mode === 'bus') {
        const routeId = busRoutes[this.#pick(busRoutes.length)]!;
        const tap = { ...base, tapId, account, kind: 'single', routeId, vehicleId: `BUS-${routeId}-${1 + this.#pick(40)}` };
        taps.push(tap);
        if (this.#isWallet(passenger)) walletTaps.push(tap);
        continue;
      }
      const stations = this.#options.network.stations;
      const from = this.#pick(stations.length);
      const to = (from + 1 + this.#pick(stations.length - 1)) % stations.length;
      taps.push({ ...base, tapId: `${tapId}i`, account, kind: 'in', stationId: stations[from]!.id });
      this.#riding[passenger] = 1;
      const { rideSecondsMin: min, rideSecondsMax: max } = this.#options;
      this.#schedule(nowMs + (min + this.#random() * (max - min)) * 1000, { passenger, tapId: `${tapId}o`, stationId: stations[to]!.id });
    }
    return { taps, walletTaps };
  }

  /** Journeys begun and not yet tapped out. */
  get riding(): number {
    let count = 0;
    for (const bucket of this.#due.values()) count += bucket.length;
    return count;
  }

  #tapOuts(countMax: number, nowMs: number, emit: (passenger: number, tapId: string, stationId: string) => void): void {
    let emitted = 0;
    const nowBucket = Math.floor(nowMs / bucketMs);
    if (this.#drainedBucket < 0) this.#drainedBucket = nowBucket - 1;
    for (let bucket = this.#drainedBucket + 1; bucket <= nowBucket && emitted < countMax; bucket++) {
      const waiting = this.#due.get(bucket);
      while (waiting !== undefined && waiting.length > 0 && emitted < countMax) {
        const { passenger, tapId, stationId } = waiting.pop()!;
        this.#riding[passenger] = 0;
        emit(passenger, tapId, stationId);
        emitted += 1;
      }
      if (waiting !== undefined && waiting.length > 0) return; // this batch is full; the rest of the bucket goes in the next
      this.#due.delete(bucket);
      this.#drainedBucket = bucket;
    }
  }

  #schedule(atMs: number, tapOut: { passenger: number; tapId: string; stationId: string }): void {
    const bucket = Math.max(Math.floor(atMs / bucketMs), this.#drainedBucket + 1);
    const waiting = this.#due.get(bucket);
    if (waiting === undefined) this.#due.set(bucket, [tapOut]);
    else waiting.push(tapOut);
  }

  /**
   * A passenger not on a journey: a wallet account `walletShare` of the time (when eight
   * picks find every one busy, another passenger: a batch is never left empty for want of a
   * wallet), or -1 when eight picks of the others find none either.
   */
  #idlePassenger(): number {
    const { passengers, walletAccounts } = this.#options;
    const wallet = walletAccounts > 0 && this.#random() < this.walletShare;
    const pick = (fromWallets: boolean) => {
      for (let attempt = 0; attempt < 8; attempt++) {
        const passenger = fromWallets ? this.#pick(walletAccounts) : walletAccounts + this.#pick(passengers - walletAccounts);
        if (this.#riding[passenger] === 0) return passenger;
      }
      return -1;
    };
    const found = wallet ? pick(true) : -1;
    return found >= 0 ? found : pick(false);
  }

  #isWallet(passenger: number): boolean {
    return passenger < this.#options.walletAccounts;
  }

  #pick(n: number): number {
    return Math.floor(this.#random() * n);
  }
}
