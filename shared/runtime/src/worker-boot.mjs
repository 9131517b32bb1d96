// The entry of TypeScript worker threads (the batcher's chain and commit workers, the audit
// jobs of invoice-audit): registers tsx's loader in
// this thread, then loads the TypeScript worker named by workerData.entryUrl.
// Node 20 does not apply an `--import` loader given in a worker's execArgv to the
// worker's own entry, so the loader is registered by hand.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entryUrl);
