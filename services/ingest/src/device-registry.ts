import { randomBytes } from 'node:crypto';
import { isCredentialId, secretBytes } from '@fareledger/device-auth';
import { assert, idLengthMax, type Mode, modes, ValidationError } from '@fareledger/domain';
import { ensurePrivateFile } from '@fareledger/runtime';
import Database from 'better-sqlite3';

// The registered devices and their HMAC secrets, in one SQLite file that several ingest
// processes may share. Admin operations write through to the file; the hot path,
// lookupKey, answers from memory and notices other processes' commits through
// `PRAGMA data_version`, checked at most once per refreshMs. Every write also appends a
// row to device_changes (an audit trail of admin actions), so a refresh reloads only the
// devices changed since the last one.
//
// The file holds every device secret: whoever reads it can sign taps as any device until
// the keys are rotated (docs/security.md). So it is created 0600, kept apart from the
// ledger, and a file that group or others can read is refused at open.
//
// Measured (Node 20.20, AMD EPYC, 2 cores, ad-hoc loop, 50,000 devices with one key each):
// lookupKey 0.06 µs between checks; the data_version check 2.5 µs, once per refreshMs; a
// refresh after one revocation elsewhere 0.1 ms. A full reload, done only at open, takes
// 270 ms: reloading everything on each change would stall every ingest process that long.

export type DeviceStatus = 'active' | 'revoked';
export const deviceStatuses: readonly DeviceStatus[] = ['active', 'revoked'];

/** A device as an admin sees it. Never carries a secret. */
export interface Device {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: Mode;
  readonly label: string | null;
  readonly status: DeviceStatus;
  readonly createdAtMs: number;
  readonly revokedAtMs: number | null;
}

/** A key's metadata. Never carries the secret. */
export interface DeviceKey {
  readonly keyId: string;
  readonly createdAtMs: number;
  readonly retiredAtMs: number | null;
}

export interface DeviceDetails extends Device {
  /** Every key the device ever had, oldest first. */
  readonly keys: readonly DeviceKey[];
}

/** A new key. `secret` is base64url of 32 bytes and is shown this once: the registry never returns it again. */
export interface IssuedKey {
  readonly keyId: string;
  readonly secret: string;
}

export interface Registration extends IssuedKey {
  readonly device: Device;
}

export interface RegisterInput {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: Mode;
  readonly label?: string;
}

/** What the hot path needs to check a request and the taps it carries. */
export interface KeyLookup {
  readonly device: {
    readonly deviceId: string;
    readonly operatorId: string;
    readonly mode: Mode;
    /** `revoked` devices are returned too, so the caller can answer 403 after verifying. */
    readonly status: DeviceStatus;
  };
  /** 32 bytes, for verifySignature. Shared: do not modify. */
  readonly secret: Uint8Array;
}

export interface ListDevicesQuery {
  readonly operatorId?: string;
  readonly status?: DeviceStatus;
  /** 1..listLimitMax. */
  readonly limit: number;
  /** Return devices whose id sorts after this one: the previous page's `next`. */
  readonly after?: string;
}

export interface DevicePage {
  /** Sorted by deviceId (byte order). */
  readonly devices: readonly Device[];
  /** Pass as `after` for the next page; null when this page was not full. */
  readonly next: string | null;
}

