import {
  docsPageRoutes, genericProblemTypes, type JsonObject, type Logger, notFoundProblem, onProblemError, problem, problemDocsRoutes, problemResponse,
} from '@fareledger/runtime';
import { type Context, Hono } from 'hono';
import { ingestProblemTypes } from '../../ingest/src/problem-types.js';
import { invoiceProblemTypes } from '../../invoice-audit/src/problem-types.js';
import { mergeExpositions } from './metrics-text.js';

// The one port of the city: each service's own app, mounted as it is (its routes, checks,
// metrics and problem answers unchanged), and what the three share answered once for all:
// readiness, metrics, the OpenAPI document, the docs and problem pages, the home page.

export const cityServices = ['ingest', 'batcher', 'invoice-audit'] as const;
export type CityService = (typeof cityServices)[number];

/** Ingest answers the device door and device administration; invoice-audit everything else under /v1 and /verify. */
export function ownerOf(pathname: string): CityService {
  if (pathname === '/v1/taps' || pathname === '/v1/admin/devices' || pathname.startsWith('/v1/admin/devices/')) return 'ingest';
  return 'invoice-audit';
}

export interface CityFrontOptions {
  readonly logger: Logger;
  /** The home page's routes (GET /), answered once the services are mounted. */
  readonly home?: () => Hono | undefined;
}

export class CityFront {
  readonly app = new Hono();
  readonly #apps = new Map<CityService, Hono>();
  readonly #home: () => Hono | undefined;
  #openapi: JsonObject | undefined;

  constructor(options: CityFrontOptions) {
    const { app } = this;
    this.#home = options.home ?? (() => undefined);
    app.onError(onProblemError(options.logger));
    app.notFound(notFoundProblem);
    app.get('/healthz', (c) => c.json({ status: 'ok' }));
    app.get('/readyz', (c) => this.#ready(c));
    app.get('/metrics', async (c) => {
      const texts = await Promise.all([...this.#apps.values()].map(async (served) => (await served.request('/metrics')).text()));
      return c.body(mergeExpositions(texts), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    });
    app.get('/openapi.json', (c) => (this.#openapi === undefined ? this.#starting(c) : c.json(this.#openapi)));
    app.route('/', docsPageRoutes({ title: 'Fareledger: devices, wallets, transparency, audit', openapiPath: '/openapi.json' }));
    app.route('/', problemDocsRoutes({ ...genericProblemTypes, ...ingestProblemTypes, ...invoiceProblemTypes }));
    const home = (c: Context) => {
      const routes = this.#home();
      return routes === undefined || this.#openapi === undefined ? this.#starting(c) : routes.fetch(c.req.raw, c.env);
    };
    app.get('/', home);
    app.get('/demo/*', home);
    app.all('*', (c) => {
      const served = this.#apps.get(ownerOf(c.req.path));
      return served === undefined ? this.#starting(c) : served.fetch(c.req.raw, c.env);
    });
  }

  /** Mounts a service's app; the OpenAPI document and the home page appear once all three are. */
  async mount(service: CityService, served: Hono): Promise<void> {
    this.#apps.set(service, served);
    if (this.#apps.size < cityServices.length) return;
    this.#openapi = mergeOpenApi(
      (await (await this.#apps.get('ingest')!.request('/openapi.json')).json()) as JsonObject,
      (await (await this.#apps.get('invoice-audit')!.request('/openapi.json')).json()) as JsonObject,
    );
  }

  async #ready(c: Context): Promise<Response> {
    if (this.#apps.size < cityServices.length) return this.#starting(c);
    const checks: Record<string, unknown> = {};
    const down: string[] = [];
    for (const [service, served] of this.#apps) {
      const response = await served.request('/readyz');
      const body = (await response.json()) as { checks?: Record<string, unknown> };
      checks[service] = response.status === 200 ? { status: 'up' } : { status: 'down', detail: `${service} is not ready` };
      for (const [name, check] of Object.entries(body.checks ?? {})) checks[`${service}.${name}`] = check;
      if (response.status !== 200) down.push(service);
    }
    if (down.length === 0) return c.json({ status: 'ready', checks });
    return problemResponse(c, problem('unavailable', `Not ready: ${down.join(', ')}.`, { headers: { 'retry-after': '1' }, extensions: { checks } }));
  }

  #starting(c: Context): Response {
    return problemResponse(c, problem('unavailable', 'The city is starting: its services are not all mounted yet.', { headers: { 'retry-after': '1' } }));
  }
}

/** One document of both APIs: the paths of each (health and metrics are the same routes in both), the components of each. */
export function mergeOpenApi(ingest: JsonObject, invoices: JsonObject): JsonObject {
  const components = (doc: JsonObject, key: string) => ((doc.components as JsonObject | undefined)?.[key] ?? {}) as JsonObject;
  const componentKeys = new Set([...Object.keys((ingest.components ?? {}) as JsonObject), ...Object.keys((invoices.components ?? {}) as JsonObject)]);
  return {
    ...invoices,
    info: {
      ...(invoices.info as JsonObject),
      title: 'Fareledger (one process)',
      description: 'Devices post taps (the ingest API); wallets fetch their invoices, anyone checks the transparency log, auditors verify and export (the invoice and audit API); all on one port.',
    },
    tags: [...new Map([...tagsOf(ingest), ...tagsOf(invoices)].map((tag) => [tag.name, tag])).values()],
    paths: { ...(ingest.paths as JsonObject), ...(invoices.paths as JsonObject) },
    components: Object.fromEntries([...componentKeys].map((key) => [key, { ...components(ingest, key), ...components(invoices, key) }])),
  };
}

function tagsOf(doc: JsonObject): { name: string }[] {
  return Array.isArray(doc.tags) ? (doc.tags as { name: string }[]) : [];
}
