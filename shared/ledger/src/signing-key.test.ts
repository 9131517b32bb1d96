import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSignerKey, parseSignerKey } from '@fareledger/checkpoint';
import { afterAll, describe, expect, it } from 'vitest';
import { keyA, tempDir } from '../test/helpers.js';
import { SigningKeyFileError } from './errors.js';
import { createSigningKeyFile, loadSigningKey } from './signing-key.js';

const dir = tempDir('keys');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const freshPath = () => join(dir, `key-${serial++}`);

function writeKey(path: string, text: string, mode: number): void {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode); // the umask may have cleared bits the test wants set
}

describe('signing key files', () => {
  it('creates a new key with mode 0600 that loads back to the same key', () => {
    const path = join(dir, 'new', 'signing.key');
    const created = createSigningKeyFile(path, 'fareledger.test/dev');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(`${formatSignerKey(created)}\n`);
    expect(text).toMatch(/^PRIVATE\+KEY\+fareledger\.test\/dev\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\n$/);
    const loaded = loadSigningKey(path);
    expect([loaded.name, loaded.keyHash, Buffer.from(loaded.seed).toString('hex')])
      .toEqual([created.name, created.keyHash, Buffer.from(created.seed).toString('hex')]);
  });

  it('refuses to overwrite an existing file', () => {
    const path = freshPath();
    writeKey(path, `${formatSignerKey(keyA)}\n`, 0o600);
    expect(() => createSigningKeyFile(path, 'fareledger.test/dev')).toThrow(
      new SigningKeyFileError(path, 'exists', `signing key ${path} already exists; refusing to overwrite it`));
    expect(readFileSync(path, 'utf8')).toBe(`${formatSignerKey(keyA)}\n`);
  });

  it('loads a Go-format key with or without its final newline', () => {
    for (const text of [formatSignerKey(keyA), `${formatSignerKey(keyA)}\n`]) {
      const path = freshPath();
      writeKey(path, text, 0o400);
      expect(loadSigningKey(path).keyHash).toBe(keyA.keyHash);
    }
    // Go's documentation example key, as written by note.GenerateKey.
    const path = freshPath();
    writeKey(path, 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n', 0o600);
    expect(loadSigningKey(path).keyHash).toBe(parseSignerKey('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').keyHash);
  });

  it.each([0o640, 0o604, 0o644, 0o660, 0o602])('refuses a key file with mode %o, naming the path and chmod 600', (mode) => {
    const path = freshPath();
    writeKey(path, `${formatSignerKey(keyA)}\n`, mode);
    const text = mode.toString(8).padStart(4, '0');
    expect(() => loadSigningKey(path)).toThrow(new SigningKeyFileError(path, 'too-open',
      `signing key ${path} is accessible by group or others (mode ${text}); restrict it with: chmod 600 ${path}`));
  });

  it('refuses a missing file, a directory, a symbolic link, and text that is not a key, without echoing it', () => {
    const missing = freshPath();
    expect(() => loadSigningKey(missing)).toThrow(new SigningKeyFileError(missing, 'missing', `no signing key at ${missing}`));
    const directory = freshPath();
    mkdirSync(directory, { mode: 0o700 });
    expect(() => loadSigningKey(directory)).toThrow(new SigningKeyFileError(directory, 'not-a-file', `signing key ${directory} is not a regular file`));
    const target = freshPath();
    writeKey(target, `${formatSignerKey(keyA)}\n`, 0o600);
    const link = freshPath();
    symlinkSync(target, link);
    expect(() => loadSigningKey(link)).toThrow(expect.objectContaining({ reason: 'not-a-file' }));
    const bad = freshPath();
    const secretish = formatSignerKey(keyA).slice(0, -3);
    writeKey(bad, secretish, 0o600);
    expect(() => loadSigningKey(bad)).toThrow(new SigningKeyFileError(bad, 'malformed',
      `signing key ${bad} is not a note signer key (one line: PRIVATE+KEY+<name>+<hash>+<base64>)`));
  });
});
