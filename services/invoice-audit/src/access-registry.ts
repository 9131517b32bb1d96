import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { accountLengthMax, assert } from '@fareledger/domain';
import { ensurePrivateFile } from '@fareledger/runtime';
import Database from 'better-sqlite3';

// Bearer tokens of the wallet door (bound to one account) and the audit door (read-all).
// Only their SHA-256 is stored, so the file lets nobody in; it is still created 0600. A
// token is looked up once per refresh period at most: lookups hit a cache that is dropped
// when another connection changed the file (PRAGMA data_version) or this one revoked.

export const roles = ['wallet', 'auditor'] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  readonly tokenId: string;
  readonly role: Role;
  /** The account a wallet token may read; null for an auditor. */
  readonly account: string | null;
}

export interface TokenRecord extends Principal {
  readonly label: string | null;
  readonly createdAtMs: number;
  readonly revokedAtMs: number | null;
}

export interface IssuedToken {
  readonly record: TokenRecord;
  /** Shown once: only its hash is kept. */
  readonly token: string;
}

const tokenPrefix: Readonly<Record<Role, string>> = { wallet: 'flw_', auditor: 'fla_' };
/** `flw_` or `fla_` and 43 base64url characters (32 random bytes). */
export const tokenPattern = /^fl[wa]_[A-Za-z0-9_-]{43}$/;
const cacheEntriesMax = 100_000;

export class AccessFileModeError extends Error {
  override readonly name = 'AccessFileModeError';
  constructor(readonly path: string, readonly mode: number) {
    super(`access file ${path} has mode 0${mode.toString(8)}; keep it private: chmod 600 ${path}`);
  }
}

export class TokenNotFoundError extends Error {
  override readonly name = 'TokenNotFoundError';
  constructor(readonly tokenId: string) {
    super(`no token ${tokenId}`);
  }
}

const schema = `
  CREATE TABLE IF NOT EXISTS tokens (
    token_sha256  BLOB PRIMARY KEY,
    token_id      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('wallet', 'auditor')),
    account       TEXT CHECK ((role = 'wallet') = (account IS NOT NULL)),
    label         TEXT,
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
  ) STRICT;
  CREATE INDEX IF NOT EXISTS tokens_by_account ON tokens (account, created_at_ms);
`;

interface TokenRow {
  token_id: string;
  role: Role;
  account: string | null;
  label: string | null;
  created_at_ms: number;
  revoked_at_ms: number | null;
}

const columns = 'token_id, role, account, label, created_at_ms, revoked_at_ms';

export class AccessRegistry {
  readonly #db: Database.Database;
  readonly #nowMs: () => number;
  readonly #refreshMs: number;
  readonly #s;
  readonly #cache = new Map<string, Principal | null>();
  #dataVersion = -1;
  #checkedAtMs = -Infinity;

  private constructor(db: Database.Database, refreshMs: number, nowMs: () => number) {
    this.#db = db;
    this.#refreshMs = refreshMs;
    this.#nowMs = nowMs;
    this.#s = {
      insert: db.prepare<[Buffer, string, Role, string | null, string | null, number]>(
        'INSERT INTO tokens (token_sha256, token_id, role, account, label, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      byHash: db.prepare<[Buffer], TokenRow>(`SELECT ${columns} FROM tokens WHERE token_sha256 = ?`),
      byId: db.prepare<[string], TokenRow>(`SELECT ${columns} FROM tokens WHERE token_id = ?`),
      byAccount: db.prepare<[string], TokenRow>(`SELECT ${columns} FROM tokens WHERE account = ? ORDER BY created_at_ms, token_id`),
      all: db.prepare<[number], TokenRow>(`SELECT ${columns} FROM tokens ORDER BY created_at_ms, token_id LIMIT ?`),
      revoke: db.prepare<[number, string]>('UPDATE tokens SET revoked_at_ms = ? WHERE token_id = ? AND revoked_at_ms IS NULL'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
  }

  static open(options: { readonly path: string; readonly refreshMs: number; readonly nowMs?: () => number }): AccessRegistry {
    preparePrivateFile(options.path);
    const db = new Database(options.path, { timeout: 5_000 });
    try {
      db.pragma('journal_mode = WAL');
      // A revocation must survive a power loss.
      db.pragma('synchronous = FULL');
      db.exec(schema);
      return new AccessRegistry(db, options.refreshMs, options.nowMs ?? Date.now);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  issue(input: { readonly role: Role; readonly account?: string; readonly label?: string }): IssuedToken {
    const { role } = input;
    const account = input.account ?? null;
    assert((role === 'wallet') === (account !== null), 'a wallet token names one account, an auditor token none');
    assert(account === null || (account.length >= 1 && account.length <= accountLengthMax), 'account length');
    const token = tokenPrefix[role] + randomBytes(32).toString('base64url');
    const tokenId = `tok_${randomBytes(8).toString('hex')}`;
    const createdAtMs = this.#nowMs();
    this.#s.insert.run(sha256(token), tokenId, role, account, input.label ?? null, createdAtMs);
    return { token, record: { tokenId, role, account, label: input.label ?? null, createdAtMs, revokedAtMs: null } };
  }

  /** Revokes a token at once here, and within refreshMs in other processes sharing the file. Idempotent. */
  revoke(tokenId: string): TokenRecord {
    const record = this.token(tokenId);
    if (record === undefined) throw new TokenNotFoundError(tokenId);
    this.#s.revoke.run(this.#nowMs(), tokenId);
    this.#cache.clear();
    return this.token(tokenId)!;
  }

  token(tokenId: string): TokenRecord | undefined {
    const row = this.#s.byId.get(tokenId);
    return row === undefined ? undefined : recordOf(row);
  }

  list(options: { readonly account?: string; readonly limit: number }): TokenRecord[] {
    const rows = options.account === undefined ? this.#s.all.all(options.limit) : this.#s.byAccount.all(options.account);
    return rows.slice(0, options.limit).map(recordOf);
  }

  /** Who a bearer token is, or undefined for an unknown, malformed or revoked one. */
  authenticate(token: string): Principal | undefined {
    if (!tokenPattern.test(token)) return undefined;
    this.#refresh();
    // Cached by the token itself, so a known token costs a Map lookup, not a SHA-256
    // (createHash was a twentieth of a cached invoice fetch).
    let principal = this.#cache.get(token);
    if (principal === undefined) {
      const row = this.#s.byHash.get(sha256(token));
      principal = row === undefined || row.revoked_at_ms !== null ? null : { tokenId: row.token_id, role: row.role, account: row.account };
      if (this.#cache.size >= cacheEntriesMax) this.#cache.clear();
      this.#cache.set(token, principal);
    }
    return principal ?? undefined;
  }

  #refresh(): void {
    const nowMs = this.#nowMs();
    if (nowMs - this.#checkedAtMs < this.#refreshMs) return;
    this.#checkedAtMs = nowMs;
    const version = this.#s.dataVersion.get() as number;
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.#cache.clear();
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function recordOf(row: TokenRow): TokenRecord {
  return { tokenId: row.token_id, role: row.role, account: row.account, label: row.label, createdAtMs: row.created_at_ms, revokedAtMs: row.revoked_at_ms };
}

function sha256(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Creates the file 0600 if it is missing; refuses a looser existing file. */
function preparePrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const looseMode = ensurePrivateFile(path);
  if (looseMode !== null) throw new AccessFileModeError(path, looseMode);
}
