import { serve } from '@hono/node-server';
import { Hono } from 'hono';

// The ceiling the ingest (and invoice) figures are compared with: the same HTTP stack (hono on
// @hono/node-server), the same request, and a handler that only reads the body and
// answers with it. Prints its URL as one JSON line once listening.
const app = new Hono();
app.post('/echo', async (c) => c.body(await c.req.arrayBuffer(), 200, { 'content-type': c.req.header('content-type') ?? 'application/octet-stream' }));
// GET of a fixed JSON body as large as an invoice with its proofs (ECHO_STATIC_BYTES): the
// ceiling of the invoice fetch figures.
const staticBody = JSON.stringify({ padding: 'x'.repeat(Math.max(0, Number(process.env.ECHO_STATIC_BYTES ?? '5000') - 16)) });
app.get('/static', (c) => c.body(staticBody, 200, { 'content-type': 'application/json' }));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ msg: 'echo listening', url: `http://127.0.0.1:${info.port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
