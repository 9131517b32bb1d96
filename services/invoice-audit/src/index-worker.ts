import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { setImmediate as turn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { LedgerReader } from '@fareledger/ledger';
import { LedgerIndex } from './ledger-index.js';
import { loadOperators } from './operators-file.js';

// The read copy's writer, in a worker thread of its own: it follows the ledger (its own
// read-only connection) and indexes what was sealed since, a transaction per batch, so the
// service's event loop never spends its time on index inserts (in the one-process city
// they would otherwise take a third of the thread that also serves devices). After each
// committed batch it tells the main thread how far every chain is indexed; the main
// thread's own connection reads what was committed.

export interface IndexWorkerData {
  readonly entryUrl: string;
  readonly ledgerPath: string;
  /** A replica's log name (its ledger file is checked against it); undefined for the batcher's file. */
  readonly logName?: string;
  readonly indexPath: string;
  readonly operatorsPath: string;
  readonly intervalMs: number;
  readonly batchEntriesMax: number;
  /** This thread's nice value (INVOICE_INDEX_NICE). */
  readonly nice: number;
}

/** From the main thread: `pass` runs a pass now and answers `passed`; `start` follows every intervalMs; `stop` closes the files and ends the thread. */
export type IndexWorkerRequest = { readonly type: 'pass'; readonly id: number } | { readonly type: 'start' } | { readonly type: 'stop' };

export type IndexWorkerEvent =
  | { readonly type: 'indexed'; readonly entries: number; readonly followed: readonly (readonly [chain: number, size: number])[] }
  | { readonly type: 'passed'; readonly id: number }
  /** Sent when the state changes: the error of the last pass, or undefined once a pass succeeds again. */
  | { readonly type: 'state'; readonly error: string | undefined };

const data = workerData as IndexWorkerData;
const port = parentPort!;
lowerPriority(data.nice);
const post = (event: IndexWorkerEvent) => port.postMessage(event);
const reader = LedgerReader.open({ path: data.ledgerPath, ...(data.logName === undefined ? {} : { logName: data.logName }) });
const index = LedgerIndex.open({ path: data.indexPath, logName: reader.logName, operators: loadOperators(data.operatorsPath) });
let lastError: string | undefined;
let stopped = false;
let timer: NodeJS.Timeout | undefined;
/** Passes run one after another: a requested pass waits for the scheduled one. */
let queue: Promise<void> = Promise.resolve();

async function pass(): Promise<void> {
  try {
    for (;;) {
      const indexed = index.follow(reader, data.batchEntriesMax);
      if (indexed > 0) post({ type: 'indexed', entries: indexed, followed: reader.chains().map(({ chain }) => [chain, index.followedSize(chain)] as const) });
      if (indexed < data.batchEntriesMax || stopped) break;
      await turn(); // a long catch-up still sees a stop between batches
    }
    setError(undefined);
  } catch (error) {
    setError(error instanceof Error ? error.message : String(error));
  }
}

function setError(error: string | undefined): void {
  if (error === lastError) return;
  lastError = error;
  post({ type: 'state', error });
}

function enqueue(work: () => Promise<void>): Promise<void> {
  queue = queue.then(work);
  return queue;
}

function schedule(): void {
  if (stopped) return;
  timer = setTimeout(() => void enqueue(pass).then(schedule), data.intervalMs);
}

/**
 * Linux keeps a nice value per thread: setpriority() given this thread's id (from
 * /proc/thread-self) lowers this thread only, not the service's request thread. Elsewhere,
 * or where it is refused, the worker runs at the process's priority.
 */
function lowerPriority(nice: number): void {
  if (nice === 0) return;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(threadId) && threadId > 0) setPriority(threadId, nice);
  } catch {
    // not Linux, or not allowed: same priority as the rest
  }
}

port.on('message', (request: IndexWorkerRequest) => {
  switch (request.type) {
    case 'pass':
      void enqueue(pass).then(() => post({ type: 'passed', id: request.id }));
      return;
    case 'start':
      schedule();
      return;
    case 'stop':
      stopped = true;
      clearTimeout(timer);
      void enqueue(async () => {
        index.close();
        reader.close();
        port.close(); // the thread exits: the follower waits for that
      });
  }
});
