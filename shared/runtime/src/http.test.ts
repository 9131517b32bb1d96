import { maxHeaderSize } from 'node:http';
import net from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AssertionError } from '@fareledger/domain';
import { type Listening, listen, type ListenOptions } from './http.js';
import { onProblemError } from './problem-http.js';
import { capturingLogger } from './test-logger.js';

const options: ListenOptions = { host: '127.0.0.1', port: 0, headersTimeoutMs: 300, requestTimeoutMs: 1000, keepAliveTimeoutMs: 5000 };

/** A promise with its resolve function outside, to hold a handler until the test lets it go. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const servers: Listening[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(app: Hono, overrides: Partial<ListenOptions> = {}): Promise<Listening> {
  const server = await listen(app, { ...options, ...overrides });
  servers.push(server);
  return server;
}

/** Raw HTTP over one socket: what it receives until the server closes it. */
function rawExchange(port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(send));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** The problem of a raw 408 answer, after checking its head: problem+json, and the connection closed. */
function requestTimeoutAnswer(received: string): unknown {
  const [head, body] = received.split('\r\n\r\n') as [string, string];
  expect(head.split('\r\n')).toEqual(['HTTP/1.1 408 Request Timeout', 'Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close']);
  return JSON.parse(body);
}

describe('listen', () => {
  it('serves on the real port when asked for port 0', async () => {
    const app = new Hono().get('/hello', (c) => c.text('hi'));
    const server = await start(app);
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const response = await fetch(`${server.url}/hello`);
    expect([response.status, await response.text()]).toEqual([200, 'hi']);
  });

  it('rejects when the port is taken', async () => {
    const first = await start(new Hono());
    await expect(listen(new Hono(), { ...options, port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('asserts on timeouts that contradict each other', () => {
    expect(() => listen(new Hono(), { ...options, headersTimeoutMs: 2000, requestTimeoutMs: 1000 })).toThrow(AssertionError);
  });

  it('cuts off a client that is slow to send its headers', async () => {
    const server = await start(new Hono().get('/', (c) => c.text('never')));
    const received = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n'); // no final blank line
    expect(requestTimeoutAnswer(received)).toEqual({
      type: '/problems/request-timeout', title: 'Request timeout', status: 408,
      detail: 'The request did not arrive in time: headers are read for at most 300 ms, the whole request for 1000 ms.',
    });
  });

  it('answers a request that is not valid HTTP with a problem+json 400 and closes the connection', async () => {
    const server = await start(new Hono().get('/', (c) => c.text('never')));
    const received = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: $?C\r\n\r\n');
    const [head, body] = received.split('\r\n\r\n') as [string, string];
    expect(head.split('\r\n')).toEqual(['HTTP/1.1 400 Bad Request', 'Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close']);
    expect(JSON.parse(body)).toEqual({
      type: '/problems/malformed-request', title: 'Malformed HTTP request', status: 400, detail: 'The request is not valid HTTP/1.1: Invalid character in Content-Length.',
    });
  });

  it('answers headers past maxHeaderSize with a problem+json 431 and closes the connection', async () => {
    const server = await start(new Hono().get('/', (c) => c.text('never')));
    const received = await rawExchange(server.port, `GET /?q=${'a'.repeat(maxHeaderSize)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const [head, body] = received.split('\r\n\r\n') as [string, string];
    expect(head.split('\r\n')).toEqual(['HTTP/1.1 431 Request Header Fields Too Large', 'Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close']);
    expect(JSON.parse(body)).toEqual({
      type: '/problems/headers-too-large', title: 'Request headers too large', status: 431, detail: `The request line and headers are larger than the ${maxHeaderSize} bytes the server reads.`,
    });
  });

  it('cuts off a client that is slow to send its body', async () => {
    const { logger, lines } = capturingLogger('test');
    const app = new Hono().post('/', async (c) => c.text(await c.req.text()));
    app.onError(onProblemError(logger));
    const server = await start(app, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const received = await rawExchange(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    expect(requestTimeoutAnswer(received)).toMatchObject({ type: '/problems/request-timeout', status: 408 });
    // The handler learns of the cut-off when its body read fails, soon after the socket closed.
    await vi.waitFor(() => expect(lines.map((line) => [line['msg'], line['path'], line['reason']])).toEqual([['client went away', '/', 'aborted']]));
  });
});

describe('close', () => {
  it('lets an in-flight request finish, refuses new connections, then resolves', async () => {
    const entered = deferred();
    const release = deferred();
    const app = new Hono().get('/slow', async (c) => {
      entered.resolve();
      await release.promise;
      return c.text('finished');
    });
    const server = await start(app);
    const slow = fetch(`${server.url}/slow`);
    await entered.promise;

    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await expect(fetch(`${server.url}/slow`)).rejects.toThrow('fetch failed');
    expect(closed).toBe(false);

    release.resolve();
    const response = await slow;
    expect([response.status, response.headers.get('connection'), await response.text()]).toEqual([200, 'close', 'finished']);
    await closing;
    expect(closed).toBe(true);
    expect(server.close()).toBe(server.close());
  });

  it('closes idle keep-alive connections at once', async () => {
    const server = await start(new Hono().get('/', (c) => c.text('ok')), { keepAliveTimeoutMs: 60_000, closeMsMax: 60_000 });
    const socket = net.connect(server.port, '127.0.0.1');
    const closedByServer = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const firstResponse = new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(String(chunk))));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await firstResponse).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    await server.close(); // would wait 60 s if the idle socket were kept
    await closedByServer;
  });

  it('destroys sockets still busy after closeMsMax', async () => {
    const entered = deferred();
    const app = new Hono().get('/hang', async () => {
      entered.resolve();
      return new Promise<Response>(() => {});
    });
    const server = await start(app, { closeMsMax: 50 });
    const hanging = fetch(`${server.url}/hang`);
    await entered.promise;
    await server.close();
    await expect(hanging).rejects.toThrow('fetch failed');
  });
});
