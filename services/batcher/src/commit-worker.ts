import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type BlockWrite, type CommitOutcome, LedgerCommitter } from '@fareledger/ledger';
import type { CommitChannel } from './block-sink.js';
import type { CommitWorkerInit, WorkerEvent, WorkerRequest } from './worker-protocol.js';
import { startProfiler } from './worker-profiler.js';

// The ledger's commit thread (docs/batcher.md, "Threads"): the only connection that writes
// the ledger in this process. Chain workers hand it prepared blocks and go on with the
// next ones; it stores whatever has queued up from every worker in one transaction (one
// WAL fsync for all of them: group commit), answers each worker, and copies the WAL back
// between groups. So the workers never queue for SQLite's write lock nor wait on a disk
// flush unless they are several blocks ahead. A throw here reaches the main thread, which
// stops the service; what was not committed is read again from the stored offsets.

const profiler = await startProfiler('commit-worker');
const port = parentPort;
if (port === null) throw new Error('commit-worker.ts runs as a worker thread (see worker-pool.ts)');
const init = workerData as CommitWorkerInit;
const post = (event: WorkerEvent): void => port.postMessage(event);
const committer = LedgerCommitter.open({ path: init.ledgerPath, logName: init.logName, busyTimeoutMs: init.busyTimeoutMs });
const channels: readonly CommitChannel[] = init.channels;

/**
 * Commits `first` (from channel `from`) with every write queued on any channel behind it,
 * in one transaction; answers each channel with its outcomes, in the order it sent them.
 */
function commitGroup(from: number, first: BlockWrite): void {
  const writes = [first];
  const sources = [from];
  channels.forEach((channel, index) => {
    for (let queued = receiveMessageOnPort(channel.port); queued !== undefined; queued = receiveMessageOnPort(channel.port)) {
      writes.push(queued.message as BlockWrite);
      sources.push(index);
    }
  });
  const outcomes = commitOrFail(writes);
  const answers = channels.map((): CommitOutcome[] => []);
  outcomes.forEach((outcome, i) => answers[sources[i]!]!.push(outcome));
  answers.forEach((list, index) => {
    if (list.length === 0) return;
    const channel = channels[index]!;
    channel.port.postMessage(list);
    Atomics.add(channel.answers, 0, 1);
    Atomics.notify(channel.answers, 0);
  });
  committer.maybeCheckpoint();
}

/** The group's outcomes; when the transaction itself fails (SQLITE_BUSY past the timeout, a full disk), every write failed. */
function commitOrFail(writes: readonly BlockWrite[]): CommitOutcome[] {
  try {
    return committer.commit(writes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return writes.map(() => ({ status: 'failed', message: `the commit of ${writes.length} blocks failed: ${message}` }));
  }
}

channels.forEach((channel, index) => channel.port.on('message', (write: BlockWrite) => commitGroup(index, write)));

port.on('message', async (request: WorkerRequest) => {
  if (request.type !== 'close') {
    post({ type: 'failed', id: request.id, message: `the commit thread takes no ${request.type} request`, stack: undefined });
    return;
  }
  for (const channel of channels) channel.port.close();
  committer.close();
  await profiler?.stop();
  post({ type: 'reply', id: request.id, value: undefined });
});
post({ type: 'reply', id: 0, value: 'ready' });
