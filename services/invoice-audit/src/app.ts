import type { LedgerReader } from '@fareledger/ledger';
import { docsPageRoutes, genericProblemTypes, type HealthRoutes, type Logger, type Metrics, problemDocsRoutes, serviceApp } from '@fareledger/runtime';
import type { Hono } from 'hono';
import type { AccessRegistry } from './access-registry.js';
import type { AdjustmentDesk } from './adjustment-desk.js';
import { adminRoutes } from './admin-routes.js';
import type { AuditJobs } from './audit-jobs.js';
import { auditRoutes } from './audit-routes.js';
import type { InvoiceAuditConfig } from './config.js';
import type { Follower } from './follower.js';
import type { InvoiceIssuer } from './issuer.js';
import type { LedgerIndex } from './ledger-index.js';
import type { InvoiceMetrics } from './invoice-metrics.js';
import { invoiceAuditOpenApi } from './openapi.js';
import { invoiceProblemTypes } from './problem-types.js';
import { transparencyRoutes } from './transparency-routes.js';
import { verifyPageRoutes } from './verify-page.js';
import { walletRoutes } from './wallet-routes.js';

export interface InvoiceAuditAppDeps {
  readonly config: Pick<InvoiceAuditConfig, 'adminToken' | 'waitMsMax' | 'pageSizeMax' | 'publicUrl'>;
  readonly reader: LedgerReader;
  readonly index: LedgerIndex;
  readonly issuer: InvoiceIssuer;
  readonly access: AccessRegistry;
  readonly follower: Follower;
  readonly jobs: AuditJobs;
  readonly desk: AdjustmentDesk;
  /** The verifier key of the key that signs audit results. */
  readonly auditVerifierKey: string;
  readonly metrics: Metrics;
  readonly invoiceMetrics: InvoiceMetrics;
  readonly health: HealthRoutes;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** The invoice and audit HTTP app: every route, no socket (tests drive it with app.request()). */
export function createInvoiceAuditApp(deps: InvoiceAuditAppDeps): Hono {
  const { config } = deps;
  const app = serviceApp({ metrics: deps.metrics, logger: deps.logger, health: deps.health });
  const wallet = walletRoutes({
    access: deps.access, issuer: deps.issuer, index: deps.index, follower: deps.follower,
    waitMsMax: config.waitMsMax, pageSizeMax: config.pageSizeMax, publicUrl: config.publicUrl, ...(deps.signal ? { signal: deps.signal } : {}),
  });
  app.route('/v1', transparencyRoutes(deps.reader, deps.auditVerifierKey));
  app.route('/v1/audit', auditRoutes({ access: deps.access, reader: deps.reader, index: deps.index, issuer: deps.issuer, jobs: deps.jobs }));
  app.route('/v1/admin', adminRoutes({
    access: deps.access, adminToken: config.adminToken, desk: deps.desk, issuer: deps.issuer, follower: deps.follower, adjustments: deps.invoiceMetrics.adjustments,
    waitMsMax: config.waitMsMax, ...(deps.signal ? { signal: deps.signal } : {}),
  }));
  app.route('/v1', wallet);
  app.route('/', verifyPageRoutes(deps.reader));
  const openapi = JSON.stringify(invoiceAuditOpenApi(config));
  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));
  app.route('/', docsPageRoutes({ title: 'Fareledger invoices and audit API', openapiPath: '/openapi.json' }));
  app.route('/', problemDocsRoutes({ ...genericProblemTypes, ...invoiceProblemTypes }));
  return app;
}
