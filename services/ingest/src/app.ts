import {
  docsPageRoutes,
  genericProblemTypes,
  type HealthRoutes,
  type Logger,
  type Metrics,
  problem,
  problemDocsRoutes,
  serviceApp,
} from '@fareledger/runtime';
import type { TapLog } from '@fareledger/tap-log';
import type { Hono } from 'hono';
import { adminRoutes } from './admin-routes.js';
import type { IngestConfig } from './config.js';
import type { DeviceDoor } from './device-door.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { ingestOpenApi } from './openapi.js';
import { ingestProblemTypes } from './problem-types.js';
import { tapsHandler } from './taps-route.js';

export type IngestAppConfig = Pick<
  IngestConfig,
  'adminToken' | 'batchTapsMax' | 'bodyBytesMax' | 'signatureSkewMsMax' | 'eventTimeFutureMsMax' | 'eventTimePastMsMax' | 'appendTimeoutMs'
>;

export interface IngestAppDeps {
  readonly config: IngestAppConfig;
  readonly door: DeviceDoor;
  readonly tapLog: TapLog;
  readonly metrics: Metrics;
  readonly ingestMetrics: IngestMetrics;
  readonly health: HealthRoutes;
  readonly logger: Logger;
}

/** The ingest HTTP app: every route, no socket (tests drive it with app.request()). */
export function createIngestApp(deps: IngestAppDeps): Hono {
  const { config } = deps;
  const app = serviceApp({ metrics: deps.metrics, logger: deps.logger, health: deps.health });

  const handler = tapsHandler({
    door: deps.door,
    tapLog: deps.tapLog,
    metrics: deps.ingestMetrics,
    batchTapsMax: config.batchTapsMax,
    bodyBytesMax: config.bodyBytesMax,
    eventTimeFutureMsMax: config.eventTimeFutureMsMax,
    eventTimePastMsMax: config.eventTimePastMsMax,
    unavailableRetryAfterS: Math.max(1, Math.ceil(config.appendTimeoutMs / 1000)),
  });
  app.post('/v1/taps', handler);
  app.all('/v1/taps', (c) => {
    throw problem('method-not-allowed', `${c.req.method} is not allowed on /v1/taps; POST taps.`, { headers: { Allow: 'POST' } });
  });
  app.route('/v1/admin', adminRoutes({ registry: deps.door.registry, adminToken: config.adminToken }));

  const openapi = JSON.stringify(ingestOpenApi(config));
  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));
  app.route('/', docsPageRoutes({ title: 'Fareledger ingest API', openapiPath: '/openapi.json' }));
  app.route('/', problemDocsRoutes({ ...genericProblemTypes, ...ingestProblemTypes }));
  return app;
}
