import { readFileSync } from 'node:fs';
import { CheckpointError, parseVerifierKey, type VerifierKey } from '@fareledger/checkpoint';

// What the offline CLIs (fareledger-verify, fareledger-audit-verify) share: their usage
// error and how it is reported, reading a named file or standard input, and the --key option.

/** A bad command line: the CLI prints the message and its usage, and exits 2. */
export class UsageError extends Error {}

/**
 * The command line parsed by `parse`, or the exit status when there is nothing to run:
 * 0 after printing the usage for --help, 2 after printing a usage error and the usage.
 */
export function optionsOrExit<T>(command: string, usage: string, parse: () => T | 'help'): T | 0 | 2 {
  let options: T | 'help';
  try {
    options = parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (options !== 'help') return options;
  process.stdout.write(usage);
  return 0;
}

export function readText(path: string, what: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A --key value is a verifier key, or a file holding one per line (# comments allowed). */
export function keysOf(value: string): VerifierKey[] {
  const looksLikeKey = /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(value);
  const lines = looksLikeKey ? [value] : readText(value, 'key file').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length === 0) throw new UsageError(`no verifier key in ${value}`);
  return lines.map((line) => {
    try {
      return parseVerifierKey(line);
    } catch (error) {
      if (error instanceof CheckpointError) throw new UsageError(`not a verifier key: ${JSON.stringify(line.slice(0, 100))} (${error.message})`);
      throw error;
    }
  });
}
