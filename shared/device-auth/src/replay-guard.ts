import { aBytes, aSafeUint, assert } from '@fareledger/domain';
import type { DeviceAuthorization } from './authorization.js';
import { signatureBytes } from './limits.js';

/** What ReplayGuard.admit decided. Only `accepted` lets a request through. */
export type ReplayVerdict =
  | 'accepted' // in the window and not seen before: now remembered
  | 'expired' // timestamp more than skewMsMax from the clock (401)
  | 'replayed' // this signature was already admitted (401)
  | 'full'; // entriesMax reached: refuse, never forget early (429/503 + Retry-After)

export interface ReplayGuardOptions {
  /** How far a device's clock may be from ours, either way. Default 30 s. */
  readonly skewMsMax?: number;
  /** Width of one expiry bucket; memory is freed one whole bucket at a time. Default 1 s. */
  readonly bucketMs?: number;
  /** Hard bound on remembered signatures. Default 1.5 M (about 96 MB, see below). */
  readonly entriesMax?: number;
}

export const skewMsMaxDefault = 30_000;
export const bucketMsDefault = 1_000;
/**
 * 20k req/s, each remembered until its timestamp leaves the window: 31 s with true device
 * clocks, up to 61 s (2 × skew + a bucket) for clocks 30 s fast: 0.6 M to 1.22 M entries.
 */
export const entriesMaxDefault = 1_500_000;

/** Bytes of the signature that key an entry: 128 bits, so a chance collision is out of reach. */
const keyBytes = 16;

/**
 * The replay window of one process. A request is admitted once: only if its timestamp is
 * within skewMsMax of the clock and its signature has not been admitted before. Since the
 * signature covers the timestamp, a replay carries the same timestamp, so a signature need
 * only be remembered until its timestamp leaves the window; after that the clock check
 * refuses it on its own.
 *
 * Entries live in one Set per bucketMs of timestamp; a whole bucket is dropped once every
 * timestamp it can hold is out of the window. No timers, no per-entry bookkeeping. At
 * entriesMax the guard refuses new signatures instead of dropping live ones, which would
 * reopen the window to replays.
 *
 * Call admit() only after verifySignature succeeded, so forged requests cannot fill it.
 *
 * Measured (Node 20.20, AMD EPYC, 2 cores, ad-hoc loop over 1.2 M distinct signatures,
 * heapUsed after gc): 64 bytes per entry (a 16-character one-byte string is 32 bytes, the
 * Set slot and its share of the table the rest), so 1.2 M entries take 76 MB and the
 * default entriesMax about 96 MB. admit() runs about 1.6 M/s when it accepts and 1.9 M/s
 * when it finds a replay: under 1 µs a request against ingest's 20k req/s.
 */
export class ReplayGuard {
  readonly skewMsMax: number;
  readonly bucketMs: number;
  readonly entriesMax: number;
  /** Bucket index (timestamp ÷ bucketMs, floored) → signature keys of that bucket. */
  private readonly buckets = new Map<number, Set<string>>();
  private entries = 0;
  /**
   * The latest clock reading seen. The window's lower edge follows it and never moves
   * back: if the clock steps back after a bucket was dropped, the signatures in that bucket
   * stay refused by the clock check instead of becoming admissible again.
   */
  private nowMsLatest = 0;
  /** Buckets below this index have been dropped. */
  private bucketLive = 0;

  constructor(options: ReplayGuardOptions = {}) {
    this.skewMsMax = options.skewMsMax ?? skewMsMaxDefault;
    this.bucketMs = options.bucketMs ?? bucketMsDefault;
    this.entriesMax = options.entriesMax ?? entriesMaxDefault;
    aSafeUint(this.skewMsMax, 'skewMsMax');
    aSafeUint(this.bucketMs, 'bucketMs');
    aSafeUint(this.entriesMax, 'entriesMax');
    assert(this.bucketMs >= 1, 'bucketMs must be at least 1');
  }

  /** Signatures remembered now. */
  get size(): number {
    return this.entries;
  }

  /** Decides one request and, if it is accepted, remembers its signature. `nowMs` is Date.now() in production. */
  admit(authorization: Pick<DeviceAuthorization, 'timestampMs' | 'signature'>, nowMs: number): ReplayVerdict {
    const { timestampMs, signature } = authorization;
    aSafeUint(timestampMs, 'timestampMs');
    aSafeUint(nowMs, 'nowMs');
    aBytes(signature, signatureBytes, 'signature');
    if (nowMs > this.nowMsLatest) {
      this.nowMsLatest = nowMs;
      this.expire();
    }
    if (timestampMs < this.nowMsLatest - this.skewMsMax || timestampMs > nowMs + this.skewMsMax) return 'expired';
    const bucketIndex = Math.floor(timestampMs / this.bucketMs);
    assert(bucketIndex >= this.bucketLive, 'a timestamp in the window fell in a dropped bucket');
    const key = signatureKey(signature);
    let bucket = this.buckets.get(bucketIndex);
    if (bucket?.has(key)) return 'replayed';
    if (this.entries >= this.entriesMax) return 'full';
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(bucketIndex, bucket);
    }
    bucket.add(key);
    this.entries += 1;
    return 'accepted';
  }

  /**
   * Bucket b holds timestamps b·B .. (b+1)·B − 1. All of them are out of the window once
   * (b+1)·B − 1 < now − skew, that is b < floor((now − skew) / B). Runs when that bound
   * moves, once per bucketMs at most, over the ~2·skew/B + 1 buckets that exist.
   */
  private expire(): void {
    const bucketLive = Math.floor((this.nowMsLatest - this.skewMsMax) / this.bucketMs);
    if (bucketLive <= this.bucketLive) return;
    this.bucketLive = bucketLive;
    for (const [index, bucket] of this.buckets) {
      if (index < bucketLive) {
        this.entries -= bucket.size;
        this.buckets.delete(index);
      }
    }
    assert(this.entries >= 0, 'entry count went negative');
  }
}

/** The first 16 signature bytes as a 16-character one-byte string: the cheapest Set key V8 has for them. */
function signatureKey(signature: Uint8Array): string {
  const bytes = Buffer.isBuffer(signature) ? signature : Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  return bytes.toString('latin1', 0, keyBytes);
}
