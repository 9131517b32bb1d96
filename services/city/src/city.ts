import { mkdirSync } from 'node:fs';
import { loadSzmNetwork } from '@fareledger/domain/node-data';
import type { Hono } from 'hono';
import { type Listening, listen, type Logger } from '@fareledger/runtime';
import { loadBatcherConfig } from '../../batcher/src/config.js';
import { startBatcher } from '../../batcher/src/service.js';
import { loadIngestConfig } from '../../ingest/src/config.js';
import { startIngest } from '../../ingest/src/service.js';
import { loadInvoiceAuditConfig } from '../../invoice-audit/src/config.js';
import { startInvoiceAudit } from '../../invoice-audit/src/service.js';
import { type CityConfig, cityFiles, serviceEnv } from './config.js';
import { adminTokenOf, type DemoCredentials, ensureCredentials } from './credentials.js';
import { CityFront, type CityService } from './front.js';
import { HomePage } from './home-page.js';
import { CitySimulator } from './simulator.js';

export interface CityHandle {
  /** `http://host:port` of the one port. */
  readonly url: string;
  readonly credentials: DemoCredentials;
  readonly credentialsPath: string;
  /**
   * The shutdown contract: the simulator stops posting; the port stops accepting and lets
   * in-flight requests finish (each tap waits until it is durable); ingest closes the tap
   * log; the batcher seals what it has read and closes the ledger; invoice-audit closes its
   * read copy.
   */
  stop(): Promise<void>;
}

export interface StartCityOptions {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** Each service, started in the order taps flow, stopped in the same order. */
export async function startCity(config: CityConfig, options: StartCityOptions): Promise<CityHandle> {
  const { logger, signal } = options;
  const files = cityFiles(config.dataDir);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const adminToken = adminTokenOf(files.credentials);
  const env = serviceEnv(config, adminToken);
  // Each service's config is read before anything starts: a bad variable fails the start whole.
  const configs = { ingest: loadIngestConfig(env), batcher: loadBatcherConfig(env), invoices: loadInvoiceAuditConfig(env) };
  let home: Hono | undefined;
  const front = new CityFront({ logger, home: () => home });
  const server = await listen(front.app, {
    host: config.host, port: config.port, headersTimeoutMs: configs.ingest.headersTimeoutMs, requestTimeoutMs: configs.ingest.requestTimeoutMs,
    keepAliveTimeoutMs: configs.ingest.keepAliveTimeoutMs, closeMsMax: Math.max(configs.ingest.appendTimeoutMs, configs.invoices.waitMsMax) + 1000,
  });
  const mountedOn = (service: CityService) => async (app: Hono): Promise<Listening> => {
    await front.mount(service, app);
    // The port is the city's: it closes first, in stop below.
    return { url: server.url, port: server.port, close: () => Promise.resolve() };
  };
  const running: { stop(): Promise<void> }[] = [];
  let simulator: CitySimulator | undefined;
  let homePage: HomePage | undefined;
  const stopAll = async () => {
    if (simulator !== undefined) logger.info({ counts: await simulator.stop() }, 'simulator stopped');
    await server.close();
    homePage?.close();
    for (const service of running) await service.stop();
  };
  try {
    const childOptions = (service: CityService) => ({ logger: logger.child({ service }), ...(signal ? { signal } : {}), serve: mountedOn(service) });
    running.push(await startIngest(configs.ingest, childOptions('ingest')));
    running.push(await startBatcher(configs.batcher, childOptions('batcher')));
    running.push(await startInvoiceAudit(configs.invoices, childOptions('invoice-audit')));
    const request = (path: string, init?: RequestInit) => Promise.resolve(front.app.request(path, init));
    const call = (method: 'POST', path: string, body: unknown) => request(path, {
      method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const { credentials, created } = await ensureCredentials(files.credentials, adminToken, call);
    homePage = new HomePage(files.ledger, credentials, request);
    home = homePage.routes();
    logger.info({ url: server.url, dataDir: config.dataDir, credentials: files.credentials, created }, 'city listening');
    if (config.simulate) {
      simulator = new CitySimulator({ url: server.url, credentials, network: loadSzmNetwork(), rate: config.simulateRate });
      simulator.start();
      logger.info({ rate: config.simulateRate }, 'simulator posting taps (--no-sim to switch it off)');
    }
    let stopped: Promise<void> | undefined;
    return { url: server.url, credentials, credentialsPath: files.credentials, stop: () => (stopped ??= stopAll()) };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
