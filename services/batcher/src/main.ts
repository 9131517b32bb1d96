import { serviceMain } from '@fareledger/runtime';
import { batcherHelp, loadBatcherConfig } from './config.js';
import { startBatcher } from './service.js';

// The batcher's one entry point: config from the environment, then run until SIGINT/SIGTERM.
await serviceMain({
  name: 'batcher',
  help: batcherHelp,
  shutdownMsMaxEnv: 'BATCHER_SHUTDOWN_MS_MAX',
  shutdownMsMaxDefault: 15_000,
  start: (logger, signal) => startBatcher(loadBatcherConfig(), { logger, signal }),
});
