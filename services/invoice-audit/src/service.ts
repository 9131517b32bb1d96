import { existsSync } from 'node:fs';
import { formatVerifierKey, type SignerKey, verifierKeyOf } from '@fareledger/checkpoint';
import { loadSzmNetwork } from '@fareledger/domain/node-data';
import { createSigningKeyFile, LedgerReader, LedgerWriter, loadSigningKey } from '@fareledger/ledger';
import { createMetrics, healthRoutes, listen, type Logger, type ServeApp } from '@fareledger/runtime';
import { openTapLog } from '@fareledger/tap-log';
import { tapLogConfigOf } from '@fareledger/tap-log/config';
import { AccessRegistry } from './access-registry.js';
import { AdjustmentDesk } from './adjustment-desk.js';
import { AuditJobs } from './audit-jobs.js';
import { createInvoiceAuditApp } from './app.js';
import { type InvoiceAuditConfig, trustedVerifierKeys } from './config.js';
import { BlockReplicator } from './block-replicator.js';
import { Follower } from './follower.js';
import { InvoiceIssuer } from './issuer.js';
import { createInvoiceMetrics } from './invoice-metrics.js';
import { LedgerIndex } from './ledger-index.js';
import { loadOperators } from './operators-file.js';

/** A running invoice and audit service. */
export interface InvoiceAuditHandle {
  readonly url: string;
  /** Indexes everything sealed so far (tests). */
  catchUp(): Promise<void>;
  /**
   * The shutdown contract: readiness turns false; long polls answer at once; the server
   * stops accepting and lets in-flight requests finish; following stops; the index, the
   * access file and the ledger reader close.
   */
  stop(): Promise<void>;
}

/** Adjustments are rare and each waits for its own append: no lingering for a group. */
const adjustmentGroupCommit = { lingerMs: 0, appendTimeoutMs: 5_000 };

export interface StartInvoiceAuditOptions {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /**
   * Serves the app: by default `listen()` on the configured host and port. The one-process
   * city (services/city) mounts it on its own server instead, and closes that server first.
   */
  readonly serve?: ServeApp;
}

export async function startInvoiceAudit(config: InvoiceAuditConfig, options: StartInvoiceAuditOptions): Promise<InvoiceAuditHandle> {
  const { logger } = options;
  const operators = loadOperators(config.operatorsPath);
  const auditKey = auditSigningKey(config, logger);
  // A replica creates its ledger file (and checks it is this log's) before the reader opens it.
  const replicaWriter = config.ledgerSource === 'fare.blocks' ? LedgerWriter.open({ path: config.ledgerPath, logName: config.logName, create: true }) : undefined;
  const reader = openReader(config, replicaWriter);
  const closers: (() => void)[] = [() => reader.close(), () => replicaWriter?.close()];
  try {
    const index = LedgerIndex.open({ path: config.indexPath, logName: reader.logName, operators });
    closers.push(() => index.close());
    const access = AccessRegistry.open({ path: config.accessPath, refreshMs: config.accessRefreshMs });
    closers.push(() => access.close());
    const metrics = createMetrics({ service: 'invoice-audit' });
    let replicator: BlockReplicator | undefined;
    const invoiceMetrics = createInvoiceMetrics(metrics, { reader, index, replicator: () => replicator });
    const follower = new Follower({
      index, logger, worker: {
        ledgerPath: config.ledgerPath, ...(replicaWriter === undefined ? {} : { logName: config.logName }), indexPath: config.indexPath,
        operatorsPath: config.operatorsPath, intervalMs: config.followIntervalMs, batchEntriesMax: config.followBatchEntriesMax, nice: config.indexNice,
      },
      onIndexed: (entries) => invoiceMetrics.entriesIndexed.inc(entries),
    });
    const issuer = new InvoiceIssuer(reader, index, operators, loadSzmNetwork(), config.invoiceCacheEntriesMax, (kind) => invoiceMetrics.invoicesIssued.inc({ kind }));
    replicator = replicaWriter === undefined ? undefined : new BlockReplicator({
      writer: replicaWriter, brokers: config.kafkaBrokers, topic: config.kafkaTopicBlocks, trusted: trustedVerifierKeys(config),
      clientId: config.kafkaClientId, logger,
    });
    const health = healthRoutes({
      ready: async () => ({
        checks: {
          ledger: follower.lastError === undefined ? { ok: true } : { ok: false, detail: 'the ledger cannot be read' },
          ...(replicator === undefined ? {} : {
            replica: replicator.failures.size === 0 ? { ok: true } : { ok: false, detail: `replication stopped: ${[...replicator.failures.values()][0]}` },
          }),
        },
      }),
      stoppingSignal: options.signal,
    });
    const desk = AdjustmentDesk.open({ path: config.adjustmentsPath, index, openTapLog: () => openTapLog(tapLogConfigOf(config, adjustmentGroupCommit, logger)) });
    closers.push(() => void desk.close());
    const jobs = new AuditJobs({ ledgerPath: config.ledgerPath, logName: reader.logName, auditKey, journeyMsMax: config.journeyMsMax, logger, onStart: (kind) => invoiceMetrics.auditJobs.inc({ kind }) });
    const auditVerifierKey = formatVerifierKey(verifierKeyOf(auditKey));
    const app = createInvoiceAuditApp({
      config, reader, index, issuer, access, follower, jobs, desk, auditVerifierKey, metrics, invoiceMetrics, health, logger, ...(options.signal ? { signal: options.signal } : {}),
    });
    await follower.catchUp();
    follower.start();
    await replicator?.start();
    closers.unshift(() => void replicator?.stop());
    closers.unshift(() => void follower.stop());
    const serve = options.serve ?? ((served) => listen(served, {
      host: config.host, port: config.port, headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs, closeMsMax: config.waitMsMax + 1000,
    }));
    const server = await serve(app);
    logger.info({ url: server.url, ledger: config.ledgerPath, logName: reader.logName, docs: `${server.url}/docs` }, 'invoice-audit listening');
    let stopped: Promise<void> | undefined;
    return {
      url: server.url,
      catchUp: () => follower.catchUp(),
      stop: () =>
        (stopped ??= (async () => {
          health.markStopping();
          await server.close();
          await replicator?.stop();
          await follower.stop();
          await jobs.stop();
          await desk.close();
          for (const close of closers.reverse()) close();
        })()),
    };
  } catch (error) {
    for (const close of closers.reverse()) close();
    throw error;
  }
}

/** Loaded, never generated in production; the embedded dev mode may create one, and says so. */
function auditSigningKey(config: InvoiceAuditConfig, logger: Logger): SignerKey {
  if (existsSync(config.auditKeyPath) || !config.devCreateKey) return loadSigningKey(config.auditKeyPath);
  const key = createSigningKeyFile(config.auditKeyPath, config.auditKeyName);
  logger.warn({ path: config.auditKeyPath, keyName: config.auditKeyName }, 'DEV MODE: created a new audit signing key; production must load a key it was given');
  return key;
}

function openReader(config: InvoiceAuditConfig, replicaWriter: LedgerWriter | undefined): LedgerReader {
  try {
    return LedgerReader.open({ path: config.ledgerPath, ...(replicaWriter === undefined ? {} : { logName: config.logName }) });
  } catch (error) {
    replicaWriter?.close();
    throw error;
  }
}

