import { Hono } from 'hono';
import { assert } from '@fareledger/domain';
import { problem } from './problem.js';
import { problemResponse } from './problem-http.js';

/** One dependency's state; `detail` says why it is down, in words safe to show anyone. */
export interface CheckResult {
  readonly ok: boolean;
  readonly detail?: string;
}

/** What a service reports: ready when every check is ok. */
export interface ReadyResult {
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface HealthOptions {
  readonly ready: () => Promise<ReadyResult>;
  /** A readiness check that has not answered in this time counts as down. Default 2000. */
  readonly readyTimeoutMs?: number;
  /** Aborting it has the effect of `markStopping()`: pass runService's signal. */
  readonly stoppingSignal?: AbortSignal | undefined;
}

export interface HealthRoutes {
  /** `GET /healthz` and `GET /readyz`; mount with `app.route('/', health.app)`. */
  readonly app: Hono;
  /** Readiness turns false for good, so load balancers drain before intake stops. */
  markStopping(): void;
  readonly stopping: boolean;
}

type CheckStatus = { readonly status: 'up' } | { readonly status: 'down'; readonly detail: string };

/**
 * Liveness and readiness. `/healthz` answers 200 while the event loop runs (no checks: a
 * broker outage must not get the process restarted). `/readyz` answers 200 `{status:'ready',
 * checks}` or a 503 `unavailable` problem with `Retry-After: 1` and the same `checks`.
 */
export function healthRoutes(options: HealthOptions): HealthRoutes {
  const readyTimeoutMs = options.readyTimeoutMs ?? 2000;
  assert(Number.isSafeInteger(readyTimeoutMs) && readyTimeoutMs > 0, 'healthRoutes: readyTimeoutMs must be a positive integer');
  let stopping = options.stoppingSignal?.aborted ?? false;
  options.stoppingSignal?.addEventListener('abort', () => (stopping = true), { once: true });

  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks: Record<string, CheckStatus> = stopping
      ? { shutdown: { status: 'down', detail: 'the service is shutting down' } }
      : await runChecks(options.ready, readyTimeoutMs);
    const down = Object.keys(checks).filter((name) => checks[name]?.status === 'down');
    if (down.length === 0) return c.json({ status: 'ready', checks });
    const detail = `Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down.`;
    return problemResponse(c, problem('unavailable', detail, { headers: { 'retry-after': '1' }, extensions: { checks } }));
  });
  return {
    app,
    markStopping: () => {
      stopping = true;
    },
    get stopping() {
      return stopping;
    },
  };
}

async function runChecks(ready: () => Promise<ReadyResult>, timeoutMs: number): Promise<Record<string, CheckStatus>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([ready(), timeout]);
    if (result === 'timeout') return { readiness: { status: 'down', detail: `the readiness check took longer than ${timeoutMs} ms` } };
    const checks: Record<string, CheckStatus> = {};
    for (const [name, check] of Object.entries(result.checks)) {
      checks[name] = check.ok ? { status: 'up' } : { status: 'down', detail: check.detail ?? 'down' };
    }
    return checks;
  } catch {
    // The error stays in the service's own logs: readiness is public, its internals are not.
    return { readiness: { status: 'down', detail: 'the readiness check failed' } };
  } finally {
    clearTimeout(timer);
  }
}
