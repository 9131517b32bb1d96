import { parseVerifierKey } from '@fareledger/checkpoint';
import { entriesReadMax, type LedgerReader } from '@fareledger/ledger';
import { parseRequest, pathParam, problem, readJsonBody } from '@fareledger/runtime';
import { type Context, Hono } from 'hono';
import { stream } from 'hono/streaming';
import { z } from 'zod';
import type { AccessRegistry, Principal } from './access-registry.js';
import type { AuditJob, AuditJobs } from './audit-jobs.js';
import type { AuditJobKind } from './audit-work.js';
import { requireToken } from './auth.js';
import { csvCheckpointLine, csvHeader, csvLine, ndjsonCheckpointLine, ndjsonLine } from './export-format.js';
import type { InvoiceIssuer } from './issuer.js';
import type { LedgerIndex } from './ledger-index.js';
import { invoiceProblemTypes } from './problem-types.js';
import { chainOf } from './transparency-routes.js';
import { exportQuerySchema, invoiceNumberSchema, jobIdSchema, totalsQuerySchema } from './schemas.js';

// The audit door, for the tax bureau (auditor token): verification of a chain from genesis
// and recomputation of every fare (jobs with progress and a signed result), totals per
// operator, mode and day with VAT, invoice lookup by number, streamed exports.

export interface AuditRoutesOptions {
  readonly access: AccessRegistry;
  readonly reader: LedgerReader;
  readonly index: LedgerIndex;
  readonly issuer: InvoiceIssuer;
  readonly jobs: AuditJobs;
}

const jobBodySchema = z.strictObject({
  verifierKeys: z.array(z.string().min(1).max(500)).min(1).max(100).optional().meta({ description: 'Keys to trust for checkpoint signatures; default: the keys this ledger publishes (/v1/keys).' }),
});
const exportRowsPerWrite = 1_024;

export function auditRoutes(options: AuditRoutesOptions): Hono {
  const { reader, index, issuer, jobs } = options;
  const app = new Hono<{ Variables: { principal: Principal } }>();
  app.use('*', requireToken(options.access, ['auditor']));

  const startJob = (kind: AuditJobKind) => async (c: Context) => {
    const chain = chainOf(c, reader);
    const body = c.req.header('content-length') === '0' || c.req.header('content-type') === undefined ? {} : await readJsonBody(c, 64 * 1024);
    const { verifierKeys } = parseRequest(jobBodySchema, body);
    const keys = verifierKeys ?? reader.verifierKeys().map((key) => key.verifierKey);
    keys.forEach((key, i) => {
      try {
        parseVerifierKey(key);
      } catch (error) {
        throw problem('invalid-request', `verifierKeys[${i}] is not a note verifier key: ${(error as Error).message}.`);
      }
    });
    const job = jobs.start(kind, chain, keys, reader.chain(chain)!.treeSize);
    c.header('Location', `/v1/audit/jobs/${job.id}`);
    return c.json(jobView(job), 202);
  };
  app.post('/chains/:chain/verifications', startJob('verify'));
  app.post('/chains/:chain/recomputations', startJob('recompute'));

  app.get('/jobs/:id', (c) => {
    const id = pathParam(jobIdSchema, c.req.param('id'), 'job');
    const job = jobs.get(id);
    if (job === undefined) throw problem('not-found', `No audit job ${id} (jobs are kept in memory: the latest 100, until a restart).`);
    c.header('Cache-Control', 'no-cache');
    return c.json(jobView(job));
  });

  app.get('/totals', (c) => {
    const query = parseRequest(totalsQuerySchema, c.req.query());
    const rows = index.totals(query.from, query.to).filter((row) => query.operatorId === undefined || row.operatorId === query.operatorId);
    const byOperator = new Map<string, { operatorId: string; name: string | null; invoices: number; totalFen: number; netFen: number; taxFen: number }>();
    for (const row of rows) {
      const sum = byOperator.get(row.operatorId) ?? { operatorId: row.operatorId, name: index.operators.operator(row.operatorId)?.name ?? null, invoices: 0, totalFen: 0, netFen: 0, taxFen: 0 };
      sum.invoices += row.invoices;
      sum.totalFen += row.totalFen;
      sum.netFen += row.netFen;
      sum.taxFen += row.taxFen;
      byOperator.set(row.operatorId, sum);
    }
    return c.json({ from: query.from, to: query.to, days: rows, operators: [...byOperator.values()], asOf: reader.chains().map(({ chain }) => ({ chain, treeSize: index.followedSize(chain) })) });
  });

  app.get('/invoices/:number', (c) => {
    const number = pathParam(invoiceNumberSchema, c.req.param('number'), 'invoice');
    const issued = issuer.byNumber(number);
    if (issued === undefined) throw problem('not-found', `No invoice ${number}.`);
    return c.body(issued.json, 200, { 'content-type': 'application/json' });
  });

  app.get('/chains/:chain/export', (c) => {
    const chain = chainOf(c, reader);
    const query = parseRequest(exportQuerySchema, c.req.query());
    const size = reader.chain(chain)!.treeSize;
    const from = query.from ?? 0;
    const to = Math.min(query.to ?? size, size);
    if (from >= to) throw problem(invoiceProblemTypes['proof-unavailable'], `Chain ${chain} has ${size} sealed entries: nothing in [${from}, ${to}).`);
    const checkpoint = reader.sealingCheckpoint(chain, to - 1)!;
    const csv = query.format === 'csv';
    c.header('Content-Type', csv ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson');
    c.header('Content-Disposition', `attachment; filename="${reader.logName.replace(/[^A-Za-z0-9.-]/g, '_')}-chain-${chain}-${from}-${to}.${csv ? 'csv' : 'ndjson'}"`);
    return stream(c, async (out) => {
      if (csv) await out.write(csvHeader());
      for (let at = from; at < to && !out.aborted; at += Math.min(entriesReadMax, 16_384)) {
        const entries = reader.entries(chain, at, Math.min(to, at + 16_384));
        for (let i = 0; i < entries.length; i += exportRowsPerWrite) {
          let text = '';
          for (const entry of entries.slice(i, i + exportRowsPerWrite)) text += csv ? csvLine(entry.index, entry.bytes) : ndjsonLine(entry.index, entry.bytes);
          await out.write(text);
        }
      }
      await out.write(csv ? csvCheckpointLine(to, checkpoint.treeSize, checkpoint.note) : ndjsonCheckpointLine(chain, to, checkpoint.treeSize, checkpoint.note));
    });
  });
  return app as unknown as Hono;
}

function jobView(job: AuditJob) {
  return {
    id: job.id, kind: job.kind, chain: job.chain, status: job.status, progress: job.progress,
    startedAt: new Date(job.startedAtMs).toISOString(), finishedAt: job.finishedAtMs === null ? null : new Date(job.finishedAtMs).toISOString(),
    outcome: job.outcome, signedResult: job.signedResult, error: job.error,
  };
}
