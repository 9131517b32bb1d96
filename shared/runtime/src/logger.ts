import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import { envEnum, loadConfig, type Setting } from './config.js';

/** A pino logger: JSON lines, one named logger per package. */
export type Logger = PinoLogger;

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Put this in a service's config spec so `--help` lists LOG_LEVEL and a bad value stops start-up. */
export const logLevelSetting: Setting<LogLevel> = {
  env: 'LOG_LEVEL',
  description: `Least severe log level written: ${logLevels.join(', ')}`,
  schema: envEnum(logLevels),
  default: 'info',
};

export interface LoggerOptions {
  /** Defaults to LOG_LEVEL from the environment, else `info`. */
  readonly level?: LogLevel;
  /** Defaults to stdout. Tests pass a sink to read the lines back. */
  readonly destination?: DestinationStream;
}

/**
 * A named logger writing JSON lines (`level` as a label, `time` as ISO 8601) to stdout.
 * pino's default stdout destination writes synchronously, so the last lines before an exit
 * are never lost. Throws `ConfigError` when LOG_LEVEL is set to an unknown level.
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? loadConfig({ logLevel: logLevelSetting }).logLevel;
  const settings = {
    name,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
