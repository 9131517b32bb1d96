import { assert } from '@fareledger/domain';
import { ConfigError, parseCliArgs } from './config.js';
import { createLogger, type Logger } from './logger.js';

/** What `start` returns: the running service, stopped in the service's own shutdown order. */
export interface ServiceHandle {
  stop(): Promise<void>;
}

export interface RunServiceOptions {
  readonly name: string;
  /**
   * The service's logger, or a function making it: a factory that throws `ConfigError` (an
   * unknown LOG_LEVEL) then ends the process like any other configuration error, with exit 2.
   */
  readonly logger: Logger | (() => Logger);
  /**
   * Starts everything (read config here, so a bad one exits 2). `signal` aborts when shutdown
   * begins, even while start is still running: pass it to `healthRoutes` and long waits.
   */
  readonly start: (signal: AbortSignal) => Promise<ServiceHandle>;
  /** After the first signal (or a failed start), exit 1 if the process is still alive after this. */
  readonly shutdownMsMax: number;
}

const shutdownSignals = ['SIGINT', 'SIGTERM'] as const;
/** The same signal again within this is one signal relayed twice (see onSignal). */
const repeatedSignalMs = 500;

/**
 * The whole life of a service process (the atproto / practica pattern):
 * - start; log `started`, or log the failure and exit 1 (`ConfigError`: its message alone on
 *   stderr, exit 2);
 * - on the first SIGINT/SIGTERM: abort the signal, log, `stop()`, set `process.exitCode`
 *   (0 clean, 1 failed) and let the event loop drain, so every log line and socket is flushed;
 * - an unref'd timer exits 1 if stop hangs, or if something still holds the loop after
 *   `shutdownMsMax`; a second signal exits 1 at once (the same one within 500 ms is a relayed
 *   copy of the first, and ignored).
 * Resolves once start has finished (or failed); the process then lives on its own handles.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { name, shutdownMsMax } = options;
  assert(Number.isSafeInteger(shutdownMsMax) && shutdownMsMax > 0, 'runService: shutdownMsMax must be a positive integer');
  let logger: Logger;
  try {
    logger = typeof options.logger === 'function' ? options.logger() : options.logger;
  } catch (error) {
    return failStart(error, undefined, name, shutdownMsMax);
  }

  const controller = new AbortController();
  let handle: ServiceHandle | undefined;
  let signalled: NodeJS.Signals | undefined;

  const stop = (running: ServiceHandle): void => {
    let stopped = false;
    setTimeout(() => {
      const why = stopped ? 'stopped, but something still holds the event loop' : 'stop did not finish within shutdownMsMax';
      logger.fatal({ service: name, shutdownMsMax }, `${why}; forcing exit`);
      process.exit(1);
    }, shutdownMsMax).unref();
    running
      .stop()
      .then(
        () => {
          stopped = true;
          process.exitCode = 0;
          logger.info({ service: name }, 'stopped');
        },
        (error: unknown) => {
          process.exitCode = 1;
          logger.error({ service: name, err: error }, 'stop failed');
        },
      )
      // From here a signal has its default effect again: the process is on its way out.
      .finally(() => {
        for (const s of shutdownSignals) process.off(s, onSignal);
      });
  };

  let signalledAtMs = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    // npm and tsx relay a SIGTERM to the process they run, so one `kill` of `npm start` can
    // arrive twice within milliseconds: the same signal that soon is that one, not a second.
    if (signal === signalled && performance.now() - signalledAtMs < repeatedSignalMs) return;
    if (signalled !== undefined) {
      logger.fatal({ service: name, signal }, 'second signal; forcing exit');
      process.exit(1);
    }
    signalled = signal;
    signalledAtMs = performance.now();
    // Until stop succeeds, the exit is a failure: if stop hangs on something that does not
    // hold the event loop, the process ends by itself, and must not end with 0.
    process.exitCode = 1;
    logger.info({ service: name, signal }, 'stopping');
    controller.abort(new Error(`received ${signal}`));
    if (handle !== undefined) stop(handle); // else: stopped as soon as start returns
  };
  for (const s of shutdownSignals) process.on(s, onSignal);

  try {
    handle = await options.start(controller.signal);
  } catch (error) {
    for (const s of shutdownSignals) process.off(s, onSignal);
    return failStart(error, logger, name, shutdownMsMax);
  }
  logger.info({ service: name }, 'started');
  if (signalled !== undefined) stop(handle);
}

function failStart(error: unknown, logger: Logger | undefined, name: string, shutdownMsMax: number): void {
  if (error instanceof ConfigError) {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    if (logger === undefined) process.stderr.write(`${name}: failed to start: ${String(error)}\n`);
    else logger.fatal({ service: name, err: error }, 'failed to start');
    process.exitCode = 1;
  }
  // Whatever start had opened before it failed may hold the event loop: do not wait for ever.
  const exitCode = process.exitCode;
  setTimeout(() => process.exit(exitCode), shutdownMsMax).unref();
}

export interface ServiceMainOptions {
  /** The service's name: its logger's name and the `service` field of lifecycle logs. */
  readonly name: string;
  /** `--help` text (configHelp). */
  readonly help: string;
  /** The env variable of the service's shutdown bound, read before the config (runService needs it first). */
  readonly shutdownMsMaxEnv: string;
  readonly shutdownMsMaxDefault: number;
  /** Reads the config (a ConfigError exits 2) and starts the service. */
  readonly start: (logger: Logger, signal: AbortSignal) => Promise<ServiceHandle>;
  /**
   * Flags the command takes besides `--help`, each a shorthand for environment variables
   * (`--no-sim` → `CITY_SIMULATE=false`), set before the config is read; list them in the help.
   */
  readonly flags?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * A service's whole `main.ts`: `--help` (exit 0) or a stray argument (exit 2), else
 * runService. The logger is made lazily, so a bad LOG_LEVEL ends like any configuration
 * error: its message, exit 2. A malformed shutdown bound falls back to the default here;
 * the config then reports it by name.
 */
export async function serviceMain(options: ServiceMainOptions): Promise<void> {
  const flags = options.flags ?? {};
  const args = process.argv.slice(2);
  for (const arg of args) if (Object.hasOwn(flags, arg)) Object.assign(process.env, flags[arg]);
  const action = parseCliArgs(args.filter((arg) => !Object.hasOwn(flags, arg)), options.help);
  if (action !== 'run') {
    process.exitCode = action === 'exit-0' ? 0 : 2;
    return;
  }
  let logger: Logger | undefined;
  const makeLogger = () => (logger ??= createLogger(options.name));
  const bound = Number(process.env[options.shutdownMsMaxEnv] ?? '');
  await runService({
    name: options.name,
    logger: makeLogger,
    shutdownMsMax: Number.isSafeInteger(bound) && bound > 0 ? bound : options.shutdownMsMaxDefault,
    start: (signal) => options.start(makeLogger(), signal),
  });
}
