import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAuthorization, signRequest, verifySignature } from '@fareledger/device-auth';
import { ValidationError } from '@fareledger/domain';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  activeKeysPerDeviceMax,
  DeviceConflictError,
  DeviceNotFoundError,
  DeviceRegistry,
  DeviceRevokedError,
  KeyLimitError,
  KeyNotFoundError,
  RegistryFileModeError,
} from './device-registry.js';

const t0 = 1_772_410_531_000;
const gate = { deviceId: 'szm-l1-g042', operatorId: 'szmc', mode: 'metro', label: 'Line 1, gate 42 (Luohu)' } as const;
const bus = { deviceId: 'bv-0457', operatorId: 'szbus', mode: 'bus' } as const;

let dir: string;
let path: string;
let clockMs: number;
const opened: DeviceRegistry[] = [];

function open(refreshMs = 1_000): DeviceRegistry {
  const registry = DeviceRegistry.open({ path, refreshMs, nowMs: () => clockMs });
  opened.push(registry);
  return registry;
}

function secretBytesOf(secret: string): Uint8Array {
  return new Uint8Array(Buffer.from(secret, 'base64url'));
}

function typed<T>(run: () => unknown, type: new (...args: never[]) => T): T {
  try {
    run();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error('did not throw');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'device-registry-'));
  path = join(dir, 'devices.sqlite');
  clockMs = t0;
});

