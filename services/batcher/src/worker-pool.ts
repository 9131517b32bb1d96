import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { assert } from '@fareledger/domain';
import type { SealedBlock } from '@fareledger/ledger';
import { tsWorkerBootUrl } from '@fareledger/runtime';
import type { SourceHandlers, SourceRecord } from './source.js';
import {
  type ChainWorkerConfig,
  type ChainWorkerInit,
  type CommitWorkerInit,
  packRecords,
  transferablesOf,
  type WorkerEvent,
  type WorkerRequest,
} from './worker-protocol.js';

// The chains this process owns, spread over worker threads: chain c runs on worker
// c mod n. The tap source stays on the main thread and hands each partition's records to
// its worker; a source that hands several partitions at once (the local log's round, Kafka's
// concurrent batches) keeps every worker busy. One more thread, the commit thread, stores
// the blocks every chain worker seals (commit-worker.ts).

export interface WorkerPoolOptions extends ChainWorkerConfig {
  readonly workers: number;
  readonly onSealed: (block: SealedBlock, taps: number) => void;
  readonly onRejected: (chain: number, offset: number, reason: string) => void;
  readonly onUnpriced: (chain: number, offset: number, code: string, reason: string) => void;
  readonly onAssigned: (chains: readonly number[], revoked: readonly number[]) => void;
  /** A worker died or failed a request: the service must stop (restart resumes from the ledger). */
  readonly onFailure: (error: Error) => void;
}

// Workers run the TypeScript sources as the main thread does, through tsx's loader, which
// runtime's worker-boot.mjs registers in the thread.
const bootUrl = tsWorkerBootUrl;
const chainWorkerUrl = new URL('./chain-worker.ts', import.meta.url).href;
const commitWorkerUrl = new URL('./commit-worker.ts', import.meta.url).href;

/**
 * A chain worker may be this many blocks ahead of the commit thread: it prepares the next
 * block while these are written and flushed. Each is about 1.1 MB in flight at 4,096
 * entries; more gives no more overlap than the commit thread's own speed allows.
 */
const blocksInFlightMax = 2;
/** How long the commit thread waits for another process's write lock (a rebalance overlap) before a commit fails. */
const commitBusyTimeoutMs = 5_000;

/**
 * A worker allocates a few objects per tap that die within a block (records, taps, trips,
 * encodings), and a block keeps thousands alive until it seals: a young generation of 64 MB
 * instead of V8's default 16 lets most of them die young instead of being copied out.
 * bench:seal medians: 71,000-74,000 taps/s against 62,000-72,000 with the default, in runs
 * alternated with it (a few percent, inside this VM's noise), for some tens of MB a worker.
 */
