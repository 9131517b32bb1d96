// The entry of the batcher's worker threads (worker-pool.ts): registers tsx's loader in
// this thread, then loads the TypeScript worker (chain-worker.ts or commit-worker.ts).
// Node 20 does not apply an `--import` loader given in a worker's execArgv to the
// worker's own entry, so the loader is registered by hand.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entryUrl);
