import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createMetrics, httpMetrics, metricsRoute } from './metrics.js';
import { problem } from './problem.js';
import { notFoundProblem, onProblemError } from './problem-http.js';
import { silentLogger } from './logger.js';

function testApp(withDefaults = false): Hono {
  const metrics = createMetrics({ service: 'ingest', defaultMetrics: withDefaults });
  const v1 = new Hono();
  v1.use('*', async (_c, next) => next()); // a sub-app middleware, as auth will be
  v1.post('/taps', (c) => c.json({ accepted: 1 }, 202));
  v1.get('/invoices/:id', (c) => c.json({ id: c.req.param('id') }));
  v1.get('/fail', () => {
    throw problem('unavailable', 'down');
  });
  const app = new Hono();
  app.onError(onProblemError(silentLogger()));
  app.notFound(notFoundProblem);
  app.use('*', httpMetrics(metrics));
  app.get('/metrics', metricsRoute(metrics));
  app.route('/v1', v1);
  return app;
}

function series(exposition: string, name: string): string[] {
  return exposition.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('httpMetrics', () => {
  it('counts by method, route pattern and status; never the raw path', async () => {
    const app = testApp();
    await app.request('/v1/taps', { method: 'POST' });
    await app.request('/v1/taps', { method: 'POST' });
    await app.request('/v1/invoices/a1');
    await app.request('/v1/invoices/b2');
    await app.request('/v1/fail');
    await app.request('/v1/nope');
    await app.request('/nothing/here');
    await app.request('/v1/taps', { method: 'PROPFIND' });
    const exposition = await (await app.request('/metrics')).text();
    expect(series(exposition, 'http_requests_total')).toEqual([
      'http_requests_total{method="POST",route="/v1/taps",status="202",service="ingest"} 2',
      'http_requests_total{method="GET",route="/v1/invoices/:id",status="200",service="ingest"} 2',
      'http_requests_total{method="GET",route="/v1/fail",status="503",service="ingest"} 1',
      'http_requests_total{method="GET",route="unmatched",status="404",service="ingest"} 2',
      'http_requests_total{method="OTHER",route="unmatched",status="404",service="ingest"} 1',
    ]);
    expect(series(exposition, 'http_request_duration_seconds_count')).toEqual([
      'http_request_duration_seconds_count{service="ingest",method="POST",route="/v1/taps",status="202"} 2',
      'http_request_duration_seconds_count{service="ingest",method="GET",route="/v1/invoices/:id",status="200"} 2',
      'http_request_duration_seconds_count{service="ingest",method="GET",route="/v1/fail",status="503"} 1',
      'http_request_duration_seconds_count{service="ingest",method="GET",route="unmatched",status="404"} 2',
      'http_request_duration_seconds_count{service="ingest",method="OTHER",route="unmatched",status="404"} 1',
    ]);
    expect(series(exposition, 'http_request_duration_seconds_bucket').filter((line) => line.includes('le="+Inf"'))).toHaveLength(5);
  });

  it('labels unmatched requests even with the default not-found handler', async () => {
    const metrics = createMetrics({ service: 'plain', defaultMetrics: false });
    const app = new Hono();
    app.use('*', httpMetrics(metrics));
    app.get('/metrics', metricsRoute(metrics));
    await app.request('/missing');
    expect(series(await (await app.request('/metrics')).text(), 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="unmatched",status="404",service="plain"} 1',
    ]);
  });
});

describe('metricsRoute', () => {
  it('serves the text format with default process metrics under the service label', async () => {
    const response = await testApp(true).request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const exposition = await response.text();
    expect(exposition).toContain('# TYPE process_resident_memory_bytes gauge\n');
    expect(exposition).toContain('# TYPE process_cpu_seconds_total counter\n');
    expect(exposition).toContain('# TYPE nodejs_eventloop_lag_seconds gauge\n');
    expect(series(exposition, 'process_resident_memory_bytes')).toEqual([expect.stringMatching(/^process_resident_memory_bytes\{service="ingest"\} [1-9]\d*$/)]);
  });

  it('keeps registries apart', async () => {
    const a = createMetrics({ service: 'a', defaultMetrics: false });
    const b = createMetrics({ service: 'b', defaultMetrics: false });
    a.httpRequests.labels('GET', '/x', '200').inc();
    expect(series(await b.registry.metrics(), 'http_requests_total')).toEqual([]);
    expect(series(await a.registry.metrics(), 'http_requests_total')).toEqual(['http_requests_total{method="GET",route="/x",status="200",service="a"} 1']);
  });
});
