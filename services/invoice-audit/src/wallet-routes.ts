import type { Invoice } from '@fareledger/invoice';
import { parseRequest, pathParam, problem } from '@fareledger/runtime';
import { type Context, Hono } from 'hono';
import type { AccessRegistry, Principal } from './access-registry.js';
import { mayRead, principalOf, requireToken } from './auth.js';
import type { Follower } from './follower.js';
import type { InvoiceIssuer, IssuedInvoice } from './issuer.js';
import type { InvoiceRef, LedgerIndex, PageCursor } from './ledger-index.js';
import { invoicePageHtml } from './invoice-page.js';
import { invoiceProblemTypes } from './problem-types.js';
import { accountSchema, invoiceNumberSchema, invoiceQuerySchema, pageQuerySchema, tapIdSchema, waitQuerySchema } from './schemas.js';

// The wallet door: a passenger's app reads its own invoices and trips. Another account's
// invoice answers exactly as a missing one does (404, same words), so a wallet learns
// nothing of numbers that are not its own. An auditor token reads every invoice here too.

export interface WalletRoutesOptions {
  readonly access: AccessRegistry;
  readonly issuer: InvoiceIssuer;
  readonly index: LedgerIndex;
  readonly follower: Follower;
  readonly waitMsMax: number;
  readonly pageSizeMax: number;
  /** The origin a printed invoice's QR code links to; empty for the request's. */
  readonly publicUrl: string;
  /** Aborted at shutdown: long polls answer at once. */
  readonly signal?: AbortSignal;
}

const pageSizeDefault = 50;

export function walletRoutes(options: WalletRoutesOptions): Hono {
  const { issuer, index } = options;
  const app = new Hono<{ Variables: { principal: Principal } }>();
  // Per prefix, not '*': mounted under /v1 beside the public door, '*' would guard every /v1 path.
  const auth = requireToken(options.access, ['wallet', 'auditor']);
  for (const prefix of ['/invoices/*', '/accounts/*', '/taps/*']) app.use(prefix, auth);

  app.get('/invoices/:number', async (c) => {
    const number = pathParam(invoiceNumberSchema, c.req.param('number'), 'invoice');
    const query = parseRequest(invoiceQuerySchema, c.req.query());
    const issued = issuer.byNumber(number);
    if (issued === undefined || !mayRead(principalOf(c), issued.invoice.buyer.account)) throw invoiceNotFound(number);
    return answerInvoice(c, issuer, issued, query.since, options.publicUrl);
  });

  const pageQuery = pageQuerySchema(options.pageSizeMax);
  const listing = (kind: 'blue' | undefined) => (c: Context) => {
    const account = pathParam(accountSchema, c.req.param('account')!, 'account');
    if (!mayRead(principalOf(c), account)) throw problem('forbidden', 'A wallet token reads its own account only.');
    const query = parseRequest(pageQuery, c.req.query());
    const limit = query.limit ?? pageSizeDefault;
    const refs = index.accountInvoices(account, { limit, ...(kind === undefined ? {} : { kind }), ...(query.cursor === undefined ? {} : { before: parseCursor(query.cursor) }) });
    const items = refs.flatMap((ref) => {
      const issued = issuer.at(ref.chain, ref.logIndex);
      return issued === undefined ? [] : [summaryOf(issued.invoice)];
    });
    c.header('Cache-Control', 'private, no-cache');
    return c.json({ items, next: refs.length === limit ? cursorOf(refs.at(-1)!) : null });
  };
  app.get('/accounts/:account/trips', listing('blue'));
  app.get('/accounts/:account/invoices', listing(undefined));

  const waitQuery = waitQuerySchema(options.waitMsMax);
  app.get('/taps/:tapId/invoice', async (c) => {
    const tapId = pathParam(tapIdSchema, c.req.param('tapId'), 'tap');
    const principal = principalOf(c);
    if (principal.account === null) throw problem('forbidden', "A tap's invoice is found by the wallet's own account: use a wallet token, or /v1/invoices/{number}.");
    const query = parseRequest(waitQuery, c.req.query());
    const issued = await waitForTapInvoice(options, principal.account, tapId, query.waitMs ?? 0);
    if (issued === undefined) {
      throw problem('not-found', `No invoice for tap ${tapId} of this account (yet): its trip is not sealed, or there is no such tap. A metro tap-in's trip is sealed after its tap-out.`);
    }
    return answerInvoice(c, issuer, issued, query.since, options.publicUrl);
  });
  return app as unknown as Hono;
}

function waitForTapInvoice(options: WalletRoutesOptions, account: string, tapId: string, waitMs: number): Promise<IssuedInvoice | undefined> {
  const read = () => {
    const trip = options.index.tapTrip(account, tapId);
    return trip === undefined ? undefined : options.issuer.at(trip.chain, trip.logIndex);
  };
  return options.follower.until(read, (issued) => issued !== undefined, waitMs, options.signal);
}

async function answerInvoice(c: Context, issuer: InvoiceIssuer, issued: IssuedInvoice, since: number | undefined, publicUrl: string): Promise<Response> {
  c.header('Cache-Control', 'private, max-age=3600');
  c.header('Vary', 'Accept, Authorization');
  if (wantsHtml(c)) return c.html(await invoicePageHtml(issued.invoice, { verifyPath: '/verify', origin: publicUrl === '' ? new URL(c.req.url).origin : publicUrl }));
  if (since === undefined) return c.body(issued.json, 200, { 'content-type': 'application/json' });
  const invoice: Invoice = { ...issued.invoice, consistency: consistencyProof(issuer, issued.invoice, since) };
  return c.json(invoice);
}

function consistencyProof(issuer: InvoiceIssuer, invoice: Invoice, since: number) {
  const latest = issuer.reader.chain(invoice.chain)?.treeSize ?? 0;
  if (since > latest) throw problem(invoiceProblemTypes['proof-unavailable'], `Chain ${invoice.chain} has ${latest} sealed entries; a checkpoint of size ${since} is not of this log.`);
  return issuer.consistency(invoice, since);
}

/** text/html before application/json in the Accept header: a browser, or a print. */
function wantsHtml(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  const html = accept.indexOf('text/html');
  if (html < 0) return false;
  const json = accept.indexOf('application/json');
  return json < 0 || html < json;
}

function invoiceNotFound(number: string) {
  return problem('not-found', `No invoice ${number} for this token.`);
}

export function summaryOf(invoice: Invoice) {
  const { proofs: _proofs, consistency: _consistency, ...rest } = invoice;
  return { ...rest, href: `/v1/invoices/${invoice.number}` };
}

function cursorOf(ref: InvoiceRef): string {
  return `${ref.timeMs}.${ref.chain}.${ref.logIndex}`;
}

function parseCursor(cursor: string): PageCursor {
  const [timeMs, chain, logIndex] = cursor.split('.').map(Number) as [number, number, number];
  return { timeMs, chain, logIndex };
}