const workerYoungGenerationMb = 64;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** A worker thread answering requests by id (worker-protocol.ts); its other events go to onEvent. */
class WorkerThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited = false;
  readonly ready: Promise<unknown>;

  constructor(
    entryUrl: string,
    init: ChainWorkerInit | CommitWorkerInit,
    transferList: readonly MessagePort[],
    onEvent: (event: WorkerEvent) => void,
    onFailure: (error: Error) => void,
  ) {
    this.#worker = new Worker(bootUrl, {
      workerData: { ...init, entryUrl },
      transferList: [...transferList],
      resourceLimits: { maxYoungGenerationSizeMb: workerYoungGenerationMb },
    });
    this.ready = new Promise((resolve, reject) => this.#pending.set(0, { resolve, reject }));
    this.#worker.on('message', (event: WorkerEvent) => {
      if (event.type !== 'reply' && event.type !== 'failed') return onEvent(event);
      const pending = this.#pending.get(event.id);
      if (pending === undefined) return;
      this.#pending.delete(event.id);
      if (event.type === 'reply') return pending.resolve(event.value);
      const error = new Error(`batcher worker: ${event.message}`);
      if (event.stack !== undefined) error.stack = event.stack;
      pending.reject(error);
      onFailure(error);
    });
    this.#worker.on('error', (error) => {
      this.#failAll(error);
      onFailure(error);
    });
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      const error = new Error(`batcher worker exited with code ${code}`);
      if (this.#pending.size > 0) {
        this.#failAll(error);
        onFailure(error);
      }
    });
  }

  request(request: DistributiveOmit<WorkerRequest, 'id'>, transfer: readonly ArrayBuffer[] = []): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error('batcher worker has exited'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id }, [...transfer]);
    });
  }

  async terminate(): Promise<void> {
    if (!this.#exited) await this.#worker.terminate();
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class WorkerPool implements SourceHandlers {
  readonly #options: WorkerPoolOptions;
  readonly #workers: WorkerThread[];
  readonly #commitThread: WorkerThread;
  readonly #chains = new Set<number>();

  private constructor(options: WorkerPoolOptions) {
    assert(Number.isSafeInteger(options.workers) && options.workers >= 1, `workers ${options.workers}`);
    this.#options = options;
    const { workers, onSealed, onRejected, onUnpriced, onFailure, ...init } = options;
    const onEvent = (event: WorkerEvent): void => {
      if (event.type === 'sealed') onSealed(event.block, event.taps);
      else if (event.type === 'rejected') onRejected(event.chain, event.offset, event.reason);
      else if (event.type === 'unpriced') onUnpriced(event.chain, event.offset, event.code, event.reason);
    };
    const workerConfig: ChainWorkerConfig = {
      ledgerPath: init.ledgerPath, logName: init.logName, signingKeyPath: init.signingKeyPath,
      journeyMsMax: init.journeyMsMax, entriesPerBlockMax: init.entriesPerBlockMax, snapshotIntervalEntries: init.snapshotIntervalEntries,
      sealAgeMsMax: init.sealAgeMsMax,
    };
    // Per chain worker, a port pair and a shared counter the commit thread bumps after each answer.
    const links = Array.from({ length: workers }, () => ({ ports: new MessageChannel(), answers: new Int32Array(new SharedArrayBuffer(4)) }));
    const commitInit: CommitWorkerInit = {
      ledgerPath: init.ledgerPath, logName: init.logName, busyTimeoutMs: commitBusyTimeoutMs,
      channels: links.map(({ ports, answers }) => ({ port: ports.port1, answers })),
    };
    this.#commitThread = new WorkerThread(commitWorkerUrl, commitInit, links.map(({ ports }) => ports.port1), onEvent, onFailure);
    this.#workers = links.map(({ ports, answers }) => new WorkerThread(
      chainWorkerUrl, { ...workerConfig, commit: { port: ports.port2, answers }, blocksInFlightMax }, [ports.port2], onEvent, onFailure));
  }

  /** Starts the commit thread and the chain workers; resolves once each has opened the ledger. */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      await Promise.all([pool.#commitThread, ...pool.#workers].map((worker) => worker.ready));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get chains(): readonly number[] {
    return [...this.#chains].sort((a, b) => a - b);
  }

  async assigned(partitions: readonly number[]): Promise<ReadonlyMap<number, number>> {
    const starts = new Map<number, number>();
    await Promise.all(this.#byWorker(partitions).map(async ([worker, owned]) => {
      const pairs = (await worker.request({ type: 'assigned', partitions: owned })) as [number, number][];
      for (const [partition, offset] of pairs) starts.set(partition, offset);
    }));
    for (const partition of partitions) this.#chains.add(partition);
    this.#options.onAssigned(this.chains, []);
    return starts;
  }

  async revoked(partitions: readonly number[]): Promise<void> {
    await Promise.all(this.#byWorker(partitions).map(([worker, owned]) => worker.request({ type: 'revoked', partitions: owned })));
    for (const partition of partitions) this.#chains.delete(partition);
    this.#options.onAssigned(this.chains, partitions);
  }

  async records(partition: number, records: readonly SourceRecord[]): Promise<number> {
    const packed = packRecords(records);
    return (await this.#workerOf(partition).request({ type: 'records', partition, records: packed }, transferablesOf(packed))) as number;
  }

  /** The shutdown contract's middle step: the source has stopped; every worker seals what is pending. */
  async sealAll(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.request({ type: 'sealAll' })));
  }

  /**
   * Seals what is pending and waits until it is stored, closes each worker's ledger
   * connection, then the commit thread's, and ends the threads.
   */
  async close(): Promise<void> {
    await Promise.allSettled(this.#workers.map((worker) => worker.request({ type: 'close' })));
    await Promise.allSettled([this.#commitThread.request({ type: 'close' })]);
    await Promise.all([...this.#workers, this.#commitThread].map((worker) => worker.terminate()));
  }

  #workerOf(partition: number): WorkerThread {
    return this.#workers[partition % this.#workers.length]!;
  }

  #byWorker(partitions: readonly number[]): [WorkerThread, number[]][] {
    const groups = new Map<WorkerThread, number[]>();
    for (const partition of partitions) {
      const worker = this.#workerOf(partition);
      groups.set(worker, [...(groups.get(worker) ?? []), partition]);
    }
    return [...groups];
  }
}
