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
  #ids = new Set<string>();
  #fromMs = 0;

  constructor(windowMs: number) {
    assert(Number.isSafeInteger(windowMs) && windowMs > 0, `windowMs ${windowMs}`);
    this.#windowMs = windowMs;
  }

  get size(): number {
    return this.#ids.size;
  }

  /** The oldest event time the window answers for. */
  get fromMs(): number {
    return this.#fromMs;
  }

  /** Starts over at `watermarkMs` − windowMs with the sealed taps from there on (read from the ledger). */
  reset(watermarkMs: number, sealed: Iterable<readonly [key: string, eventTimeMs: number]>): void {
    this.#fromMs = Math.max(0, watermarkMs - this.#windowMs);
    this.#ids = new Set();
    for (const [key, eventTimeMs] of sealed) {
      assert(eventTimeMs >= this.#fromMs, 'RecentTaps.reset: a sealed tap older than the window');
      this.#ids.add(idOf(key, eventTimeMs));
    }
  }

  /**
   * Whether the tap `id` (idOf its key and event time) is here; undefined when it is not
   * and is older than the window (ask the ledger).
   */
  has(id: string, eventTimeMs: number): boolean | undefined {
    if (this.#ids.has(id)) return true;
    return eventTimeMs < this.#fromMs ? undefined : false;
  }

  /**
   * A tap accepted into the chain (pending now, sealed soon). A late one, older than the
   * window, is kept too until the next prune: until it is sealed, the ledger cannot answer
   * for it.
   */
  add(id: string): void {
    this.#ids.add(id);
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
    for (const id of this.#ids) if (timeOf(id) < fromMs) this.#ids.delete(id);
  }
}

/** How the duplicate drop names a tap: its key and event time, as a retry repeats both. */
export function idOf(key: string, eventTimeMs: number): string {
  return `${key}@${eventTimeMs}`;
}

function timeOf(id: string): number {
  return Number(id.slice(id.lastIndexOf('@') + 1));
}
