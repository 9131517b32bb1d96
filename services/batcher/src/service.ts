import { existsSync } from 'node:fs';
import { createSigningKeyFile, loadSigningKey } from '@fareledger/ledger';
import { createMetrics, healthRoutes, type Logger, listen, type ServeApp, serviceApp } from '@fareledger/runtime';
import { Counter, Gauge } from 'prom-client';
import { BlockPublisher } from './block-publisher.js';
import type { BatcherConfig } from './config.js';
import { KafkaTapSource } from './kafka-source.js';
import { LocalTapSource } from './local-source.js';
import type { TapSource } from './source.js';
import { WorkerPool } from './worker-pool.js';

export interface BatcherHandle {
  readonly url: string;
  /** The shutdown contract: stop fetching, seal what is pending, close the ledger, close HTTP. */
  stop(): Promise<void>;
}

export interface StartBatcherOptions {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /**
   * Serves the app: by default `listen()` on the configured host and port. The one-process
   * city (services/city) mounts it on its own server instead, and closes that server first.
   */
  readonly serve?: ServeApp;
}

export async function startBatcher(config: BatcherConfig, options: StartBatcherOptions): Promise<BatcherHandle> {
  const { logger } = options;
  ensureSigningKey(config, logger);
  const metrics = createMetrics({ service: 'batcher' });
  const registers = [metrics.registry];
  const blocksSealed = new Counter({ name: 'batcher_blocks_sealed_total', help: 'Blocks sealed, by chain', labelNames: ['chain'], registers });
  const tapsSealed = new Counter({ name: 'batcher_taps_sealed_total', help: 'Tap entries sealed (duplicates excluded), by chain', labelNames: ['chain'], registers });
  const entriesSealed = new Counter({ name: 'batcher_entries_sealed_total', help: 'Entries sealed (taps and trips), by chain', labelNames: ['chain'], registers });
  const rejected = new Counter({ name: 'batcher_records_rejected_total', help: 'Tap-log records skipped: not a valid tap entry, or a reused tap id', labelNames: ['chain'], registers });
  const unpriced = new Counter({ name: 'batcher_taps_unpriced_total', help: 'Taps sealed without a trip: unknown station or no fare table', labelNames: ['chain'], registers });
  // Kafka mode publishes sealed blocks to fare.blocks for read replicas (docs/fare-blocks.md);
  // the embedded mode's readers share the ledger file.
  const publisher = config.tapLog === 'kafka'
    ? new BlockPublisher({ brokers: config.kafkaBrokers, topic: config.kafkaTopicBlocks, partitions: config.tapLogPartitions, ledgerPath: config.ledgerPath, logger, clientId: 'fareledger-batcher-blocks' })
    : undefined;
  new Gauge({
    name: 'batcher_blocks_publish_lag', help: 'Blocks sealed but not yet known to be on fare.blocks, by chain', labelNames: ['chain'], registers,
    collect() {
      this.reset();
      for (const chain of publisher?.stats().chains ?? []) this.set({ chain: String(chain.chain) }, chain.lagBlocks);
    },
  });
  const batcher = await WorkerPool.start({
    workers: config.workers,
    ledgerPath: config.ledgerPath,
    logName: config.logName,
    signingKeyPath: config.signingKeyPath,
    journeyMsMax: config.journeyMsMax,
    entriesPerBlockMax: config.entriesPerBlockMax,
    snapshotIntervalEntries: config.snapshotIntervalEntries,
    sealAgeMsMax: config.sealAgeMsMax,
    onSealed: (block, taps) => {
      const chain = String(block.chain);
      blocksSealed.inc({ chain });
      tapsSealed.inc({ chain }, taps);
      entriesSealed.inc({ chain }, block.treeSize - block.indexFirst);
      publisher?.notify(block.chain);
    },
    onAssigned: (chains, revoked) => {
      logger.info({ chains, revoked }, 'chains assigned');
      publisher?.setChains(chains);
    },
    onRejected: (chain, offset, reason) => {
      rejected.inc({ chain: String(chain) });
      logger.error({ chain, offset, reason }, 'tap-log record refused; skipped');
    },
    onUnpriced: (chain, offset, code, reason) => {
      unpriced.inc({ chain: String(chain) });
      logger.error({ chain, offset, code, reason }, 'tap sealed without a trip: it cannot be priced');
    },
    onFailure: (error) => {
      // As an exception in a single-threaded batcher would: the process ends, and the next
      // start resumes every chain after its last sealed block.
      logger.fatal({ err: error }, 'chain worker failed; exiting');
      setImmediate(() => {
        throw error;
      });
    },
  });
  const source = tapSource(config);
  const health = healthRoutes({ ready: async () => ({ checks: {} }), stoppingSignal: options.signal });
  const app = serviceApp({ metrics, logger, health });
  const serve = options.serve ?? ((served) => listen(served, { host: config.host, port: config.port, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 }));
  const server = await serve(app);
  publisher?.start();
  await source.start(batcher);
  logger.info({ url: server.url, tapLog: config.tapLog, ledger: config.ledgerPath, chains: batcher.chains }, 'batcher running');
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    stop: () =>
      (stopped ??= (async () => {
        health.markStopping();
        await source.stop();
        await batcher.sealAll();
        await publisher?.stop();
        await batcher.close();
        await server.close();
        logger.info('batcher stopped');
      })()),
  };
}

function tapSource(config: BatcherConfig): TapSource {
  if (config.tapLog === 'local') {
    return new LocalTapSource({ path: config.tapLogPath, partitions: config.tapLogPartitions, pollMs: config.pollMs, readRecordsMax: config.entriesPerBlockMax });
  }
  return new KafkaTapSource({ brokers: config.kafkaBrokers, topic: config.kafkaTopicTaps, group: config.group, clientId: 'fareledger-batcher', sessionTimeoutMs: config.kafkaSessionTimeoutMs });
}

/**
 * Loaded, never generated in production; the embedded dev mode may create one, and says
 * so. Loaded here once so that a bad key fails the start with its own message; each chain
 * worker loads it again.
 */
function ensureSigningKey(config: BatcherConfig, logger: Logger): void {
  if (existsSync(config.signingKeyPath) || !config.devCreateKey) {
    loadSigningKey(config.signingKeyPath);
    return;
  }
  createSigningKeyFile(config.signingKeyPath, config.signingKeyName);
  logger.warn({ path: config.signingKeyPath, keyName: config.signingKeyName }, 'DEV MODE: created a new ledger signing key; production must load a key it was given');
}
