import { readFileSync } from 'node:fs';
import { CheckpointError, parseVerifierKey, type VerifierKey } from '@fareledger/checkpoint';

// What the offline CLIs (fareledger-verify, fareledger-audit-verify) share: their usage
// error, reading a named file or standard input, and the --key option.

/** A bad command line: the CLI prints the message and its usage, and exits 2. */
export class UsageError extends Error {}

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
