import { serve } from '@hono/node-server';
import { Hono } from 'hono';

// The ceiling the ingest figures are compared with: the same HTTP stack (hono on
// @hono/node-server), the same request, and a handler that only reads the body and
// answers with it. Prints its URL as one JSON line once listening.
const app = new Hono();
app.post('/echo', async (c) => c.body(await c.req.arrayBuffer(), 200, { 'content-type': c.req.header('content-type') ?? 'application/octet-stream' }));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ msg: 'echo listening', url: `http://127.0.0.1:${info.port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
