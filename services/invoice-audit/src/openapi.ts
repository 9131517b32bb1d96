import { invoiceSchema, proofBundleSchema } from '@fareledger/invoice';
import { genericProblemTypes, type JsonObject, openApiComponents, problemResponsesOf, problemSchema, withMalformedRequest } from '@fareledger/runtime';
import { invoiceProblemTypes } from './problem-types.js';
import {
  chainsSchema, consistencyProofSchema, inclusionProofSchema, invoicePageSchema, invoiceSummarySchema, issuedTokenSchema, issueTokenSchema,
  adjustmentRequestSchema, auditJobSchema, keysSchema, tokenRecordSchema,
} from './schemas.js';

const componentSchemas = {
  Invoice: invoiceSchema,
  ProofBundle: proofBundleSchema,
  InvoiceSummary: invoiceSummarySchema,
  InvoicePage: invoicePageSchema,
  Keys: keysSchema,
  Chains: chainsSchema,
  InclusionProof: inclusionProofSchema,
  ConsistencyProof: consistencyProofSchema,
  IssueToken: issueTokenSchema,
  IssuedToken: issuedTokenSchema,
  TokenRecord: tokenRecordSchema,
  AuditJob: auditJobSchema,
  AdjustmentRequest: adjustmentRequestSchema,
  Problem: problemSchema,
} as const;

type ComponentName = keyof typeof componentSchemas;
const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: ComponentName) => ({ 'application/json': { schema: ref(name) } });
const allProblemTypes = { ...genericProblemTypes, ...invoiceProblemTypes };
const problems = problemResponsesOf(allProblemTypes, ref('Problem'));
const note = { 'text/plain; charset=utf-8': { schema: { type: 'string' } } };

