import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReplayGuard, signRequest } from '@fareledger/device-auth';
import type { Mode } from '@fareledger/domain';
import { createMetrics, healthRoutes, silentLogger } from '@fareledger/runtime';
import { LocalTapLog, openTapLog, type StoredTapRecord, type TapLog, type TapLogConfig } from '@fareledger/tap-log';
import type { Hono } from 'hono';
import { createIngestApp, type IngestAppConfig } from './app.js';
import { DeviceRegistry } from './device-registry.js';
import { createIngestMetrics } from './ingest-metrics.js';
import { tapLogReadiness } from './service.js';

// A real ingest app over real files (a local tap log and a device registry in a temp
// folder), driven through app.request(): everything but the socket.

export const adminToken = 'test-admin-token-0123456789-abcdefghij';
/** 2026-03-02T08:15:30.000+08:00, the clock of every test unless moved. */
export const startMs = 1_772_410_530_000;

export const testAppConfig: IngestAppConfig = {
  adminToken,
  batchTapsMax: 5,
  bodyBytesMax: 4096,
  signatureSkewMsMax: 30_000,
  eventTimeFutureMsMax: 300_000,
  eventTimePastMsMax: 172_800_000,
  appendTimeoutMs: 5000,
};

export interface TestDevice {
  readonly deviceId: string;
  readonly operatorId: string;
  readonly mode: Mode;
  readonly keyId: string;
  readonly secret: Uint8Array;
}

export interface Harness {
  readonly app: Hono;
  readonly registry: DeviceRegistry;
  readonly tapLog: TapLog;
  readonly dir: string;
  clockMs: number;
  register(deviceId: string, operatorId: string, mode: Mode): TestDevice;
  /** A signed request as the device would send it. */
  post(device: TestDevice, body: Uint8Array | string, options?: PostOptions): Promise<Response>;
  admin(method: string, target: string, body?: unknown, token?: string): Promise<Response>;
  /** Every record in the local tap log, all partitions. */
  storedRecords(): StoredTapRecord[];
  close(): Promise<void>;
}

export interface PostOptions {
  readonly contentType?: string;
  readonly timestampMs?: number;
  readonly target?: string;
  /** Replace the signature header entirely. */
  readonly authorization?: string | null;
  /** Sign this target but send to `target`. */
  readonly signedTarget?: string;
  /** Sign this body but send `body`. */
  readonly signedBody?: Uint8Array;
}

export async function openHarness(options: { config?: Partial<IngestAppConfig>; tapLog?: (dir: string) => TapLogConfig } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ingest-app-'));
  const tapLogPath = path.join(dir, 'taps.db');
  const logConfig: TapLogConfig = options.tapLog?.(dir) ?? { kind: 'local', path: tapLogPath, partitions: 4 };
  const tapLog = await openTapLog(logConfig);
  const registry = DeviceRegistry.open({ path: path.join(dir, 'devices.db') });
  const metrics = createMetrics({ service: 'ingest', defaultMetrics: false });
  const ingestMetrics = createIngestMetrics(metrics, () => tapLog);
  const health = healthRoutes({ ready: () => tapLogReadiness(tapLog) });
  const config = { ...testAppConfig, ...options.config };
  const harness: Harness = {
    app: undefined as unknown as Hono,
    registry,
    tapLog,
    dir,
    clockMs: startMs,
    register(deviceId, operatorId, mode) {
      const { keyId, secret } = registry.register({ deviceId, operatorId, mode });
      return { deviceId, operatorId, mode, keyId, secret: new Uint8Array(Buffer.from(secret, 'base64url')) };
    },
    post(device, body, postOptions = {}) {
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      const target = postOptions.target ?? '/v1/taps';
      const headers: Record<string, string> = { 'content-type': postOptions.contentType ?? 'application/json' };
      const authorization =
        postOptions.authorization === undefined
          ? signRequest({
              deviceId: device.deviceId,
              keyId: device.keyId,
              secret: device.secret,
              method: 'POST',
              target: postOptions.signedTarget ?? target,
              timestampMs: postOptions.timestampMs ?? harness.clockMs,
              body: postOptions.signedBody ?? bytes,
            })
          : postOptions.authorization;
      if (authorization !== null) headers.authorization = authorization;
      return Promise.resolve(harness.app.request(`http://ingest.test${target}`, { method: 'POST', headers, body: bytes }));
    },
    admin(method, target, body, token = adminToken) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const init = body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) };
      return Promise.resolve(harness.app.request(`http://ingest.test/v1/admin${target}`, init));
    },
    storedRecords() {
      if (logConfig.kind !== 'local') return [];
      const reader = LocalTapLog.open(logConfig.path, logConfig.partitions);
      try {
        return reader.endOffsets().flatMap((end, partition) => (end === 0 ? [] : reader.read(partition, 0, end)));
      } finally {
        void reader.close();
      }
    },
    async close() {
      await tapLog.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const replayGuard = new ReplayGuard({ skewMsMax: config.signatureSkewMsMax });
  (harness as { app: Hono }).app = createIngestApp({
    config,
    door: { registry, replayGuard, nowMs: () => harness.clockMs },
    tapLog,
    metrics,
    ingestMetrics,
    health,
    logger: silentLogger(),
  });
  return harness;
}

/** A wire tap for `device` (JSON-ready), at the harness clock unless given. */
export function wireTap(device: TestDevice, tapId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = { tapId, deviceId: device.deviceId, operatorId: device.operatorId, account: 'wa_7Hq2xK9p', eventTime: '2026-03-02T08:15:30.000+08:00' };
  const place =
    device.mode === 'metro'
      ? { mode: 'metro', kind: 'in', stationId: 'L1-S07' }
      : device.mode === 'bus'
        ? { mode: 'bus', kind: 'single', routeId: 'B101', vehicleId: 'BUS-4471' }
        : { mode: 'taxi', kind: 'metered', vehicleId: 'TX-88', distanceM: 8200, durationS: 1260, waitingS: 180 };
  return { ...base, ...place, ...overrides };
}

export const json = (value: unknown): string => JSON.stringify(value);
