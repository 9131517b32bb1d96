import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { healthRoutes, type ReadyResult } from './health.js';

async function read(app: Hono, path: string): Promise<[number, string | null, string | null, unknown]> {
  const response = await app.request(path);
  return [response.status, response.headers.get('content-type'), response.headers.get('retry-after'), await response.json()];
}

function serve(ready: () => Promise<ReadyResult>, options: { readyTimeoutMs?: number; stoppingSignal?: AbortSignal } = {}) {
  const health = healthRoutes({ ready, ...options });
  return { health, app: new Hono().route('/', health.app) };
}

describe('healthRoutes', () => {
  it('is alive, and ready when every check is up', async () => {
    const { app } = serve(async () => ({ checks: { kafka: { ok: true }, ledger: { ok: true } } }));
    expect(await read(app, '/healthz')).toEqual([200, 'application/json', null, { status: 'ok' }]);
    expect(await read(app, '/readyz')).toEqual([
      200,
      'application/json',
      null,
      { status: 'ready', checks: { kafka: { status: 'up' }, ledger: { status: 'up' } } },
    ]);
  });

  it('answers 503 unavailable with Retry-After and what is down', async () => {
    const { app } = serve(async () => ({ checks: { kafka: { ok: false, detail: 'no broker reachable' }, ledger: { ok: true } } }));
    expect(await read(app, '/readyz')).toEqual([
      503,
      'application/problem+json',
      '1',
      {
        type: '/problems/unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: 'Not ready: kafka is down.',
        checks: { kafka: { status: 'down', detail: 'no broker reachable' }, ledger: { status: 'up' } },
      },
    ]);
    expect(await read(app, '/healthz')).toEqual([200, 'application/json', null, { status: 'ok' }]);
  });

  it('turns not ready for good once stopping, without asking the checks', async () => {
    let asked = 0;
    const { app, health } = serve(async () => {
      asked += 1;
      return { checks: { kafka: { ok: true } } };
    });
    expect((await read(app, '/readyz'))[0]).toBe(200);
    health.markStopping();
    expect(health.stopping).toBe(true);
    expect(await read(app, '/readyz')).toEqual([
      503,
      'application/problem+json',
      '1',
      {
        type: '/problems/unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: 'Not ready: shutdown is down.',
        checks: { shutdown: { status: 'down', detail: 'the service is shutting down' } },
      },
    ]);
    expect(asked).toBe(1);
  });

  it('follows an abort signal', async () => {
    const controller = new AbortController();
    const { app, health } = serve(async () => ({ checks: {} }), { stoppingSignal: controller.signal });
    expect((await read(app, '/readyz'))[3]).toEqual({ status: 'ready', checks: {} });
    controller.abort();
    expect(health.stopping).toBe(true);
    expect((await read(app, '/readyz'))[0]).toBe(503);
  });

  it('counts a failing or hung check as down, without leaking the error', async () => {
    const failing = serve(async () => {
      throw new Error('password=hunter2');
    });
    const [status, , , body] = await read(failing.app, '/readyz');
    expect([status, (body as { checks: unknown }).checks]).toEqual([503, { readiness: { status: 'down', detail: 'the readiness check failed' } }]);
    const hung = serve(() => new Promise<never>(() => {}), { readyTimeoutMs: 20 });
    expect((await read(hung.app, '/readyz'))[3]).toMatchObject({
      status: 503,
      checks: { readiness: { status: 'down', detail: 'the readiness check took longer than 20 ms' } },
    });
  });
});