const walletSecurity = [{ walletToken: [] }];
const adminSecurity = [{ adminToken: [] }];
const auditorSecurity = [{ auditorToken: [] }];
const pathParam = (name: string, description: string, pattern?: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', ...(pattern ? { pattern } : {}) } });
const queryInt = (name: string, description: string, required = false, maximum?: number) => ({ name, in: 'query', required, description, schema: { type: 'integer', minimum: 0, ...(maximum === undefined ? {} : { maximum }) } });
const chain = pathParam('chain', 'Chain number (the Kafka partition).', '^(0|[1-9][0-9]{0,4})$');
const since = queryInt('since', 'Tree size of a checkpoint you kept: the invoice then carries a consistency proof between it and its own.');

export interface OpenApiLimits {
  readonly waitMsMax: number;
  readonly pageSizeMax: number;
}

/** The OpenAPI 3.1 document served at /openapi.json. */
export function invoiceAuditOpenApi(limits: OpenApiLimits): JsonObject {
  const page = [queryInt('limit', `Items per page (default 50).`, false, limits.pageSizeMax), { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'The previous page\'s `next`.' }];
  const invoiceContent = { ...json('Invoice'), 'text/html': { schema: { type: 'string' }, description: 'A printable invoice page with a QR code for /verify.' } };
  return {
    openapi: '3.1.1',
    info: {
      title: 'Fareledger invoices and audit',
      version: '1',
      description:
        'E-invoices of trips with the proofs that make them verifiable offline (wallet door), the public transparency door ' +
        '(verifier keys, signed checkpoints, proofs, C2SP tlog-tiles), and the admin API for tokens. Errors are RFC 9457 problem ' +
        'details; each `type` is a page under `/problems/`. The invoice format is docs/invoices.md.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'wallet', description: "For a passenger's wallet app (wallet token: one account) and for auditors (auditor token)." },
      { name: 'transparency', description: 'Public: follow each chain and check it only grows.' },
      { name: 'audit', description: 'For the tax bureau (auditor token): chain verification, fare recomputation, totals, exports.' },
      { name: 'admin', description: 'For the operator: wallet and auditor tokens.' },
      { name: 'operations', description: 'Health, readiness and metrics.' },
    ],
    // Every operation: a request that is not valid HTTP is refused before any route (shared/runtime http.ts).
    paths: withMalformedRequest({
      '/v1/invoices/{number}': {
        get: {
          tags: ['wallet'], summary: 'An invoice with its proofs', security: walletSecurity,
          parameters: [pathParam('number', 'Invoice number, 20 digits.', '^[0-9]{20}$'), since],
          responses: { '200': { description: 'The invoice. Another account\'s invoice is 404, exactly as a missing one.', content: invoiceContent }, ...problems(['invalid-request', 'unauthenticated', 'not-found', 'proof-unavailable']) },
        },
      },
      '/v1/accounts/{account}/trips': {
        get: {
          tags: ['wallet'], summary: "The account's trips (blue invoices), newest first", security: walletSecurity,
          parameters: [pathParam('account', 'The wallet account.'), ...page],
          responses: { '200': { description: 'A page.', content: json('InvoicePage') }, ...problems(['invalid-request', 'unauthenticated', 'forbidden', 'not-found']) },
        },
      },
      '/v1/accounts/{account}/invoices': {
        get: {
          tags: ['wallet'], summary: "The account's invoices, blue and red, newest first", security: walletSecurity,
          parameters: [pathParam('account', 'The wallet account.'), ...page],
          responses: { '200': { description: 'A page.', content: json('InvoicePage') }, ...problems(['invalid-request', 'unauthenticated', 'forbidden', 'not-found']) },
        },
      },
      '/v1/taps/{tapId}/invoice': {
        get: {
          tags: ['wallet'], summary: "The invoice of the trip a tap of this wallet's account is part of", security: walletSecurity,
          description: 'With `waitMs`, answers as soon as the trip is sealed and indexed, or 404 when the wait ends first. A metro tap-in\'s trip is sealed after its tap-out.',
          parameters: [pathParam('tapId', "The tap's id as the device gave it."), queryInt('waitMs', 'How long to wait for the trip to be sealed, ms.', false, limits.waitMsMax), since],
          responses: { '200': { description: 'The invoice.', content: invoiceContent }, ...problems(['invalid-request', 'unauthenticated', 'forbidden', 'not-found', 'proof-unavailable']) },
        },
      },
      '/v1/keys': { get: { tags: ['transparency'], summary: 'Note verifier keys of every key that ever signed a checkpoint', responses: { '200': { description: 'Oldest first.', content: json('Keys') } } } },
      '/v1/chains': { get: { tags: ['transparency'], summary: 'Every chain and its latest checkpoint', responses: { '200': { description: 'The chains.', content: json('Chains') } } } },
      '/v1/chains/{chain}/checkpoint': {
        get: { tags: ['transparency'], summary: 'The latest signed checkpoint (C2SP tlog-checkpoint, signed-note)', parameters: [chain], responses: { '200': { description: 'The note.', content: note }, ...problems(['not-found']) } },
      },
      '/v1/chains/{chain}/checkpoints/{size}': {
        get: { tags: ['transparency'], summary: 'The checkpoint of a tree size', parameters: [chain, pathParam('size', 'Tree size.', '^(0|[1-9][0-9]*)$')], responses: { '200': { description: 'The note.', content: note }, ...problems(['not-found']) } },
      },
      '/v1/chains/{chain}/proofs/inclusion': {
        get: {
          tags: ['transparency'], summary: 'RFC 9162 inclusion proof of a leaf index in a tree size', parameters: [chain, queryInt('index', 'Leaf index.', true), queryInt('size', 'Tree size (a checkpoint\'s).', true)],
          responses: { '200': { description: 'The audit path.', content: json('InclusionProof') }, ...problems(['invalid-request', 'not-found', 'proof-unavailable']) },
        },
      },
      '/v1/chains/{chain}/proofs/consistency': {
        get: {
          tags: ['transparency'], summary: 'RFC 9162 consistency proof between two tree sizes', parameters: [chain, queryInt('from', 'The older tree size.', true), queryInt('to', 'The newer tree size.', true)],
          responses: { '200': { description: 'The proof.', content: json('ConsistencyProof') }, ...problems(['invalid-request', 'not-found', 'proof-unavailable']) },
        },
      },
      '/v1/chains/{chain}/tile/{path}': {
        get: {
          tags: ['transparency'], summary: 'A hash tile, C2SP tlog-tiles: tile/<L>/<N>[.p/<W>]', parameters: [chain, pathParam('path', '<L>/<N>[.p/<W>], N in x001/x234/067 groups.')],
          responses: { '200': { description: 'The tile: W hashes of 32 bytes.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, ...problems(['not-found']) },
        },
      },
      '/v1/audit/chains/{chain}/verifications': {
        post: {
          tags: ['audit'], summary: 'Verify a chain from genesis (a job)', security: auditorSecurity, parameters: [chain],
          description: 'Every root recomputed from the entries, every checkpoint signature (with the keys given, default the published ones), consecutive consistency, contiguous Kafka offsets, the tiles and the duplicate index. Runs in a worker thread; poll the job.',
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { verifierKeys: { type: 'array', items: { type: 'string' } } }, additionalProperties: false } } } },
          responses: { '202': { description: 'The job (Location: /v1/audit/jobs/{id}).', content: json('AuditJob') }, ...problems(['invalid-request', 'unauthenticated', 'forbidden', 'not-found']) },
        },
      },
      '/v1/audit/chains/{chain}/recomputations': {
        post: {
          tags: ['audit'], summary: 'Recompute every fare of a chain from its tap entries (a job)', security: auditorSecurity, parameters: [chain],
          responses: { '202': { description: 'The job.', content: json('AuditJob') }, ...problems(['unauthenticated', 'forbidden', 'not-found']) },
        },
      },
      '/v1/audit/jobs/{id}': {
        get: {
          tags: ['audit'], summary: 'An audit job: progress, then the outcome and the result signed with the audit key', security: auditorSecurity, parameters: [pathParam('id', 'job_ and 16 hex digits.')],
          responses: { '200': { description: 'The job.', content: json('AuditJob') }, ...problems(['unauthenticated', 'forbidden', 'not-found']) },
        },
      },
      '/v1/audit/totals': {
        get: {
          tags: ['audit'], summary: 'Totals per day (China Standard Time), operator, mode and kind, with VAT', security: auditorSecurity,
          parameters: [{ name: 'from', in: 'query', required: true, schema: { type: 'string', format: 'date' } }, { name: 'to', in: 'query', required: true, schema: { type: 'string', format: 'date' } }, { name: 'operatorId', in: 'query', schema: { type: 'string' } }],
          responses: { '200': { description: 'Rows per day and sums per operator; `asOf` says how far each chain is indexed.' }, ...problems(['invalid-request', 'unauthenticated', 'forbidden']) },
        },
      },
      '/v1/audit/invoices/{number}': {
        get: { tags: ['audit'], summary: 'Any invoice by number', security: auditorSecurity, parameters: [pathParam('number', 'Invoice number, 20 digits.', '^[0-9]{20}$')], responses: { '200': { description: 'The invoice.', content: json('Invoice') }, ...problems(['unauthenticated', 'forbidden', 'not-found']) } },
      },
      '/v1/audit/chains/{chain}/export': {
        get: {
          tags: ['audit'], summary: "A chain's entries, decoded, streamed; the last line is the checkpoint that covers them", security: auditorSecurity,
          parameters: [chain, { name: 'format', in: 'query', schema: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' } }, queryInt('from', 'First leaf index (default 0).'), queryInt('to', 'Leaf index to stop before (default: every sealed entry).')],
          responses: { '200': { description: 'NDJSON or CSV (docs/invoice-audit.md has the columns).', content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } }, ...problems(['invalid-request', 'unauthenticated', 'forbidden', 'not-found', 'proof-unavailable']) },
        },
      },
      '/v1/admin/tokens': {
        post: {
          tags: ['admin'], summary: 'Issue a wallet or auditor token', security: adminSecurity, requestBody: { required: true, content: json('IssueToken') },
          responses: { '201': { description: 'Issued. The token is in this answer only.', content: json('IssuedToken') }, ...problems(['invalid-request', 'malformed-body', 'unsupported-media-type', 'unauthenticated', 'payload-too-large']) },
        },
        get: {
          tags: ['admin'], summary: 'List tokens (metadata only)', security: adminSecurity,
          parameters: [{ name: 'account', in: 'query', schema: { type: 'string' } }, queryInt('limit', 'At most this many (default 100).', false, 1000)],
          responses: { '200': { description: 'Tokens, oldest first.' }, ...problems(['invalid-request', 'unauthenticated']) },
        },
      },
      '/v1/admin/adjustments': {
        post: {
          tags: ['admin'], summary: 'Refund or correct a sealed trip (a red-letter invoice)', security: adminSecurity,
          description: 'Sent on the tap log to the trip\'s chain; a retry with the same adjustmentId and contents is sealed once. Waits up to waitMs for the seal.',
          parameters: [queryInt('waitMs', 'How long to wait for the seal, ms (default 10,000).', false, limits.waitMsMax)], requestBody: { required: true, content: json('AdjustmentRequest') },
          responses: {
            '201': { description: 'Sealed: the answer names the red invoice.' }, '202': { description: 'Stored and sent, not sealed yet: poll Location.' },
            ...problems(['invalid-request', 'malformed-body', 'unsupported-media-type', 'unauthenticated', 'not-found', 'adjustment-conflict', 'adjustment-exceeds-charge', 'too-many-requests', 'adjustment-not-confirmed']),
          },
        },
      },
      '/v1/admin/adjustments/{adjustmentId}': {
        get: { tags: ['admin'], summary: 'An adjustment: pending, or sealed with its red invoice', security: adminSecurity, parameters: [pathParam('adjustmentId', 'The adjustmentId.')], responses: { '200': { description: 'Its status.' }, ...problems(['unauthenticated', 'not-found']) } },
      },
      '/v1/admin/tokens/{tokenId}': {
        get: { tags: ['admin'], summary: 'One token (metadata)', security: adminSecurity, parameters: [pathParam('tokenId', 'tok_ and 16 hex digits.')], responses: { '200': { description: 'The token.', content: json('TokenRecord') }, ...problems(['unauthenticated', 'not-found']) } },
      },
      '/v1/admin/tokens/{tokenId}/revoke': {
        post: { tags: ['admin'], summary: 'Revoke a token: refused from now on (within a second in other processes)', security: adminSecurity, parameters: [pathParam('tokenId', 'tok_ and 16 hex digits.')], responses: { '200': { description: 'The revoked token.', content: json('TokenRecord') }, ...problems(['unauthenticated', 'not-found']) } },
      },
      '/healthz': { get: { tags: ['operations'], summary: 'Liveness: 200 while the process runs', responses: { '200': { description: 'Alive.' } } } },
      '/readyz': { get: { tags: ['operations'], summary: 'Readiness: the ledger is readable and followed', responses: { '200': { description: 'Ready.' }, ...problems(['unavailable']) } } },
      '/metrics': { get: { tags: ['operations'], summary: 'Prometheus metrics', responses: { '200': { description: 'Text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    }, ref('Problem')),
    components: {
      schemas: openApiComponents(componentSchemas),
      securitySchemes: {
        walletToken: { type: 'http', scheme: 'bearer', description: 'A wallet token (`flw_...`, one account) or an auditor token (`fla_...`), issued by the admin API.' },
        auditorToken: { type: 'http', scheme: 'bearer', description: 'An auditor token (`fla_...`), issued by the admin API.' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (INVOICE_ADMIN_TOKEN).' },
      },
    },
  };
}
