import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { CheckpointError, formatSignerKey, generateSignerKey, parseSignerKey, type SignerKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { SigningKeyFileError } from './errors.js';

// The ledger's Ed25519 note signing key on disk: one line in Go's note format,
// `PRIVATE+KEY+<name>+<hash>+<base64>` (docs/checkpoints.md, "Keys"). Like an SSH private
// key, a file that group or others may read or write is refused: a leaked ledger key lets
// anyone sign checkpoints that every verifier accepts. Messages name the path, never the
// key.

/** Longest key file accepted: a key line is under 200 bytes; this bounds the read. */
const keyFileBytesMax = 4_096;

/**
 * Reads the signing key at `path`. SigningKeyFileError when the file is missing, not a
 * regular file, readable or writable by group or others (fix: chmod 600), or not a key.
 */
export function loadSigningKey(path: string): SignerKey {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw openError(path, error as NodeJS.ErrnoException);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SigningKeyFileError(path, 'not-a-file', `signing key ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new SigningKeyFileError(path, 'too-open',
        `signing key ${path} is accessible by group or others (mode ${mode}); restrict it with: chmod 600 ${path}`);
    }
    if (stat.size > keyFileBytesMax) throw malformed(path);
    return parseKeyText(path, readFileSync(fd, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

function parseKeyText(path: string, text: string): SignerKey {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  try {
    return parseSignerKey(line, { ed25519: ed25519Node });
  } catch (error) {
    if (error instanceof CheckpointError) throw malformed(path);
    throw error;
  }
}

function malformed(path: string): SigningKeyFileError {
  return new SigningKeyFileError(path, 'malformed', `signing key ${path} is not a note signer key (one line: PRIVATE+KEY+<name>+<hash>+<base64>)`);
}

function openError(path: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT') return new SigningKeyFileError(path, 'missing', `no signing key at ${path}`);
  if (error.code === 'ELOOP') return new SigningKeyFileError(path, 'not-a-file', `signing key ${path} is a symbolic link; point the configuration at the file itself`);
  return error;
}

/**
 * Creates a new random signing key named `name` at `path`, mode 0600, and returns it.
 * For the embedded dev mode only, and the caller logs that it did so. Refuses to
 * overwrite an existing file (SigningKeyFileError 'exists'): a key is never replaced by
 * accident, since checkpoints signed with it would lose their key.
 */
export function createSigningKeyFile(path: string, name: string): SignerKey {
  const key = generateSignerKey(name, { ed25519: ed25519Node });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SigningKeyFileError(path, 'exists', `signing key ${path} already exists; refusing to overwrite it`);
    }
    throw error;
  }
  try {
    writeSync(fd, `${formatSignerKey(key)}\n`);
    // A key that vanished in a power loss after the first checkpoint it signed would leave
    // that checkpoint unverifiable by a key nobody can publish.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}