afterEach(() => {
  for (const registry of opened.splice(0)) registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the registry file', () => {
  it('is created 0600 in WAL mode, with its WAL file 0600 too', () => {
    open().register(gate);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-shm`).mode & 0o777).toBe(0o600);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT device_id, key_id, length(secret) AS bytes FROM device_keys').all()).toEqual([
      { device_id: 'szm-l1-g042', key_id: 'k1', bytes: 32 },
    ]);
    raw.close();
  });

  it('records every change in device_changes, the admin audit trail', () => {
    const registry = open();
    registry.register(gate);
    clockMs = t0 + 1;
    registry.addKey(gate.deviceId);
    clockMs = t0 + 2;
    registry.retireKey(gate.deviceId, 'k1');
    registry.retireKey(gate.deviceId, 'k1');
    clockMs = t0 + 3;
    registry.revoke(gate.deviceId);
    registry.revoke(gate.deviceId);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT seq, device_id, action, key_id, at_ms FROM device_changes ORDER BY seq').raw().all()).toEqual([
      [1, 'szm-l1-g042', 'register', 'k1', t0],
      [2, 'szm-l1-g042', 'add-key', 'k2', t0 + 1],
      [3, 'szm-l1-g042', 'retire-key', 'k1', t0 + 2],
      [4, 'szm-l1-g042', 'revoke', null, t0 + 3],
    ]);
    raw.close();
  });

  it('refuses to open a file that group or others can read', () => {
    open().close();
    opened.length = 0;
    chmodSync(path, 0o644);
    const error = typed(() => open(), RegistryFileModeError);
    expect(error.message).toBe(`device registry ${path} has mode 0644; it holds device secrets: chmod 600 ${path}`);
  });

  it('keeps everything across a reopen', () => {
    const first = open();
    const { secret } = first.register(gate);
    first.addKey(gate.deviceId);
    first.close();
    opened.length = 0;
    const again = open();
    expect(again.get(gate.deviceId).keys.map((key) => key.keyId)).toEqual(['k1', 'k2']);
    expect(again.lookupKey(gate.deviceId, 'k1')?.secret).toEqual(secretBytesOf(secret));
  });
});

describe('register', () => {
  it('returns the device, key k1 and a 32-byte secret once, which lookupKey then serves', () => {
    const registry = open();
    const registration = registry.register(gate);
    expect(registration.device).toEqual({
      deviceId: 'szm-l1-g042', operatorId: 'szmc', mode: 'metro', label: 'Line 1, gate 42 (Luohu)',
      status: 'active', createdAtMs: t0, revokedAtMs: null,
    });
    expect(registration.keyId).toBe('k1');
    expect(registration.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secretBytesOf(registration.secret).length).toBe(32);
    expect(registry.lookupKey('szm-l1-g042', 'k1')).toEqual({
      device: { deviceId: 'szm-l1-g042', operatorId: 'szmc', mode: 'metro', status: 'active' },
      secret: secretBytesOf(registration.secret),
    });
    expect(registry.register(bus).secret).not.toBe(registration.secret);
  });

  it('gives a secret that signs requests the registry then verifies', () => {
    const registry = open();
    const { keyId, secret } = registry.register(bus);
    const body = new TextEncoder().encode('{"taps":[]}');
    const header = signRequest({ deviceId: bus.deviceId, keyId, secret: secretBytesOf(secret), method: 'POST', target: '/v1/taps', timestampMs: t0, body });
    const parsed = parseAuthorization(header);
    if (!parsed.ok) throw new Error(parsed.reason);
    const found = registry.lookupKey(parsed.authorization.deviceId, parsed.authorization.keyId);
    if (found === undefined) throw new Error('key not found');
    expect(verifySignature(parsed.authorization, found.secret, { method: 'POST', target: '/v1/taps', body })).toBe(true);
  });

  it('treats an id that was ever used as a conflict, revoked ones included', () => {
    const registry = open();
    registry.register(gate);
    expect(typed(() => registry.register({ ...gate, operatorId: 'other' }), DeviceConflictError).deviceId).toBe('szm-l1-g042');
    registry.revoke(gate.deviceId);
    expect(typed(() => registry.register(gate), DeviceConflictError).code).toBe('device-conflict');
    expect(registry.get(gate.deviceId).operatorId).toBe('szmc');
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a deviceId with a slash', { deviceId: 'szm/g042' }, 'deviceId', 'charset'],
    ['a deviceId of 65 characters', { deviceId: 'd'.repeat(65) }, 'deviceId', 'length'],
    ['an empty operatorId', { operatorId: '' }, 'operatorId', 'length'],
    ['a numeric operatorId', { operatorId: 7 }, 'operatorId', 'type'],
    ['another mode', { mode: 'tram' }, 'mode', 'range'],
    ['a label with a line break', { label: 'gate\n42' }, 'label', 'charset'],
    ['a label of 101 characters', { label: '闸'.repeat(101) }, 'label', 'length'],
  ])('rejects %s', (_name, change, field, code) => {
    const registry = open();
    const error = typed(() => registry.register({ ...gate, ...change } as never), ValidationError);
    expect([error.field, error.code]).toEqual([field, code]);
    expect(registry.list({ limit: 10 }).devices).toEqual([]);
  });

  it('takes a label of 100 characters and no label at all', () => {
    const registry = open();
    expect(registry.register({ ...gate, label: '闸'.repeat(100) }).device.label).toBe('闸'.repeat(100));
    expect(registry.register(bus).device.label).toBe(null);
  });
});

describe('key rotation', () => {
  it('adds k2 next to k1, then retiring k1 stops only k1', () => {
    const registry = open();
    const first = registry.register(gate);
    clockMs = t0 + 1_000;
    const second = registry.addKey(gate.deviceId);
    expect(second.keyId).toBe('k2');
    expect(registry.lookupKey(gate.deviceId, 'k1')?.secret).toEqual(secretBytesOf(first.secret));
    expect(registry.lookupKey(gate.deviceId, 'k2')?.secret).toEqual(secretBytesOf(second.secret));
    clockMs = t0 + 2_000;
    expect(registry.retireKey(gate.deviceId, 'k1')).toEqual({ keyId: 'k1', createdAtMs: t0, retiredAtMs: t0 + 2_000 });
    expect(registry.lookupKey(gate.deviceId, 'k1')).toBe(undefined);
    expect(registry.lookupKey(gate.deviceId, 'k2')?.device.status).toBe('active');
    expect(registry.get(gate.deviceId).keys).toEqual([
      { keyId: 'k1', createdAtMs: t0, retiredAtMs: t0 + 2_000 },
      { keyId: 'k2', createdAtMs: t0 + 1_000, retiredAtMs: null },
    ]);
  });

  it('retires a retired key as a no-op, and numbers keys past retired ones', () => {
    const registry = open();
    registry.register(gate);
    registry.retireKey(gate.deviceId, 'k1');
    clockMs = t0 + 5_000;
    expect(registry.retireKey(gate.deviceId, 'k1')).toEqual({ keyId: 'k1', createdAtMs: t0, retiredAtMs: t0 });
    expect(registry.addKey(gate.deviceId).keyId).toBe('k2');
  });

  it(`allows ${activeKeysPerDeviceMax} active keys at once`, () => {
    const registry = open();
    registry.register(gate);
    for (const keyId of ['k2', 'k3', 'k4']) expect(registry.addKey(gate.deviceId).keyId).toBe(keyId);
    expect(typed(() => registry.addKey(gate.deviceId), KeyLimitError).code).toBe('key-limit');
    registry.retireKey(gate.deviceId, 'k2');
    expect(registry.addKey(gate.deviceId).keyId).toBe('k5');
  });

  it('reports unknown devices and keys with typed errors', () => {
    const registry = open();
    registry.register(gate);
    expect(typed(() => registry.addKey('nobody'), DeviceNotFoundError).deviceId).toBe('nobody');
    expect(typed(() => registry.retireKey('nobody', 'k1'), DeviceNotFoundError).code).toBe('device-not-found');
    const error = typed(() => registry.retireKey(gate.deviceId, 'k9'), KeyNotFoundError);
    expect([error.deviceId, error.keyId, error.code]).toEqual(['szm-l1-g042', 'k9', 'key-not-found']);
    expect(typed(() => registry.retireKey(gate.deviceId, 'k 1'), ValidationError).field).toBe('keyId');
    expect(registry.lookupKey('nobody', 'k1')).toBe(undefined);
    expect(registry.lookupKey(gate.deviceId, 'k9')).toBe(undefined);
  });
});

describe('revoke', () => {
  it('turns every key of the device to revoked at once, for good', () => {
    const registry = open();
    const { secret } = registry.register(gate);
    registry.addKey(gate.deviceId);
    registry.register(bus);
    clockMs = t0 + 60_000;
    expect(registry.revoke(gate.deviceId)).toEqual({ ...gate, status: 'revoked', createdAtMs: t0, revokedAtMs: t0 + 60_000 });
    for (const keyId of ['k1', 'k2']) expect(registry.lookupKey(gate.deviceId, keyId)?.device.status).toBe('revoked');
    expect(registry.lookupKey(gate.deviceId, 'k1')?.secret).toEqual(secretBytesOf(secret));
    expect(registry.lookupKey(bus.deviceId, 'k1')?.device.status).toBe('active');
    expect(typed(() => registry.addKey(gate.deviceId), DeviceRevokedError).code).toBe('device-revoked');
    expect(typed(() => registry.retireKey(gate.deviceId, 'k1'), DeviceRevokedError).deviceId).toBe('szm-l1-g042');
    clockMs = t0 + 90_000;
    expect(registry.revoke(gate.deviceId).revokedAtMs).toBe(t0 + 60_000);
    expect(typed(() => registry.revoke('nobody'), DeviceNotFoundError).deviceId).toBe('nobody');
  });
});

describe('get and list', () => {
  function seed(registry: DeviceRegistry): void {
    for (const n of [3, 1, 4, 2, 5]) registry.register({ deviceId: `bv-000${n}`, operatorId: n % 2 === 0 ? 'szbus' : 'xibus', mode: 'bus' });
    registry.register(gate);
    registry.revoke('bv-0004');
  }

  it('never returns a secret', () => {
    const registry = open();
    const { secret } = registry.register(gate);
    const { secret: secondSecret } = registry.addKey(gate.deviceId);
    const shown = JSON.stringify([registry.get(gate.deviceId), registry.list({ limit: 10 })]);
    expect(shown).not.toContain('secret');
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(secondSecret);
    expect(Object.keys(registry.get(gate.deviceId))).toEqual(['deviceId', 'operatorId', 'mode', 'label', 'status', 'createdAtMs', 'revokedAtMs', 'keys']);
  });

  it('pages through devices in id order', () => {
    const registry = open();
    seed(registry);
    const first = registry.list({ limit: 4 });
    expect(first.devices.map((device) => device.deviceId)).toEqual(['bv-0001', 'bv-0002', 'bv-0003', 'bv-0004']);
    expect(first.next).toBe('bv-0004');
    const second = registry.list({ limit: 4, after: 'bv-0004' });
    expect(second.devices.map((device) => device.deviceId)).toEqual(['bv-0005', 'szm-l1-g042']);
    expect(second.next).toBe(null);
  });

  it('filters by operator and by status', () => {
    const registry = open();
    seed(registry);
    const ids = (page: { devices: readonly { deviceId: string }[] }) => page.devices.map((device) => device.deviceId);
    expect(ids(registry.list({ operatorId: 'szbus', limit: 10 }))).toEqual(['bv-0002', 'bv-0004']);
    expect(ids(registry.list({ operatorId: 'szbus', status: 'active', limit: 10 }))).toEqual(['bv-0002']);
    expect(ids(registry.list({ status: 'revoked', limit: 10 }))).toEqual(['bv-0004']);
    expect(ids(registry.list({ operatorId: 'xibus', after: 'bv-0001', limit: 1 }))).toEqual(['bv-0003']);
    expect(registry.list({ operatorId: 'nobody', limit: 10 })).toEqual({ devices: [], next: null });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['limit 0', { limit: 0 }, 'limit', 'range'],
    ['limit 1001', { limit: 1_001 }, 'limit', 'range'],
    ['a fractional limit', { limit: 2.5 }, 'limit', 'range'],
    ['a bad cursor', { limit: 5, after: 'a/b' }, 'after', 'charset'],
    ['a bad operatorId', { limit: 5, operatorId: '' }, 'operatorId', 'length'],
    ['another status', { limit: 5, status: 'retired' }, 'status', 'range'],
  ])('rejects %s', (_name, query, field, code) => {
    const registry = open();
    const error = typed(() => registry.list(query as never), ValidationError);
    expect([error.field, error.code]).toEqual([field, code]);
  });

  it('reports an unknown device', () => {
    expect(typed(() => open().get('bv-9999'), DeviceNotFoundError).message).toBe('device bv-9999 is not registered');
  });
});

describe('several processes on one file', () => {
  it('sees another instance\'s revocation once refreshMs has passed, and its own changes at once', () => {
    const admin = open();
    const ingest = open(1_000);
    admin.register(gate);
    // Registered after `ingest` loaded, and no refreshMs has passed: not seen yet.
    expect(ingest.lookupKey(gate.deviceId, 'k1')).toBe(undefined);
    clockMs = t0 + 1_000;
    expect(ingest.lookupKey(gate.deviceId, 'k1')?.device.status).toBe('active');
    admin.revoke(gate.deviceId);
    expect(admin.lookupKey(gate.deviceId, 'k1')?.device.status).toBe('revoked');
    clockMs = t0 + 1_999;
    expect(ingest.lookupKey(gate.deviceId, 'k1')?.device.status).toBe('active');
    clockMs = t0 + 2_000;
    expect(ingest.lookupKey(gate.deviceId, 'k1')?.device.status).toBe('revoked');
  });

  it('follows rotation and retirement made elsewhere', () => {
    const admin = open();
    const ingest = open(500);
    admin.register(bus);
    const { secret } = admin.addKey(bus.deviceId);
    admin.retireKey(bus.deviceId, 'k1');
    clockMs = t0 + 500;
    expect(ingest.lookupKey(bus.deviceId, 'k1')).toBe(undefined);
    expect(ingest.lookupKey(bus.deviceId, 'k2')?.secret).toEqual(secretBytesOf(secret));
  });

  it('checks again after the clock steps back', () => {
    const admin = open();
    const ingest = open(1_000);
    admin.register(bus);
    clockMs = t0 - 60_000;
    expect(ingest.lookupKey(bus.deviceId, 'k1')?.device.status).toBe('active');
  });

  it('applies its own write at once without skipping an earlier write from elsewhere', () => {
    const ingest = open(1_000);
    const admin = open();
    admin.register(bus);
    ingest.register(gate);
    expect(ingest.lookupKey(gate.deviceId, 'k1')?.device.status).toBe('active');
    expect(ingest.lookupKey(bus.deviceId, 'k1')).toBe(undefined);
    clockMs = t0 + 1_000;
    expect(ingest.lookupKey(bus.deviceId, 'k1')?.device.status).toBe('active');
    expect(ingest.lookupKey(gate.deviceId, 'k1')?.device.status).toBe('active');
  });

  it('refuses a second registration of one id from two instances', () => {
    const one = open();
    const two = open();
    one.register(gate);
    expect(typed(() => two.register(gate), DeviceConflictError).deviceId).toBe('szm-l1-g042');
  });
});
