import { accountLengthMax, adjustmentKinds, fenMax, isText, looksLikeCardNumber, reasonLengthMax } from '@fareledger/domain';
import { invoiceSchema } from '@fareledger/invoice';
import { z } from 'zod';
import { roles } from './access-registry.js';

// Requests and answers of the service's doors, as zod schemas: they check requests and are
// the OpenAPI document's components (openapi.ts).

const decimal = (what: string, max: number) =>
  z.string().regex(/^(0|[1-9][0-9]{0,15})$/, { error: `${what} must be a decimal integer` }).transform(Number)
    .pipe(z.number().int().min(0).max(max, { error: `${what} must be at most ${max}` }));

export const invoiceNumberSchema = z.string().regex(/^[0-9]{20}$/).meta({ description: 'Invoice number: 20 digits (year, chain, leaf index).', examples: ['26000030000000000003'] });
export const accountSchema = z.string().min(1).max(accountLengthMax).regex(/^[\x21-\x7e]+$/).meta({ description: 'Wallet account token.', examples: ['wa_7Hq2xK9p'] });
export const tapIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).meta({ description: "The tap's id as the device gave it (unique per device).", examples: ['g311-000877'] });
export const chainSchema = z.string().regex(/^(0|[1-9][0-9]{0,4})$/).transform(Number).pipe(z.number().int().max(65_535)).meta({ description: 'Chain number (the Kafka partition).' });

export const treeSizeSchema = z.string().regex(/^(0|[1-9][0-9]{0,15})$/).transform(Number).pipe(z.number().int().max(Number.MAX_SAFE_INTEGER)).meta({ description: 'A tree size.' });

export const invoiceQuerySchema = z.strictObject({
  since: decimal('since', Number.MAX_SAFE_INTEGER).optional().meta({ description: 'Tree size of a checkpoint you kept: the invoice then carries a consistency proof between it and its own.' }),
});

export function waitQuerySchema(waitMsMax: number) {
  return z.strictObject({
    waitMs: decimal('waitMs', waitMsMax).optional().meta({ description: `Wait up to this long (ms, at most ${waitMsMax}) for the trip to be sealed; 0 or absent answers at once.` }),
    since: invoiceQuerySchema.shape.since,
  });
}

export function pageQuerySchema(pageSizeMax: number) {
  return z.strictObject({
    limit: decimal('limit', pageSizeMax).pipe(z.number().min(1, { error: 'limit must be at least 1' })).optional().meta({ description: `Items per page, 1..${pageSizeMax} (default 50).` }),
    cursor: z.string().regex(/^[0-9]{1,16}\.[0-9]{1,5}\.[0-9]{1,16}$/, { error: 'cursor must be a `next` value of a previous page' }).optional().meta({ description: 'The `next` of the previous page.' }),
  });
}

export const invoiceSummarySchema = invoiceSchema.omit({ proofs: true, consistency: true }).extend({
  href: z.string().meta({ description: 'Where the whole invoice, with its proofs, is.' }),
}).meta({ description: 'An invoice without its proofs.' });

export const invoicePageSchema = z.object({
  items: z.array(invoiceSummarySchema),
  next: z.string().nullable().meta({ description: 'Cursor of the next (older) page; null on the last page.' }),
});

export const keysSchema = z.object({
  auditKey: z.string().meta({ description: 'Verifier key of the key that signs audit results.' }),
  keys: z.array(z.object({
    name: z.string(),
    verifierKey: z.string().meta({ description: 'C2SP note verifier key `<name>+<hash>+<base64 key>`: what verifiers trust.' }),
    firstChain: z.int(),
    firstBlockHeight: z.int(),
    firstUsedAtMs: z.int(),
  })).meta({ description: 'Every key that ever signed a checkpoint of this log, oldest first. Old keys stay valid for what they signed.' }),
});

export const chainsSchema = z.object({
  logName: z.string(),
  chains: z.array(z.object({ chain: z.int(), treeSize: z.int(), blockHeight: z.int(), checkpoint: z.string() })),
});

export const proofSchema = z.object({
  chain: z.int(),
  hashes: z.array(z.string()).meta({ description: 'RFC 9162 proof, lower-case hex SHA-256 hashes.' }),
});
export const inclusionProofSchema = proofSchema.extend({ logIndex: z.int(), treeSize: z.int() });
export const consistencyProofSchema = proofSchema.extend({ fromSize: z.int(), toSize: z.int() });

export function inclusionQuerySchema() {
  return z.strictObject({ index: decimal('index', Number.MAX_SAFE_INTEGER), size: decimal('size', Number.MAX_SAFE_INTEGER) });
}
export function consistencyQuerySchema() {
  return z.strictObject({ from: decimal('from', Number.MAX_SAFE_INTEGER), to: decimal('to', Number.MAX_SAFE_INTEGER) });
}

