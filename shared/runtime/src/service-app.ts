import { Hono } from 'hono';
import type { HealthRoutes } from './health.js';
import type { Logger } from './logger.js';
import { httpMetrics, type Metrics, metricsRoute } from './metrics.js';
import { notFoundProblem, onProblemError } from './problem-http.js';

export interface ServiceAppOptions {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly health: HealthRoutes;
}

/**
 * The hono app every service starts from: request metrics on every route, problem+json for
 * errors and unknown paths, `/healthz`, `/readyz` and `/metrics`. Services add their routes.
 */
export function serviceApp(options: ServiceAppOptions): Hono {
  const app = new Hono();
  app.use('*', httpMetrics(options.metrics));
  app.onError(onProblemError(options.logger));
  app.notFound(notFoundProblem);
  app.route('/', options.health.app);
  app.get('/metrics', metricsRoute(options.metrics));
  return app;
}
