// A service process for lifecycle.test.ts: `node --import tsx lifecycle-child.ts <mode>`.
// Each mode is one way a start or a stop can go; the test sends the signals.
import { envInt, loadConfig } from '../src/config.js';
import { runService, type ServiceHandle } from '../src/lifecycle.js';
import { createLogger } from '../src/logger.js';

const mode = process.argv[2] ?? 'clean';
const logger = createLogger('lifecycle-child', { level: 'info' });

/** Something that holds the event loop, as a listening server would. */
function holdLoop(): () => void {
  const timer = setInterval(() => {}, 1000);
  return () => clearInterval(timer);
}

const never = new Promise<void>(() => {});

async function start(signal: AbortSignal): Promise<ServiceHandle> {
  logger.info({ mode }, 'starting');
  if (mode === 'start-fails') throw new Error('no broker reachable at 127.0.0.1:1');
  if (mode === 'config-error') loadConfig({ port: { env: 'CHILD_PORT', description: 'port', schema: envInt({ min: 1, max: 65_535 }) } }, {});
  const release = holdLoop(); // before any wait: a signal handler alone does not keep Node alive
  if (mode === 'signal-during-start') await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  const stops: Record<string, () => Promise<void>> = {
    clean: async () => {
      logger.info({ aborted: signal.aborted }, 'closing');
      release();
    },
    'signal-during-start': async () => release(),
    'stop-fails': async () => {
      release();
      throw new Error('could not commit offsets');
    },
    'stop-hangs': () => never, // the loop is still held, so only the timer can end it
    'stop-hangs-idle': () => {
      release(); // nothing holds the loop while stop is stuck: the exit code must still be 1
      return never;
    },
    leak: async () => {}, // never releases the loop
    'second-signal': () => never,
    'relayed-signal': async () => {
      await new Promise((resolve) => setTimeout(resolve, 200)); // the relayed copy arrives while stop runs
      release();
    },
  };
  const stop = stops[mode];
  if (stop === undefined) throw new Error(`unknown mode ${mode}`);
  return { stop };
}

await runService({
  name: 'lifecycle-child',
  logger: mode === 'bad-log-level' ? () => createLogger('lifecycle-child') : logger,
  start,
  shutdownMsMax: mode === 'second-signal' ? 60_000 : 300,
});
