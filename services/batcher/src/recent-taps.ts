import { assert } from '@fareledger/domain';

/**
 * A chain's taps of the latest `windowMs` of event time, in memory: the duplicate drop's
 * fast path. It is exact for what it covers: it holds every tap of the chain, sealed or
 * pending, whose event time is at or after `fromMs`, and every tap accepted since the last
 * prune, so such a tap is a duplicate exactly when it is here. An older tap that is not
 * here is not answered (the caller asks the ledger's duplicate index); a device's retry
 * comes seconds or minutes after its tap, so that is rare.
 */
export class RecentTaps {
  readonly #windowMs: number;
  /**
   * Event times by tap key: one number, or a list in the rare case a device reused a tap
   * id for a later tap. Keyed by the key the batcher builds anyway, rather than by a
   * key-and-time string: that string cost a concatenation and a hash per tap.
   */
  #times = new Map<string, number | number[]>();
  #size = 0;
  #fromMs = 0;

  constructor(windowMs: number) {
    assert(Number.isSafeInteger(windowMs) && windowMs > 0, `windowMs ${windowMs}`);
    this.#windowMs = windowMs;
  }

  get size(): number {
    return this.#size;
  }

  /** The oldest event time the window answers for. */
  get fromMs(): number {
    return this.#fromMs;
  }

  /** Starts over at `watermarkMs` − windowMs with the sealed taps from there on (read from the ledger). */
  reset(watermarkMs: number, sealed: Iterable<readonly [key: string, eventTimeMs: number]>): void {
    this.#fromMs = Math.max(0, watermarkMs - this.#windowMs);
    this.#times = new Map();
    this.#size = 0;
    for (const [key, eventTimeMs] of sealed) {
      assert(eventTimeMs >= this.#fromMs, 'RecentTaps.reset: a sealed tap older than the window');
      this.add(key, eventTimeMs);
    }
  }

  /**
   * Whether the tap with this key and event time is here; undefined when it is not and
   * is older than the window (ask the ledger).
   */
  has(key: string, eventTimeMs: number): boolean | undefined {
    const times = this.#times.get(key);
    if (times === eventTimeMs || (typeof times === 'object' && times.includes(eventTimeMs))) return true;
    return eventTimeMs < this.#fromMs ? undefined : false;
  }

  /**
   * A tap accepted into the chain (pending now, sealed soon). A late one, older than the
   * window, is kept too until the next prune: until it is sealed, the ledger cannot answer
   * for it.
   */
  add(key: string, eventTimeMs: number): void {
    const times = this.#times.get(key);
    if (times === undefined) this.#times.set(key, eventTimeMs);
    else if (typeof times === 'number') this.#times.set(key, [times, eventTimeMs]);
    else times.push(eventTimeMs);
    this.#size += 1;
  }

  /**
   * Moves the window up to `watermarkMs` − windowMs once that is a whole window ahead of
   * where it starts (so the sweep runs once a window), dropping older taps. Only when
   * nothing is pending: a dropped tap must be findable in the ledger.
   */
  prune(watermarkMs: number): void {
    const fromMs = watermarkMs - this.#windowMs;
    if (fromMs - this.#fromMs < this.#windowMs) return;
    this.#fromMs = fromMs;
    // forEach, not for-of: for-of allocated a [key, times] pair per tap of the window.
    this.#times.forEach((times, key) => {
      if (typeof times === 'number') {
        if (times < fromMs) this.#drop(key, 1);
        return;
      }
      const kept = times.filter((time) => time >= fromMs);
      if (kept.length === 0) this.#drop(key, times.length);
      else {
        this.#size -= times.length - kept.length;
        this.#times.set(key, kept.length === 1 ? kept[0]! : kept);
      }
    });
  }

  #drop(key: string, count: number): void {
    this.#times.delete(key);
    this.#size -= count;
  }
}

/** How the batcher names a tap among late ones looked up in the ledger: its key and event time, as a retry repeats both. */
export function idOf(key: string, eventTimeMs: number): string {
  return `${key}@${eventTimeMs}`;
}
