import { definedOnly, parseRequest, pathParam, problem, readJsonBody, requireAdminToken } from '@fareledger/runtime';
import { Hono } from 'hono';
import { type AccessRegistry, TokenNotFoundError } from './access-registry.js';
import { issueTokenSchema, listTokensQuerySchema, tokenIdSchema } from './schemas.js';

const adminBodyBytesMax = 16 * 1024;

/** `/v1/admin`: issue and revoke wallet and auditor tokens. The admin bearer token only. */
export function adminRoutes(options: { readonly access: AccessRegistry; readonly adminToken: string }): Hono {
  const { access } = options;
  const app = new Hono();
  app.use('*', requireAdminToken(options.adminToken, 'fareledger-admin'));
  app.post('/tokens', async (c) => {
    const input = parseRequest(issueTokenSchema, await readJsonBody(c, adminBodyBytesMax));
    const issued = access.issue(definedOnly(input));
    c.header('Location', `/v1/admin/tokens/${issued.record.tokenId}`);
    c.header('Cache-Control', 'no-store');
    return c.json(issued, 201);
  });
  app.get('/tokens', (c) => {
    const query = parseRequest(listTokensQuerySchema, c.req.query());
    return c.json({ tokens: access.list({ limit: query.limit ?? 100, ...(query.account === undefined ? {} : { account: query.account }) }) });
  });
  app.get('/tokens/:tokenId', (c) => {
    const tokenId = pathParam(tokenIdSchema, c.req.param('tokenId'), 'token');
    const record = access.token(tokenId);
    if (record === undefined) throw problem('not-found', `No token ${tokenId}.`);
    return c.json(record);
  });
  app.post('/tokens/:tokenId/revoke', (c) => {
    const tokenId = pathParam(tokenIdSchema, c.req.param('tokenId'), 'token');
    try {
      return c.json(access.revoke(tokenId));
    } catch (error) {
      if (error instanceof TokenNotFoundError) throw problem('not-found', `No token ${tokenId}.`);
      throw error;
    }
  });
  return app;
}