export interface DeviceRegistryOptions {
  /** The SQLite file. Created 0600 if missing; refused if group or others may access it. */
  readonly path: string;
  /** How often lookupKey looks for other processes' changes. Default 1000 ms. */
  readonly refreshMs?: number;
  /** Wall clock for createdAtMs/revokedAtMs and the refresh interval. Default Date.now. */
  readonly nowMs?: () => number;
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

export const refreshMsDefault = 1_000;
/** A page of list(). */
export const listLimitMax = 1_000;
/** Rotation needs two at once; more than a few means keys are being added and never retired. */
export const activeKeysPerDeviceMax = 4;
/** Free-text label, in Unicode code points. */
export const labelLengthMax = 100;

const schemaVersion = 1;

export type DeviceRegistryErrorCode = 'device-not-found' | 'device-conflict' | 'device-revoked' | 'key-not-found' | 'key-limit';

/** Operating errors of admin operations; `code` is stable, for problem+json. */
export abstract class DeviceRegistryError extends Error {
  abstract readonly code: DeviceRegistryErrorCode;
}

export class DeviceNotFoundError extends DeviceRegistryError {
  override readonly name = 'DeviceNotFoundError';
  readonly code = 'device-not-found';
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} is not registered`);
  }
}

/** The id is taken, by an active or a revoked device: ids are never reused. */
export class DeviceConflictError extends DeviceRegistryError {
  override readonly name = 'DeviceConflictError';
  readonly code = 'device-conflict';
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} is already registered`);
  }
}

/** Revocation is final: a revoked device gets no keys and no changes; register a new id. */
export class DeviceRevokedError extends DeviceRegistryError {
  override readonly name = 'DeviceRevokedError';
  readonly code = 'device-revoked';
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} is revoked`);
  }
}

export class KeyNotFoundError extends DeviceRegistryError {
  override readonly name = 'KeyNotFoundError';
  readonly code = 'key-not-found';
  constructor(
    readonly deviceId: string,
    readonly keyId: string,
  ) {
    super(`device ${deviceId} has no key ${keyId}`);
  }
}

/** addKey with activeKeysPerDeviceMax keys already active: retire one first. */
export class KeyLimitError extends DeviceRegistryError {
  override readonly name = 'KeyLimitError';
  readonly code = 'key-limit';
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} already has ${activeKeysPerDeviceMax} active keys; retire one first`);
  }
}

/** The registry file is readable by group or others. A start-up error: fix the file, then start. */
export class RegistryFileModeError extends Error {
  override readonly name = 'RegistryFileModeError';
  constructor(
    readonly path: string,
    readonly mode: number,
  ) {
    super(`device registry ${path} has mode 0${mode.toString(8)}; it holds device secrets: chmod 600 ${path}`);
  }
}

const schema = `
  CREATE TABLE IF NOT EXISTS devices (
    device_id     TEXT PRIMARY KEY,
    operator_id   TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('metro', 'bus', 'taxi')),
    label         TEXT,
    status        TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER,
    CHECK ((status = 'revoked') = (revoked_at_ms IS NOT NULL))
  ) STRICT;
  CREATE INDEX IF NOT EXISTS devices_by_operator ON devices (operator_id, device_id);
  CREATE TABLE IF NOT EXISTS device_keys (
    device_id     TEXT NOT NULL REFERENCES devices (device_id),
    key_id        TEXT NOT NULL,
    secret        BLOB NOT NULL CHECK (length(secret) = ${secretBytes}),
    created_at_ms INTEGER NOT NULL,
    retired_at_ms INTEGER,
    PRIMARY KEY (device_id, key_id)
  ) STRICT;
  CREATE TABLE IF NOT EXISTS device_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices (device_id),
    action    TEXT NOT NULL CHECK (action IN ('register', 'add-key', 'retire-key', 'revoke')),
    key_id    TEXT,
    at_ms     INTEGER NOT NULL
  ) STRICT;
`;

type ChangeAction = 'register' | 'add-key' | 'retire-key' | 'revoke';

interface DeviceRow {
  device_id: string;
  operator_id: string;
  mode: Mode;
  label: string | null;
  status: DeviceStatus;
  created_at_ms: number;
  revoked_at_ms: number | null;
}

interface KeyRow {
  key_id: string;
  created_at_ms: number;
  retired_at_ms: number | null;
}

interface ActiveKeyRow {
  device_id: string;
  operator_id: string;
  mode: Mode;
  status: DeviceStatus;
  key_id: string;
  secret: Buffer;
}

