import { serviceMain } from '@fareledger/runtime';
import { ingestHelp, loadIngestConfig } from './config.js';
import { startIngest } from './service.js';

// The ingest service's one entry point: config from the environment, then run until
// SIGINT/SIGTERM. `--help` lists every variable.
await serviceMain({
  name: 'ingest',
  help: ingestHelp,
  shutdownMsMaxEnv: 'INGEST_SHUTDOWN_MS_MAX',
  shutdownMsMaxDefault: 15_000,
  start: (logger, signal) => startIngest(loadIngestConfig(), { logger, signal }),
});
