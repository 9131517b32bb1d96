import { createLogger, type Logger, parseCliArgs, runService } from '@fareledger/runtime';
import { batcherHelp, loadBatcherConfig } from './config.js';
import { startBatcher } from './service.js';

// The batcher's one entry point: config from the environment, then run until SIGINT/SIGTERM.
const action = parseCliArgs(process.argv.slice(2), batcherHelp);
if (action !== 'run') {
  process.exitCode = action === 'exit-0' ? 0 : 2;
} else {
  let logger: Logger | undefined;
  const makeLogger = () => (logger ??= createLogger('batcher'));
  await runService({
    name: 'batcher',
    logger: makeLogger,
    shutdownMsMax: shutdownMsMax(),
    start: (signal) => startBatcher(loadBatcherConfig(), { logger: makeLogger(), signal }),
  });
}

/** Read before the config (runService needs it first); a bad value is reported by the config. */
function shutdownMsMax(): number {
  const value = Number(process.env.BATCHER_SHUTDOWN_MS_MAX ?? '');
  return Number.isSafeInteger(value) && value > 0 ? value : 15_000;
}
