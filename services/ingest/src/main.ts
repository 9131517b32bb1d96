import { createLogger, type Logger, parseCliArgs, runService } from '@fareledger/runtime';
import { ingestHelp, loadIngestConfig } from './config.js';
import { startIngest } from './service.js';

// The ingest service's one entry point: config from the environment, then run until
// SIGINT/SIGTERM. `--help` lists every variable.
const action = parseCliArgs(process.argv.slice(2), ingestHelp);
if (action !== 'run') {
  process.exitCode = action === 'exit-0' ? 0 : 2;
} else {
  // A factory, so a bad LOG_LEVEL ends like any configuration error: its message, exit 2.
  let logger: Logger | undefined;
  const makeLogger = () => (logger ??= createLogger('ingest'));
  await runService({
    name: 'ingest',
    logger: makeLogger,
    shutdownMsMax: shutdownMsMax(),
    start: (signal) => startIngest(loadIngestConfig(), { logger: makeLogger(), signal }),
  });
}

/** Read before the config (runService needs it first); a bad value falls back to the default and start-up then reports it. */
function shutdownMsMax(): number {
  const value = Number(process.env.INGEST_SHUTDOWN_MS_MAX ?? '');
  return Number.isSafeInteger(value) && value > 0 ? value : 15_000;
}
