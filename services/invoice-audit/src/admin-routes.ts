import { definedOnly, parseRequest, pathParam, problem, readJsonBody, requireAdminToken } from '@fareledger/runtime';
import { Hono } from 'hono';
import type { Counter } from 'prom-client';
import { type AccessRegistry, TokenNotFoundError } from './access-registry.js';
import { LogClosedError, LogOverloadedError, LogUnavailableError } from '@fareledger/tap-log';
import { type AdjustmentDesk, AdjustmentRefusedError, type AdjustmentStatus } from './adjustment-desk.js';
import type { Follower } from './follower.js';
import type { InvoiceIssuer } from './issuer.js';
import { invoiceProblemTypes } from './problem-types.js';
import { adjustmentIdSchema, adjustmentQuerySchema, adjustmentRequestSchema, issueTokenSchema, listTokensQuerySchema, tokenIdSchema } from './schemas.js';

const adminBodyBytesMax = 16 * 1024;

export interface AdminRoutesOptions {
  readonly access: AccessRegistry;
  readonly adminToken: string;
  readonly desk: AdjustmentDesk;
  readonly issuer: InvoiceIssuer;
  readonly follower: Follower;
  readonly waitMsMax: number;
  /** Adjustment requests by outcome (metrics). */
  readonly adjustments?: Counter<'outcome'>;
  readonly signal?: AbortSignal;
}

const adjustmentWaitMsDefault = 10_000;

/** `/v1/admin`: wallet and auditor tokens; refunds and corrections. The admin bearer token only. */
export function adminRoutes(options: AdminRoutesOptions): Hono {
  const { access, desk } = options;
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

  const adjustmentQuery = adjustmentQuerySchema(options.waitMsMax);
  app.post('/adjustments', async (c) => {
    const request = parseRequest(adjustmentRequestSchema, await readJsonBody(c, adminBodyBytesMax));
    const { waitMs } = parseRequest(adjustmentQuery, c.req.query());
    const adjustment = await submitted(() => desk.submit(request), options.adjustments);
    const status = await waitForSeal(options, adjustment.adjustmentId, Math.min(waitMs ?? adjustmentWaitMsDefault, options.waitMsMax));
    options.adjustments?.inc({ outcome: status.status });
    c.header('Location', `/v1/admin/adjustments/${adjustment.adjustmentId}`);
    return c.json(statusView(options.issuer, status), status.status === 'sealed' ? 201 : 202);
  });
  app.get('/adjustments/:adjustmentId', (c) => {
    const adjustmentId = pathParam(adjustmentIdSchema, c.req.param('adjustmentId'), 'adjustment');
    const status = desk.status(adjustmentId);
    if (status === undefined) throw problem('not-found', `No adjustment ${adjustmentId} was made here.`);
    return c.json(statusView(options.issuer, status));
  });
  return app;
}

async function submitted<T>(submit: () => Promise<T>, outcomes: Counter<'outcome'> | undefined): Promise<T> {
  try {
    return await submit();
  } catch (error) {
    outcomes?.inc({ outcome: error instanceof AdjustmentRefusedError ? 'refused' : 'unconfirmed' });
    if (error instanceof AdjustmentRefusedError) {
      if (error.reason === 'no-trip') throw problem('not-found', `${error.message}: only a sealed trip can be adjusted.`);
      if (error.reason === 'conflict') throw problem(invoiceProblemTypes['adjustment-conflict'], `${error.message}.`);
      throw problem(invoiceProblemTypes['adjustment-exceeds-charge'], `${error.message}.`, { extensions: { leftFen: error.leftFen } });
    }
    if (error instanceof LogOverloadedError) throw problem('too-many-requests', 'The tap log is at its in-flight limit; send the same request again shortly.', { headers: { 'retry-after': '1' } });
    if (error instanceof LogUnavailableError || error instanceof LogClosedError) {
      throw problem(invoiceProblemTypes['adjustment-not-confirmed'], 'The adjustment is stored; the tap log did not confirm it. Send the same request again.', { headers: { 'retry-after': '5' } });
    }
    throw error;
  }
}

function waitForSeal(options: AdminRoutesOptions, adjustmentId: string, waitMs: number): Promise<AdjustmentStatus> {
  const sealedAndIssued = (status: AdjustmentStatus) => status.status === 'sealed' && options.issuer.at(status.chain, status.logIndex) !== undefined;
  return options.follower.until(() => options.desk.status(adjustmentId)!, sealedAndIssued, waitMs, options.signal);
}

function statusView(issuer: InvoiceIssuer, status: AdjustmentStatus) {
  if (status.status === 'pending') return { status: 'pending', adjustment: status.adjustment };
  const invoice = issuer.at(status.chain, status.logIndex)?.invoice;
  return { status: 'sealed', adjustment: status.adjustment, chain: status.chain, logIndex: status.logIndex, ...(invoice === undefined ? {} : { invoice: { number: invoice.number, href: `/v1/invoices/${invoice.number}` } }) };
}
