import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { invalidRequest, problem } from './problem.js';
import { notFoundProblem, onProblemError, problemResponse } from './problem-http.js';
import { capturingLogger } from './test-logger.js';

function testApp(): { app: Hono; lines: Record<string, unknown>[] } {
  const { logger, lines } = capturingLogger('test', 'debug');
  const app = new Hono();
  app.onError(onProblemError(logger));
  app.notFound(notFoundProblem);
  app.get('/busy', () => {
    throw problem('unavailable', 'The broker is down.', { headers: { 'retry-after': '1' } });
  });
  app.post('/taps', () => {
    throw invalidRequest([{ pointer: '/taps/0/eventTime', detail: 'Must be an integer' }]);
  });
  app.post('/limited', bodyLimit({ maxSize: 4 }), (c) => c.text('ok'));
  app.get('/hono-401', () => {
    throw new HTTPException(401, { res: new Response(null, { status: 401, headers: { 'www-authenticate': 'Signature realm="taps"' } }) });
  });
  app.get('/hono-418', () => {
    throw new HTTPException(418, { message: 'teapot' });
  });
  app.get('/bug', () => {
    throw new TypeError('secret internal state: db password is hunter2');
  });
  app.get('/direct', (c) => problemResponse(c, problem('forbidden', 'Not your account.')));
  return { app, lines };
}

async function read(response: Response): Promise<[number, string | null, unknown]> {
  return [response.status, response.headers.get('content-type'), await response.json()];
}

describe('onProblemError', () => {
  it('renders a thrown Problem with its status, media type and headers', async () => {
    const { app, lines } = testApp();
    const response = await app.request('/busy');
    expect(await read(response)).toEqual([
      503,
      'application/problem+json',
      { type: '/problems/unavailable', title: 'Service unavailable', status: 503, detail: 'The broker is down.' },
    ]);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(lines.map((line) => [line['level'], line['msg'], line['problem']])).toEqual([['warn', 'request failed', 'unavailable']]);
  });

  it('renders invalid-request with its errors, logging it at debug only', async () => {
    const { app, lines } = testApp();
    expect(await read(await app.request('/taps', { method: 'POST' }))).toEqual([
      400,
      'application/problem+json',
      {
        type: '/problems/invalid-request',
        title: 'Invalid request',
        status: 400,
        detail: 'The request has 1 invalid value, at /taps/0/eventTime: see errors.',
        errors: [{ pointer: '/taps/0/eventTime', detail: 'Must be an integer' }],
      },
    ]);
    expect(lines.map((line) => line['level'])).toEqual(['debug']);
  });

  it("maps hono's HTTPException, keeping WWW-Authenticate", async () => {
    const { app } = testApp();
    const tooLarge = await app.request('/limited', { method: 'POST', body: 'too long', headers: { 'content-type': 'text/plain' } });
    expect(await read(tooLarge)).toEqual([
      413,
      'application/problem+json',
      { type: '/problems/payload-too-large', title: 'Payload too large', status: 413, detail: 'Payload too large' },
    ]);
    const unauthenticated = await app.request('/hono-401');
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Signature realm="taps"');
    expect(await read(unauthenticated)).toEqual([
      401,
      'application/problem+json',
      { type: '/problems/unauthenticated', title: 'Authentication required', status: 401, detail: 'Authentication required' },
    ]);
  });

  it('answers anything else with a bare 500 and logs the stack', async () => {
    const { app, lines } = testApp();
    const internal = {
      type: '/problems/internal',
      title: 'Internal error',
      status: 500,
      detail: 'The service failed unexpectedly; the error has been logged.',
    };
    const response = await app.request('/bug');
    const text = await response.text();
    expect([response.status, response.headers.get('content-type'), JSON.parse(text)]).toEqual([500, 'application/problem+json', internal]);
    expect(text).not.toContain('hunter2');
    expect(await read(await app.request('/hono-418'))).toEqual([500, 'application/problem+json', internal]);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'unhandled error', method: 'GET', path: '/bug', err: { type: 'TypeError' } });
    expect(String((lines[0]?.['err'] as { stack: string }).stack)).toContain('TypeError: secret internal state');
  });

  it('logs one info line, no stack, when the client went away mid-request', async () => {
    const { app, lines } = testApp();
    const gone = new AbortController();
    gone.abort();
    const response = await app.request(new Request('http://x/bug', { signal: gone.signal }));
    expect(response.status).toBe(400);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', msg: 'client went away', method: 'GET', path: '/bug', reason: 'secret internal state: db password is hunter2' }),
    ]);
    expect(lines[0]).not.toHaveProperty('err');
  });

  it('lets a handler return a problem response directly', async () => {
    const { app } = testApp();
    expect(await read(await app.request('/direct'))).toEqual([
      403,
      'application/problem+json',
      { type: '/problems/forbidden', title: 'Forbidden', status: 403, detail: 'Not your account.' },
    ]);
  });
});

describe('notFoundProblem', () => {
  it('answers 404 not-found naming the method and path', async () => {
    const { app } = testApp();
    expect(await read(await app.request('/v1/nope?x=1', { method: 'DELETE' }))).toEqual([
      404,
      'application/problem+json',
      { type: '/problems/not-found', title: 'Not found', status: 404, detail: 'No route matches DELETE /v1/nope.' },
    ]);
  });

  it('cuts a long path short', async () => {
    const { app } = testApp();
    const body = (await (await app.request(`/${'a'.repeat(300)}`)).json()) as { detail: string };
    expect(body.detail).toBe(`No route matches GET /${'a'.repeat(199)}….`);
  });
});
