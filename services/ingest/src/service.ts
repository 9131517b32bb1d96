import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ReplayGuard } from '@fareledger/device-auth';
import { createMetrics, healthRoutes, type Logger, listen, type ReadyResult, type ServeApp } from '@fareledger/runtime';
import { openTapLog, type TapLog, type TapLogConfig } from '@fareledger/tap-log';
import { tapLogConfigOf } from '@fareledger/tap-log/config';
import { createIngestApp } from './app.js';
import { type IngestConfig, requestRecordBytesMax } from './config.js';
import { DeviceRegistry } from './device-registry.js';
import { createIngestMetrics } from './ingest-metrics.js';

/** A running ingest service. */
export interface IngestHandle {
  /** `http://host:port`, with the real port. */
  readonly url: string;
  /**
   * The shutdown contract: readiness turns false; the server stops accepting and lets
   * in-flight requests finish (each waits for its taps to be durable or to fail); the tap
   * log drains and closes; the registry closes.
   */
  stop(): Promise<void>;
}

export interface StartIngestOptions {
  readonly logger: Logger;
  /** Aborted when shutdown begins (runService's signal): readiness turns false at once. */
  readonly signal?: AbortSignal;
  readonly nowMs?: () => number;
  /**
   * Serves the app: by default `listen()` on the configured host and port. The one-process
   * city (services/city) mounts it on its own server instead, and closes that server first.
   */
  readonly serve?: ServeApp;
}

export async function startIngest(config: IngestConfig, options: StartIngestOptions): Promise<IngestHandle> {
  const { logger } = options;
  const nowMs = options.nowMs ?? Date.now;
  const metrics = createMetrics({ service: 'ingest' });
  let tapLog: TapLog | undefined;
  const ingestMetrics = createIngestMetrics(metrics, () => tapLog);
  mkdirSync(path.dirname(config.devicesPath), { recursive: true, mode: 0o700 });
  const registry = DeviceRegistry.open({ path: config.devicesPath, refreshMs: config.devicesRefreshMs });
  try {
    tapLog = await openTapLog(tapLogConfig(config, ingestMetrics, logger));
  } catch (error) {
    registry.close();
    throw error;
  }
  const log = tapLog;
  const health = healthRoutes({
    ready: () => tapLogReadiness(log),
    stoppingSignal: options.signal,
  });
  const replayGuard = new ReplayGuard({ skewMsMax: config.signatureSkewMsMax, entriesMax: config.replayEntriesMax });
  const app = createIngestApp({ config, door: { registry, replayGuard, nowMs }, tapLog: log, metrics, ingestMetrics, health, logger });
  const serve = options.serve ?? ((served) => listen(served, {
    host: config.host,
    port: config.port,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    closeMsMax: config.appendTimeoutMs + 1000,
  }));
  const server = await serve(app);
  logger.info({ url: server.url, tapLog: log.kind, partitions: log.partitions, docs: `${server.url}/docs` }, 'ingest listening');
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    stop: () =>
      (stopped ??= (async () => {
        health.markStopping();
        await server.close();
        await log.close();
        registry.close();
        logger.info('ingest stopped');
      })()),
  };
}

/** Ready when the tap log answers: what /readyz reports. */
export async function tapLogReadiness(log: TapLog): Promise<ReadyResult> {
  const probe = await log.probe();
  return { checks: { tapLog: probe.ok ? { ok: true } : { ok: false, detail: probe.reason } } };
}

/** The tap log's own default (512 KiB) unless one request may need more. */
const groupBytesMaxDefault = 512 * 1024;

function tapLogConfig(config: IngestConfig, metrics: ReturnType<typeof createIngestMetrics>, logger: Logger): TapLogConfig {
  const group = {
    lingerMs: config.lingerMs,
    groupRecordsMax: config.groupTapsMax,
    groupBytesMax: Math.max(requestRecordBytesMax(config), groupBytesMaxDefault),
    inFlightRecordsMax: config.inFlightTapsMax,
    appendTimeoutMs: config.appendTimeoutMs,
    onGroupCommitted: (records: number, backendMs: number) => {
      metrics.groupTaps.observe(records);
      metrics.groupCommitDuration.observe(backendMs / 1000);
    },
    onGroupFailed: (records: number, backendMs: number, error: unknown) => {
      logger.warn({ records, backendMs, err: error }, 'tap log append failed');
    },
  };
  return tapLogConfigOf(config, group, logger);
}