const deviceColumns = 'device_id, operator_id, mode, label, status, created_at_ms, revoked_at_ms';
const activeKeysSelect = `
  SELECT d.device_id, d.operator_id, d.mode, d.status, k.key_id, k.secret
  FROM device_keys k JOIN devices d ON d.device_id = k.device_id
  WHERE k.retired_at_ms IS NULL`;

/** Creates the file 0600 if it is missing; refuses a looser existing file. */
function preparePrivateFile(path: string): void {
  const looseMode = ensurePrivateFile(path);
  if (looseMode !== null) throw new RegistryFileModeError(path, looseMode);
}

function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  preparePrivateFile(path);
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    // Admin writes are rare and a lost revocation is costly: wait for the disk on every commit.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > schemaVersion) throw new Error(`device registry ${path} has schema ${version}; this build knows ${schemaVersion}`);
    if (version < schemaVersion) {
      db.transaction(() => {
        db.exec(schema);
        db.pragma(`user_version = ${schemaVersion}`);
      }).immediate();
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export class DeviceRegistry {
  readonly path: string;
  readonly refreshMs: number;
  private readonly db: Database.Database;
  private readonly nowMs: () => number;
  /** deviceId → keyId → lookup, for active (unretired) keys only. */
  private keys = new Map<string, Map<string, KeyLookup>>();
  private dataVersionSeen = -1;
  /** The last device_changes row applied to `keys`. */
  private changeSeqSeen = 0;
  private checkedAtMs: number;
  private readonly statements: Statements;

  private constructor(options: DeviceRegistryOptions) {
    this.path = options.path;
    this.refreshMs = options.refreshMs ?? refreshMsDefault;
    this.nowMs = options.nowMs ?? Date.now;
    assert(Number.isSafeInteger(this.refreshMs) && this.refreshMs >= 0, `refreshMs must be a non-negative integer, got ${this.refreshMs}`);
    this.db = openDatabase(options.path, options.busyTimeoutMs ?? 5_000);
    this.statements = prepareStatements(this.db);
    this.checkedAtMs = this.nowMs();
    this.reloadAll();
  }

  /** Opens (creating if missing) the registry file and loads the active keys. */
  static open(options: DeviceRegistryOptions): DeviceRegistry {
    return new DeviceRegistry(options);
  }

  /** Registers a device with its first key, `k1`. Throws DeviceConflictError if the id was ever used. */
  register(input: RegisterInput): Registration {
    const deviceId = checkId('deviceId', input.deviceId);
    const operatorId = checkId('operatorId', input.operatorId);
    const mode = checkMode(input.mode);
    const label = input.label === undefined ? null : checkLabel(input.label);
    const nowMs = this.nowMs();
    const secret = randomBytes(secretBytes);
    try {
      this.db.transaction(() => {
        this.statements.insertDevice.run(deviceId, operatorId, mode, label, nowMs);
        this.statements.insertKey.run(deviceId, 'k1', secret, nowMs);
        this.recordChange(deviceId, 'register', 'k1', nowMs);
      }).immediate();
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DeviceConflictError(deviceId);
      throw error;
    }
    this.reloadDevice(deviceId);
    const device: Device = { deviceId, operatorId, mode, label, status: 'active', createdAtMs: nowMs, revokedAtMs: null };
    return { device, keyId: 'k1', secret: issue(secret) };
  }

  /** Rotation: a new key `k<n>`; the old ones keep working until retired. */
  addKey(deviceId: string): IssuedKey {
    checkId('deviceId', deviceId);
    const nowMs = this.nowMs();
    const secret = randomBytes(secretBytes);
    const keyId = this.db.transaction(() => {
      this.activeDevice(deviceId);
      const { total, active } = this.statements.countKeys.get(deviceId) as { total: number; active: number };
      if (active >= activeKeysPerDeviceMax) throw new KeyLimitError(deviceId);
      // Keys are never deleted, so the count only grows and `k<count + 1>` is new.
      const id = `k${total + 1}`;
      this.statements.insertKey.run(deviceId, id, secret, nowMs);
      this.recordChange(deviceId, 'add-key', id, nowMs);
      return id;
    }).immediate();
    this.reloadDevice(deviceId);
    return { keyId, secret: issue(secret) };
  }

  /** The key stops working at once. Retiring a retired key returns it unchanged. */
  retireKey(deviceId: string, keyId: string): DeviceKey {
    checkId('deviceId', deviceId);
    checkId('keyId', keyId);
    const key = this.db.transaction(() => {
      this.activeDevice(deviceId);
      const row = this.statements.selectKey.get(deviceId, keyId) as KeyRow | undefined;
      if (row === undefined) throw new KeyNotFoundError(deviceId, keyId);
      if (row.retired_at_ms !== null) return row;
      const retiredAtMs = this.nowMs();
      this.statements.retireKey.run(retiredAtMs, deviceId, keyId);
      this.recordChange(deviceId, 'retire-key', keyId, retiredAtMs);
      return { ...row, retired_at_ms: retiredAtMs };
    }).immediate();
    this.reloadDevice(deviceId);
    return keyOf(key);
  }

  /** Every key stops working at once, for good. Revoking a revoked device returns it unchanged. */
  revoke(deviceId: string): Device {
    checkId('deviceId', deviceId);
    const row = this.db.transaction(() => {
      const found = this.statements.selectDevice.get(deviceId) as DeviceRow | undefined;
      if (found === undefined) throw new DeviceNotFoundError(deviceId);
      if (found.status === 'revoked') return found;
      const revokedAtMs = this.nowMs();
      this.statements.revokeDevice.run(revokedAtMs, deviceId);
      this.recordChange(deviceId, 'revoke', null, revokedAtMs);
      return { ...found, status: 'revoked' as const, revoked_at_ms: revokedAtMs };
    }).immediate();
    this.reloadDevice(deviceId);
    return deviceOf(row);
  }

  /** A device and its keys' metadata, read from the file. */
  get(deviceId: string): DeviceDetails {
    checkId('deviceId', deviceId);
    return this.db.transaction(() => {
      const row = this.statements.selectDevice.get(deviceId) as DeviceRow | undefined;
      if (row === undefined) throw new DeviceNotFoundError(deviceId);
      const keys = (this.statements.selectKeys.all(deviceId) as KeyRow[]).map(keyOf);
      return { ...deviceOf(row), keys };
    })();
  }

  /** One page of devices, sorted by id, read from the file. */
  list(query: ListDevicesQuery): DevicePage {
    const limit = query.limit;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > listLimitMax) {
      throw new ValidationError('limit', 'range', `must be an integer in 1..${listLimitMax}`);
    }
    const after = query.after === undefined ? '' : checkId('after', query.after);
    const status = query.status === undefined ? null : checkStatus(query.status);
    const rows = (
      query.operatorId === undefined
        ? this.statements.listAll.all({ after, status, limit })
        : this.statements.listByOperator.all({ operatorId: checkId('operatorId', query.operatorId), after, status, limit })
    ) as DeviceRow[];
    const devices = rows.map(deviceOf);
    return { devices, next: devices.length === limit ? (devices[devices.length - 1] as Device).deviceId : null };
  }

  /**
   * The hot path: the device and secret for a credential, or undefined for an unknown
   * device, an unknown key or a retired key (all 401). A revoked device is returned with
   * status `revoked`: verify the signature, then answer 403. Never accept a request whose
   * device is not `active`.
   */
  lookupKey(deviceId: string, keyId: string): KeyLookup | undefined {
    this.refreshIfChanged();
    return this.keys.get(deviceId)?.get(keyId);
  }

  close(): void {
    this.db.close();
  }

  /** Applies other connections' changes if there are any, looking at most every refreshMs. */
  private refreshIfChanged(): void {
    const nowMs = this.nowMs();
    // A clock that stepped back counts as due, so a step cannot stall refreshes.
    if (nowMs >= this.checkedAtMs && nowMs - this.checkedAtMs < this.refreshMs) return;
    this.checkedAtMs = nowMs;
    if ((this.statements.dataVersion.get() as number) !== this.dataVersionSeen) this.applyChanges();
  }

  /**
   * Reloads the devices named in device_changes since the last refresh. One read
   * transaction, version first: a commit racing the refresh is either in this snapshot or
   * makes the next check differ, never lost. Changes made through this connection are
   * applied again here, which is harmless. A single writer at a time means rows commit in
   * seq order, so nothing below changeSeqSeen can still appear.
   */
  private applyChanges(): void {
    this.db.transaction(() => {
      this.dataVersionSeen = this.statements.dataVersion.get() as number;
      const changed = this.statements.changedDevicesSince.all(this.changeSeqSeen) as { device_id: string; seq: number }[];
      for (const { device_id: deviceId, seq } of changed) {
        this.reloadDevice(deviceId);
        this.changeSeqSeen = Math.max(this.changeSeqSeen, seq);
      }
    })();
  }

  /** At open: every active key, and the version and change they reflect. */
  private reloadAll(): void {
    this.db.transaction(() => {
      this.dataVersionSeen = this.statements.dataVersion.get() as number;
      this.changeSeqSeen = this.statements.lastChangeSeq.get() as number;
      const keys = new Map<string, Map<string, KeyLookup>>();
      for (const row of this.statements.activeKeys.iterate() as IterableIterator<ActiveKeyRow>) addLookup(keys, row);
      this.keys = keys;
    })();
  }

  /** Inside a write transaction, with the write it records. */
  private recordChange(deviceId: string, action: ChangeAction, keyId: string | null, atMs: number): void {
    this.statements.insertChange.run(deviceId, action, keyId, atMs);
  }

  /** One device's entries in `keys`, from the file: after a write here, or a change seen elsewhere. */
  private reloadDevice(deviceId: string): void {
    const keys = new Map<string, Map<string, KeyLookup>>();
    for (const row of this.statements.activeKeysOfDevice.all(deviceId) as ActiveKeyRow[]) addLookup(keys, row);
    const deviceKeys = keys.get(deviceId);
    if (deviceKeys === undefined) this.keys.delete(deviceId);
    else this.keys.set(deviceId, deviceKeys);
  }

  /** Inside a write transaction: the device, or the typed error that stops the change. */
  private activeDevice(deviceId: string): DeviceRow {
    const row = this.statements.selectDevice.get(deviceId) as DeviceRow | undefined;
    if (row === undefined) throw new DeviceNotFoundError(deviceId);
    if (row.status === 'revoked') throw new DeviceRevokedError(deviceId);
    return row;
  }
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
  return {
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    insertDevice: db.prepare(`INSERT INTO devices (${deviceColumns}) VALUES (?, ?, ?, ?, 'active', ?, NULL)`),
    insertKey: db.prepare('INSERT INTO device_keys (device_id, key_id, secret, created_at_ms, retired_at_ms) VALUES (?, ?, ?, ?, NULL)'),
    selectDevice: db.prepare(`SELECT ${deviceColumns} FROM devices WHERE device_id = ?`),
    selectKey: db.prepare('SELECT key_id, created_at_ms, retired_at_ms FROM device_keys WHERE device_id = ? AND key_id = ?'),
    selectKeys: db.prepare('SELECT key_id, created_at_ms, retired_at_ms FROM device_keys WHERE device_id = ? ORDER BY rowid'),
    countKeys: db.prepare('SELECT count(*) AS total, count(*) FILTER (WHERE retired_at_ms IS NULL) AS active FROM device_keys WHERE device_id = ?'),
    retireKey: db.prepare('UPDATE device_keys SET retired_at_ms = ? WHERE device_id = ? AND key_id = ?'),
    revokeDevice: db.prepare(`UPDATE devices SET status = 'revoked', revoked_at_ms = ? WHERE device_id = ?`),
    listAll: db.prepare(
      `SELECT ${deviceColumns} FROM devices WHERE device_id > @after AND (@status IS NULL OR status = @status) ORDER BY device_id LIMIT @limit`,
    ),
    listByOperator: db.prepare(
      `SELECT ${deviceColumns} FROM devices
       WHERE operator_id = @operatorId AND device_id > @after AND (@status IS NULL OR status = @status)
       ORDER BY device_id LIMIT @limit`,
    ),
    insertChange: db.prepare('INSERT INTO device_changes (device_id, action, key_id, at_ms) VALUES (?, ?, ?, ?)'),
    changedDevicesSince: db.prepare('SELECT device_id, max(seq) AS seq FROM device_changes WHERE seq > ? GROUP BY device_id'),
    lastChangeSeq: db.prepare('SELECT coalesce(max(seq), 0) FROM device_changes').pluck(),
    activeKeys: db.prepare(activeKeysSelect),
    activeKeysOfDevice: db.prepare(`${activeKeysSelect} AND k.device_id = ?`),
  };
}

