import { Worker } from 'node:worker_threads';
import { type Logger, tsWorkerBootUrl } from '@fareledger/runtime';
import type { IndexWorkerData, IndexWorkerEvent, IndexWorkerRequest } from './index-worker.js';
import type { LedgerIndex } from './ledger-index.js';

// Keeps the read copy up with the ledger: a worker thread (index-worker.ts) indexes what
// was sealed since, every intervalMs; after each batch it commits, this side tells the
// service's index how far each chain is indexed and wakes whoever waits for a new entry
// (a wallet's long poll for its tap's invoice). A worker that dies is started again.

export interface FollowerOptions {
  /** The service's index (its reading connection), told how far the worker indexed. */
  readonly index: LedgerIndex;
  readonly worker: Omit<IndexWorkerData, 'entryUrl'>;
  readonly logger: Logger;
  /** Entries indexed, for metrics. */
  readonly onIndexed?: (entries: number) => void;
}

const workerUrl = new URL('./index-worker.ts', import.meta.url).href;
const restartDelayMs = 1000;
/** A worker inside one huge transaction gets this long to finish it on stop; the index then resumes at the last commit. */
const stopWaitMsMax = 10_000;

export class Follower {
  readonly #options: FollowerOptions;
  #worker: Worker;
  #started = false;
  #stopped = false;
  #waiters = new Set<() => void>();
  #lastError: string | undefined;
  #nextPassId = 0;
  readonly #passes = new Map<number, () => void>();
  #exited: Promise<void> = Promise.resolve();

  constructor(options: FollowerOptions) {
    this.#options = options;
    this.#worker = this.#spawn();
  }

  start(): void {
    this.#started = true;
    this.#send({ type: 'start' });
  }

  /** Whether the last pass failed, and why: readiness reports it. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Indexes everything sealed so far, now (tests, and start-up before listening). */
  catchUp(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const id = (this.#nextPassId += 1);
    return new Promise((resolve) => {
      this.#passes.set(id, resolve);
      this.#send({ type: 'pass', id });
    });
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

  /** Lets the worker finish its batch and close the index, then wakes every waiter. */
  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#send({ type: 'stop' });
    }
    const stuck = setTimeout(() => void this.#worker.terminate(), stopWaitMsMax);
    await this.#exited;
    clearTimeout(stuck);
    this.#wake();
    for (const resolve of this.#passes.values()) resolve();
    this.#passes.clear();
  }

  #spawn(): Worker {
    const data: IndexWorkerData = { entryUrl: workerUrl, ...this.#options.worker };
    const worker = new Worker(tsWorkerBootUrl, { workerData: data });
    worker.on('message', (event: IndexWorkerEvent) => this.#receive(event));
    worker.on('error', (error) => {
      this.#lastError = `the index worker failed: ${error.message}`;
      this.#options.logger.error({ err: error }, 'the index worker failed');
    });
    this.#exited = new Promise((resolve) => worker.once('exit', () => {
      resolve();
      if (this.#stopped) return;
      this.#lastError ??= 'the index worker exited';
      this.#options.logger.error('the index worker exited; starting it again');
      setTimeout(() => this.#restart(), restartDelayMs).unref();
    }));
    return worker;
  }

  #restart(): void {
    if (this.#stopped) return;
    this.#worker = this.#spawn();
    if (this.#started) this.#send({ type: 'start' });
    for (const id of this.#passes.keys()) this.#send({ type: 'pass', id });
  }

  #send(request: IndexWorkerRequest): void {
    this.#worker.postMessage(request);
  }

  #receive(event: IndexWorkerEvent): void {
    switch (event.type) {
      case 'indexed':
        for (const [chain, size] of event.followed) this.#options.index.observeFollowed(chain, size);
        this.#options.onIndexed?.(event.entries);
        this.#wake();
        return;
      case 'passed':
        this.#passes.get(event.id)?.();
        this.#passes.delete(event.id);
        return;
      case 'state':
        if (event.error === undefined && this.#lastError !== undefined) this.#options.logger.info('following the ledger again');
        if (event.error !== undefined && event.error !== this.#lastError) this.#options.logger.error({ err: event.error }, 'cannot follow the ledger; retrying');
        this.#lastError = event.error;
        return;
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
