import { parentPort, workerData } from 'node:worker_threads';
import { loadSzmFareTables, loadSzmNetwork } from '@fareledger/domain/node-data';
import { LedgerWriter, loadSigningKey } from '@fareledger/ledger';
import { Batcher } from './batcher.js';
import { ThreadBlockSink } from './block-sink.js';
import { startProfiler } from './worker-profiler.js';
import { type ChainWorkerInit, unpackRecords, type WorkerEvent, type WorkerRequest } from './worker-protocol.js';

// A chain worker: a Batcher for the chains the main thread gives it, with its own ledger
// connection for reading. Chains are independent (one per partition), so workers seal in
// parallel and hand their blocks to the commit thread, which stores them (block-sink.ts).
// A throw here reaches the main thread, which stops the service: what was not stored is
// read again from the stored offsets on restart.

const profiler = await startProfiler('chain-worker');
const port = parentPort;
if (port === null) throw new Error('chain-worker.ts runs as a worker thread (see worker-pool.ts)');
const init = workerData as ChainWorkerInit;
const post = (event: WorkerEvent): void => port.postMessage(event);

const writer = LedgerWriter.open({ path: init.ledgerPath, logName: init.logName, signer: loadSigningKey(init.signingKeyPath), create: true });
const batcher = new Batcher({
  writer,
  sink: new ThreadBlockSink(init.commit, init.blocksInFlightMax),
  tables: loadSzmFareTables(),
  network: loadSzmNetwork(),
  builderConfig: { journeyMsMax: init.journeyMsMax },
  entriesPerBlockMax: init.entriesPerBlockMax,
  snapshotIntervalEntries: init.snapshotIntervalEntries,
  sealAgeMsMax: init.sealAgeMsMax,
  nowMs: Date.now,
  onSealed: (block, taps) => post({ type: 'sealed', block, taps }),
  onRejected: (chain, offset, reason) => post({ type: 'rejected', chain, offset, reason }),
  onUnpriced: (chain, offset, error) => post({ type: 'unpriced', chain, offset, code: error.code, reason: error.message }),
});

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case 'assigned':
      return [...(await batcher.assigned(request.partitions))];
    case 'revoked':
      return batcher.revoked(request.partitions);
    case 'records':
      return batcher.records(request.partition, unpackRecords(request.records));
    case 'sealAll':
      return batcher.sealAll();
    case 'close':
      batcher.sealAll();
      writer.close();
      await profiler?.stop();
      return undefined;
  }
}

port.on('message', (request: WorkerRequest) => {
  // Every handler runs to completion synchronously (the promises are already settled), so
  // requests are handled in the order they were sent.
  handle(request).then(
    (value) => post({ type: 'reply', id: request.id, value }),
    (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      post({ type: 'failed', id: request.id, message: failure.message, stack: failure.stack });
    },
  );
});
post({ type: 'reply', id: 0, value: 'ready' });