export const issueTokenSchema = z.strictObject({
  role: z.enum(roles).meta({ description: '`wallet`: reads one account; `auditor`: the audit door, reads every account.' }),
  // Accounts are wallet tokens, never card numbers (ingest refuses taps that carry one), so a token for one is a mistake.
  account: accountSchema.refine((account) => !looksLikeCardNumber(account), { error: 'looks like a payment card number; accounts are wallet tokens, never card data' })
    .optional().meta({ description: 'The account a wallet token reads (required for wallets, refused for auditors). Never a payment card number.' }),
  label: z.string().min(1).max(200).optional().meta({ description: 'Free text for people: whose token this is.' }),
}).refine((t) => (t.role === 'wallet') === (t.account !== undefined), { error: 'a wallet token names one account; an auditor token names none', path: ['account'] })
  .meta({ description: 'A token to issue.' });

export const tokenRecordSchema = z.object({
  tokenId: z.string(),
  role: z.enum(roles),
  account: z.string().nullable(),
  label: z.string().nullable(),
  createdAtMs: z.int(),
  revokedAtMs: z.int().nullable(),
}).meta({ description: 'A token (metadata only; the token itself is shown once, when issued).' });

export const issuedTokenSchema = z.object({
  record: tokenRecordSchema,
  token: z.string().meta({ description: 'The bearer token. Shown this once: only its SHA-256 is kept.' }),
});

export const tokenIdSchema = z.string().regex(/^tok_[0-9a-f]{16}$/);
export const listTokensQuerySchema = z.strictObject({
  account: accountSchema.optional(),
  limit: decimal('limit', 1000).optional(),
});

const day = z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, { error: 'must be a day, YYYY-MM-DD (China Standard Time)' });
export const totalsQuerySchema = z.strictObject({
  from: day.meta({ description: 'First day, YYYY-MM-DD, China Standard Time.' }),
  to: day.meta({ description: 'Last day, inclusive.' }),
  operatorId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional(),
}).refine((q) => q.from <= q.to, { error: 'from must not be after to', path: ['to'] });

export const exportQuerySchema = z.strictObject({
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
  from: decimal('from', Number.MAX_SAFE_INTEGER).optional().meta({ description: 'First leaf index (default 0).' }),
  to: decimal('to', Number.MAX_SAFE_INTEGER).optional().meta({ description: 'Leaf index to stop before (default: every sealed entry).' }),
});

export const jobIdSchema = z.string().regex(/^job_[0-9a-f]{16}$/);

export const auditJobSchema = z.object({
  id: z.string(),
  kind: z.enum(['verify', 'recompute']),
  chain: z.int(),
  status: z.enum(['running', 'done', 'failed']),
  progress: z.object({ entries: z.int(), of: z.int() }).meta({ description: 'Entries checked, of the chain\'s size when the job began.' }),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  outcome: z.record(z.string(), z.unknown()).nullable().meta({ description: 'verify: the verification (ok, blocks and entries verified, the first failure); recompute: taps, trips, mismatches (the first 1,000, with what differs).' }),
  signedResult: z.string().nullable().meta({ description: 'The outcome as a C2SP signed note, signed with the audit key (`auditKey` of /v1/keys).' }),
  error: z.string().nullable(),
}).meta({ description: 'An audit job.' });

const idPattern = /^[A-Za-z0-9._:-]{1,64}$/;
export const adjustmentRequestSchema = z.strictObject({
  adjustmentId: z.string().regex(idPattern, { error: 'adjustmentId must be 1 to 64 characters of A-Z a-z 0-9 . _ : -' })
    .meta({ description: 'Your id for this adjustment, unique for ever: a retry with the same id and contents is sealed once.', examples: ['adj-2026-000017'] }),
  tripId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}\/[A-Za-z0-9._:-]{1,64}$/, { error: 'tripId must be deviceId/tapId' }).meta({ description: 'The trip to credit (its invoice\'s item.tripId).' }),
  kind: z.enum(adjustmentKinds),
  amountFen: z.int().min(1).max(fenMax).meta({ description: 'Credited back, fen: at most what the trip charged less earlier credits.' }),
  // The ledger's own rule for free text (the entry is checked again when it is built): refused here as a 400, not later as a 500.
  reason: z.string().min(1, { abort: true }).max(reasonLengthMax, { abort: true }).refine((reason) => isText(reason, reasonLengthMax), { error: 'reason must not contain control or format characters' })
    .meta({ description: `Why, in words, for the passenger and the auditor: 1..${reasonLengthMax} characters, no control or format characters (NUL, CR, LF, bidirectional overrides, zero-width).` }),
  authorizedBy: z.string().regex(idPattern, { error: 'authorizedBy must be an admin id' }).meta({ description: 'Admin id of who authorized it.' }),
}).meta({ description: 'A refund or correction of a sealed trip: it yields a red-letter invoice.' });

export function adjustmentQuerySchema(waitMsMax: number) {
  return z.strictObject({ waitMs: decimal('waitMs', waitMsMax).optional().meta({ description: 'Wait up to this long for the adjustment to be sealed (default 10,000 ms).' }) });
}
export const adjustmentIdSchema = z.string().regex(idPattern);
