import { signRequest } from '@fareledger/device-auth';
import type { CityTraffic, Tap } from './city-traffic.js';
import type { Device } from './drivers.js';

// The chaos test's devices: a steady stream of real journeys' taps (city-traffic.ts), a
// batch a request, each request signed afresh. A device that gets no 202 (a 503 while the
// broker is down, a reset connection while ingest restarts, a timeout) keeps its batch and
// sends it again, as docs/ingest.md tells devices to, until it gets one. Every tap's fate
// is kept: the check at the end holds the ledger to it.

export interface TapFate {
  /** The 202 that accepted it, if one did. */
  acked: boolean;
  /** Requests that carried it and got no 202. */
  failedAttempts: number;
}

export interface LoadFigures {
  readonly tapsSent: number;
  readonly tapsAcked: number;
  readonly requests: number;
  /** Answers other than 202, by status ('error': no answer: reset, refused, timeout). */
  readonly failures: Record<string, number>;
  /** Taps sent again after a request that carried them failed. */
  readonly tapsRetried: number;
  readonly tapsNeverAcked: number;
}

export interface TapLoadOptions {
  readonly ingestUrl: string;
  readonly devices: readonly Device[];
  readonly traffic: CityTraffic;
  readonly tapsPerS: number;
  readonly tapsPerRequest: number;
  /** Devices posting at once; each waits for its answer before its next batch. */
  readonly concurrency: number;
}

const requestTimeoutMs = 15_000;
const retryMsMin = 200;
const retryMsMax = 2_000;

export class TapLoad {
  readonly fates = new Map<string, TapFate>();
  /** Valid batches ingest refused with a 4xx (never expected). */
  readonly refusals: string[] = [];
  readonly #options: TapLoadOptions;
  readonly #failures: Record<string, number> = {};
  #requests = 0;
  #retried = 0;
  /** New batches stop at this; retries go on until `deadlineMs`. */
  #generating = true;
  #deadlineMs = Number.POSITIVE_INFINITY;
  #nextSendMs = 0;
  #workers: Promise<void>[] = [];

  constructor(options: TapLoadOptions) {
    this.#options = options;
  }

  start(): void {
    this.#nextSendMs = Date.now();
    this.#workers = Array.from({ length: this.#options.concurrency }, (_, i) => this.#work(i));
  }

  /** No new taps; devices still retry what they hold until each got its 202, or until `retryMs` passed. */
  async finish(retryMs: number): Promise<LoadFigures> {
    this.#generating = false;
    this.#deadlineMs = Date.now() + retryMs;
    await Promise.all(this.#workers);
    return this.figures();
  }

  figures(): LoadFigures {
    let acked = 0;
    for (const fate of this.fates.values()) if (fate.acked) acked += 1;
    return {
      tapsSent: this.fates.size, tapsAcked: acked, requests: this.#requests, failures: { ...this.#failures }, tapsRetried: this.#retried,
      tapsNeverAcked: this.fates.size - acked,
    };
  }

  async #work(worker: number): Promise<void> {
    const { devices, traffic, tapsPerRequest, tapsPerS } = this.#options;
    for (let turn = worker; this.#generating; turn += this.#options.concurrency) {
      // One shared pace for all devices: a batch every tapsPerRequest / tapsPerS seconds.
      const waitMs = this.#nextSendMs - Date.now();
      this.#nextSendMs = Math.max(this.#nextSendMs, Date.now() - 1_000) + (tapsPerRequest * 1000) / tapsPerS;
      if (waitMs > 0) await sleep(waitMs);
      if (!this.#generating) return;
      const device = devices[turn % devices.length]!;
      const { taps } = traffic.batch(device, tapsPerRequest, Date.now());
      if (taps.length === 0) continue;
      for (const tap of taps) this.fates.set(tapKeyOf(tap), { acked: false, failedAttempts: 0 });
      await this.#deliver(device, Buffer.from(JSON.stringify({ taps })), taps);
    }
  }

  /** Sends the batch until a 202, or until the deadline once generation stopped. */
  async #deliver(device: Device, body: Buffer, taps: readonly Tap[]): Promise<void> {
    for (let attempt = 0; Date.now() < this.#deadlineMs; attempt += 1) {
      if (attempt > 0) this.#retried += taps.length;
      const answer = await this.#post(device, body);
      if (answer.status === 202) {
        for (const tap of taps) this.fates.get(tapKeyOf(tap))!.acked = true;
        return;
      }
      for (const tap of taps) this.fates.get(tapKeyOf(tap))!.failedAttempts += 1;
      const key = answer.status === 0 ? 'error' : String(answer.status);
      this.#failures[key] = (this.#failures[key] ?? 0) + 1;
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
        // A valid batch refused is a bug, not an outage: no retry makes it right. Reported, and its taps stay unacknowledged.
        this.refusals.push(`${device.deviceId}: ${answer.status} ${answer.text.slice(0, 300)}`);
        return;
      }
      await sleep(Math.min(retryMsMax, Math.max(retryMsMin, answer.retryAfterS * 1000)));
    }
  }

  async #post(device: Device, body: Buffer): Promise<{ status: number; retryAfterS: number; text: string }> {
    this.#requests += 1;
    const authorization = signRequest({ deviceId: device.deviceId, keyId: device.keyId, secret: device.secret, method: 'POST', target: '/v1/taps', timestampMs: Date.now(), body });
    try {
      const response = await fetch(`${this.#options.ingestUrl}/v1/taps`, {
        method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await response.text();
      return { status: response.status, retryAfterS: Number(response.headers.get('retry-after') ?? '0') || 0, text };
    } catch {
      return { status: 0, retryAfterS: 0, text: '' };
    }
  }
}

/** The ledger's duplicate key of a tap: `deviceId/tapId`. */
export function tapKeyOf(tap: Tap): string {
  return `${tap['deviceId'] as string}/${tap.tapId}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
