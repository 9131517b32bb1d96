import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { docsPageRoutes } from './docs-page.js';
import { notFoundProblem } from './problem-http.js';

function app(): Hono {
  const routes = new Hono();
  routes.notFound(notFoundProblem);
  routes.route('/', docsPageRoutes({ title: 'Test <API>', openapiPath: '/openapi.json' }));
  return routes;
}

describe('docsPageRoutes', () => {
  it('serves the Swagger UI assets it lists, from the installed package', async () => {
    const response = await app().request('/docs/swagger-ui.css');
    expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'package.json', '..%2Fpackage.json'])('answers 404 for /docs/%s, which is no asset', async (name) => {
    const response = await app().request(`/docs/${name}`);
    expect([response.status, response.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
  });
});