function addLookup(keys: Map<string, Map<string, KeyLookup>>, row: ActiveKeyRow): void {
  let deviceKeys = keys.get(row.device_id);
  if (deviceKeys === undefined) {
    deviceKeys = new Map();
    keys.set(row.device_id, deviceKeys);
  }
  // One frozen device object per device, shared by its keys.
  const device = deviceKeys.values().next().value?.device ?? Object.freeze({ deviceId: row.device_id, operatorId: row.operator_id, mode: row.mode, status: row.status });
  deviceKeys.set(row.key_id, Object.freeze({ device, secret: new Uint8Array(row.secret) }));
}

/** Base64url for the one time a secret leaves the registry; the random buffer is then wiped. */
function issue(secret: Buffer): string {
  const text = secret.toString('base64url');
  secret.fill(0);
  return text;
}

function deviceOf(row: DeviceRow): Device {
  return {
    deviceId: row.device_id,
    operatorId: row.operator_id,
    mode: row.mode,
    label: row.label,
    status: row.status,
    createdAtMs: row.created_at_ms,
    revokedAtMs: row.revoked_at_ms,
  };
}

function keyOf(row: KeyRow): DeviceKey {
  return { keyId: row.key_id, createdAtMs: row.created_at_ms, retiredAtMs: row.retired_at_ms };
}

function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'type', 'must be a string');
  if (value.length < 1 || value.length > idLengthMax) throw new ValidationError(field, 'length', `must be 1..${idLengthMax} characters`);
  if (!isCredentialId(value)) throw new ValidationError(field, 'charset', 'may hold only A-Z a-z 0-9 . _ : -');
  return value;
}

function checkMode(value: unknown): Mode {
  if (!(modes as readonly unknown[]).includes(value)) throw new ValidationError('mode', 'range', `must be one of ${modes.join(', ')}`);
  return value as Mode;
}

function checkStatus(value: unknown): DeviceStatus {
  if (!(deviceStatuses as readonly unknown[]).includes(value)) {
    throw new ValidationError('status', 'range', `must be one of ${deviceStatuses.join(', ')}`);
  }
  return value as DeviceStatus;
}

const labelForbidden = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

function checkLabel(value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError('label', 'type', 'must be a string');
  if (labelForbidden.test(value)) throw new ValidationError('label', 'charset', 'must not contain control or format characters');
  const codePoints = [...value].length;
  if (codePoints < 1 || codePoints > labelLengthMax) throw new ValidationError('label', 'length', `must be 1..${labelLengthMax} characters`);
  return value;
}
