import { closeSync, openSync, statSync } from 'node:fs';

/**
 * Creates the file with mode 0600 if it is missing, so no other user ever sees it
 * readable, and returns its permission bits when group or others have any access to it
 * (an existing file made looser by hand), or null when it is private. Windows has no such
 * bits: always null there.
 */
export function ensurePrivateFile(path: string): number | null {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = statSync(path).mode & 0o777;
  return process.platform !== 'win32' && (mode & 0o077) !== 0 ? mode : null;
}
