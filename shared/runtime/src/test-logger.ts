// For this package's tests: not exported from index.ts.
import { createLogger, type Logger, type LogLevel } from './logger.js';

/** A logger whose JSON lines land in `lines`. */
export function capturingLogger(name: string, level: LogLevel = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(name, { level, destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, lines };
}
