import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { readBodyLimited } from './body.js';
import { onProblemError } from './problem-http.js';
import { silentLogger } from './logger.js';
import { listen } from './http.js';

function echoApp(bytesMax: number): Hono {
  const app = new Hono();
  app.onError(onProblemError(silentLogger()));
  app.post('/echo', async (c) => c.json({ length: (await readBodyLimited(c, bytesMax)).length }));
  return app;
}

const post = (app: Hono, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  app.request('http://test/echo', { method: 'POST', body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);

function chunkedStream(chunks: number, chunkBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === chunks) return controller.close();
      sent += 1;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x61));
    },
  });
}

describe('readBodyLimited', () => {
  it('reads a body up to the bound, declared or streamed', async () => {
    const app = echoApp(100);
    expect(await (await post(app, 'x'.repeat(100), { 'content-length': '100' })).json()).toEqual({ length: 100 });
    expect(await (await post(app, chunkedStream(4, 25))).json()).toEqual({ length: 100 });
    expect(await (await post(app, '')).json()).toEqual({ length: 0 });
  });

  it('refuses a declared length over the bound before reading, and a streamed one as it passes it', async () => {
    const app = echoApp(100);
    const declared = await post(app, 'x'.repeat(101), { 'content-length': '101' });
    expect([declared.status, ((await declared.json()) as { type: string }).type]).toEqual([413, '/problems/payload-too-large']);
    const streamed = await post(app, chunkedStream(1000, 25));
    expect([streamed.status, ((await streamed.json()) as { bodyBytesMax: number }).bodyBytesMax]).toEqual([413, 100]);
  });

  it('refuses a body longer than its Content-Length says (app.request does not check it)', async () => {
    const response = await post(echoApp(100), 'x'.repeat(200), { 'content-length': '10' });
    expect(response.status).toBe(413);
  });

  it('on a real socket: declared and chunked bodies both bounded', async () => {
    const server = await listen(echoApp(1000), { host: '127.0.0.1', port: 0, headersTimeoutMs: 2000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 1000 });
    try {
      const ok = await fetch(`${server.url}/echo`, { method: 'POST', body: 'y'.repeat(1000) });
      expect(await ok.json()).toEqual({ length: 1000 });
      const big = await fetch(`${server.url}/echo`, { method: 'POST', body: 'y'.repeat(1001) });
      expect(big.status).toBe(413);
      const chunked = await fetch(`${server.url}/echo`, { method: 'POST', body: chunkedStream(100, 100), duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(413);
    } finally {
      await server.close();
    }
  });
});
