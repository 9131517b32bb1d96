import type { LedgerReader } from '@fareledger/ledger';
import type { Logger } from '@fareledger/runtime';
import type { LedgerIndex } from './ledger-index.js';

// Keeps the read copy up with the ledger: every intervalMs it indexes what was sealed
// since, a batch per turn of the event loop (requests are served between batches), and
// wakes whoever waits for a new entry (a wallet's long poll for its tap's invoice).

export interface FollowerOptions {
  readonly reader: LedgerReader;
  readonly index: LedgerIndex;
  readonly intervalMs: number;
  readonly batchEntriesMax: number;
  readonly logger: Logger;
  /** Entries indexed, for metrics. */
  readonly onIndexed?: (entries: number) => void;
}

export class Follower {
  readonly #options: FollowerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #waiters = new Set<() => void>();
  #lastError: string | undefined;

  constructor(options: FollowerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Whether the last pass failed, and why: readiness reports it. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Indexes everything sealed so far, now (tests, and start-up before listening). */
  async catchUp(): Promise<void> {
    await this.#running;
    await this.#pass();
  }

  /** Resolves at the next indexed batch, or after `ms`, or when the signal aborts. */
  changed(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  /**
   * `read()` now and again after each indexed batch until `done` holds for what it read,
   * `ms` have passed or the signal aborts; resolves with the last value read (long polls).
   */
  async until<T>(read: () => T, done: (value: T) => boolean, ms: number, signal?: AbortSignal): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = read();
      const left = deadline - Date.now();
      if (done(value) || left <= 0 || signal?.aborted) return value;
      await this.changed(left, signal);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    for (const wake of [...this.#waiters]) wake();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#pass().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#options.intervalMs);
      });
    }, ms);
  }

  async #pass(): Promise<void> {
    const { reader, index, batchEntriesMax, logger } = this.#options;
    try {
      for (;;) {
        const indexed = index.follow(reader, batchEntriesMax);
        if (indexed > 0) {
          this.#options.onIndexed?.(indexed);
          for (const wake of [...this.#waiters]) wake();
        }
        if (indexed < batchEntriesMax || this.#stopped) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.#lastError !== undefined) logger.info('following the ledger again');
      this.#lastError = undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.#lastError !== message) logger.error({ err: error }, 'cannot follow the ledger; retrying');
      this.#lastError = message;
    }
  }
}
