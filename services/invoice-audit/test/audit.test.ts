import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerifierKey, openNote, parseVerifierKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { LedgerReader } from '@fareledger/ledger';
import { silentLogger } from '@fareledger/runtime';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecompute, runVerify } from '../src/audit-work.js';
import { loadInvoiceAuditConfig } from '../src/config.js';
import { type InvoiceAuditHandle, startInvoiceAudit } from '../src/service.js';
import { adminToken, chain, logName, pricedCityEntries, TestLedger, tempDir, verifier } from './fixture.js';

// The audit door over real HTTP on a chain priced by the real trip builder, and the audit
// work itself on tampered copies of the ledger file.

const dir = tempDir();
const ledgerPath = join(dir, 'ledger.db');
let service: InvoiceAuditHandle;
let auditor: string;
const entries = pricedCityEntries(3_000);

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${service.url}${path}`, { ...init, headers: { authorization: `Bearer ${auditor}`, ...init.headers } });
}

async function finished(location: string): Promise<Record<string, unknown>> {
  for (;;) {
    const job = (await (await call(location)).json()) as Record<string, unknown>;
    if (job.status !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  const ledger = new TestLedger(ledgerPath);
  ledger.sealAll(entries, 500);
  ledger.close();
  service = await startInvoiceAudit(loadInvoiceAuditConfig({
    INVOICE_PORT: '0', LEDGER_PATH: ledgerPath, INVOICE_INDEX_PATH: join(dir, 'index.db'), INVOICE_ACCESS_PATH: join(dir, 'access.db'),
    INVOICE_ADMIN_TOKEN: adminToken, INVOICE_AUDIT_KEY_PATH: join(dir, 'audit.key'), INVOICE_DEV_CREATE_KEY: 'true',
  }), { logger: silentLogger() });
  const issued = await fetch(`${service.url}/v1/admin/tokens`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: '{"role":"auditor"}' });
  auditor = ((await issued.json()) as { token: string }).token;
});

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the audit door', () => {
  it('verifies a chain from genesis in a job, with progress and a result signed by the audit key', async () => {
    const started = await call(`/v1/audit/chains/${chain}/verifications`, { method: 'POST' });
    expect(started.status).toBe(202);
    const job = await finished(started.headers.get('location')!);
    expect(job).toMatchObject({ status: 'done', kind: 'verify', chain, progress: { entries: entries.length, of: entries.length } });
    expect(job.outcome).toMatchObject({ verification: { ok: true, entriesVerified: entries.length, failure: null }, treeSize: entries.length });
    const { auditKey } = (await (await fetch(`${service.url}/v1/keys`)).json()) as { auditKey: string };
    const note = openNote(job.signedResult as string, [parseVerifierKey(auditKey)], { ed25519: ed25519Node });
    expect(note.text).toContain(`origin ${logName}/chain/${chain}\nkind verify\nresult ok\n`);
    expect(note.text).toContain(`trusted ${formatVerifierKey(verifier)}\n`);
  });

  it('recomputes every fare from the tap entries and finds none changed', async () => {
    const started = await call(`/v1/audit/chains/${chain}/recomputations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const job = await finished(started.headers.get('location')!);
    const trips = entries.filter((e) => e.type === 'trip').length;
    expect(trips).toBeGreaterThan(1_000);
    expect(job.outcome).toMatchObject({ kind: 'recompute', taps: entries.length - trips, trips, mismatchCount: 0, mismatches: [] });
  });

  it('gives totals per operator, mode and day with VAT that add up', async () => {
    const totals = (await (await call('/v1/audit/totals?from=2026-12-01&to=2026-12-03')).json()) as {
      days: { operatorId: string; totalFen: number; netFen: number; taxFen: number; invoices: number }[];
      operators: { operatorId: string; totalFen: number; invoices: number }[];
    };
    const charged = entries.reduce((sum, e) => sum + (e.type === 'trip' ? e.trip.chargedFen : 0), 0);
    expect(totals.operators.reduce((sum, o) => sum + o.totalFen, 0)).toBe(charged);
    for (const row of totals.days) expect(row.netFen + row.taxFen).toBe(row.totalFen);
    expect(totals.operators.map((o) => o.operatorId).sort()).toEqual(['szbus', 'szmc', 'sztaxi']);
    expect((await call('/v1/audit/totals?from=2026-12-03&to=2026-12-01')).status).toBe(400);
  });

  it('streams exports as NDJSON and CSV that end with the checkpoint they cover', async () => {
    const ndjson = (await (await call(`/v1/audit/chains/${chain}/export?to=1200`)).text()).trimEnd().split('\n');
    expect(ndjson).toHaveLength(1_201);
    expect(JSON.parse(ndjson[0]!)).toMatchObject({ logIndex: 0, type: 'tap' });
    expect(JSON.parse(ndjson.at(-1)!)).toMatchObject({ type: 'checkpoint', chain, exportedTo: 1_200, treeSize: 1_500 });
    const csv = await call(`/v1/audit/chains/${chain}/export?format=csv&from=10&to=20`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = (await csv.text()).split('\r\n').filter((row) => row !== '');
    expect(rows).toHaveLength(1 + 10 + 1);
    expect(rows[0]!.startsWith('log_index,type,key,account,time')).toBe(true);
    expect(rows[1]!.startsWith('10,')).toBe(true);
    expect(rows.at(-1)!.startsWith('20,checkpoint,500,')).toBe(true);
  });

  it('refuses a wallet token and bad requests', async () => {
    const wallet = ((await (await fetch(`${service.url}/v1/admin/tokens`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: '{"role":"wallet","account":"wa_1"}' })).json()) as { token: string }).token;
    expect((await fetch(`${service.url}/v1/audit/totals?from=2026-12-01&to=2026-12-01`, { headers: { authorization: `Bearer ${wallet}` } })).status).toBe(403);
    expect((await call(`/v1/audit/chains/77/verifications`, { method: 'POST' })).status).toBe(404);
    expect((await call(`/v1/audit/chains/${chain}/verifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"verifierKeys":["nope"]}' })).status).toBe(400);
    expect((await call('/v1/audit/jobs/job_0000000000000000')).status).toBe(404);
    expect((await call(`/v1/audit/chains/${chain}/export?format=xml`)).status).toBe(400);
  });
});

describe('audit verification of a tampered ledger', () => {
  function tampered(name: string, mutate: (db: Database.Database) => void): LedgerReader {
    const path = join(dir, `${name}.db`);
    copyFileSync(ledgerPath, path);
    const db = new Database(path);
    mutate(db);
    db.close();
    return LedgerReader.open({ path });
  }
  const flip = (table: string, where: string) => (db: Database.Database) => {
    const row = db.prepare(`SELECT rowid, bytes FROM ${table} WHERE ${where}`).get() as { rowid: number; bytes: Buffer };
    const at = Math.floor(row.bytes.length / 2);
    row.bytes[at] = row.bytes[at]! ^ 0x01;
    db.prepare(`UPDATE ${table} SET bytes = ? WHERE rowid = ?`).run(row.bytes, row.rowid);
  };

  it.each([
    ['an entry', flip('entry_bundles', `chain = ${chain} AND bundle_index = 2`), 'root'],
    ['a tile', flip('tiles', `chain = ${chain} AND tile_level = 0 AND tile_index = 1`), 'tiles'],
    ['a checkpoint', (db: Database.Database) => {
      const note = db.prepare(`SELECT note FROM checkpoints WHERE chain = ${chain} AND block_height = 3`).pluck().get() as string;
      db.prepare(`UPDATE checkpoints SET note = ? WHERE chain = ${chain} AND block_height = 3`).run(note.replace(/\n— (\S+) (.)/, (_m, name: string, c: string) => `\n— ${name} ${c === 'A' ? 'B' : 'A'}`));
    }, 'checkpoint-signature'],
  ] as const)('flags a flipped byte in %s', (name, mutate, kind) => {
    const reader = tampered(name.replace(' ', '-'), mutate);
    const outcome = runVerify(reader, chain, [formatVerifierKey(verifier)], () => {});
    reader.close();
    expect(outcome.verification.ok).toBe(false);
    expect(outcome.verification.failure?.kind).toBe(kind);
  });

  it('reports each trip whose fare differs from the recomputation', () => {
    const path = join(dir, 'wrong-fares.db');
    const ledger = new TestLedger(path);
    ledger.sealAll(pricedCityEntries(600, (trip, n) => (n % 50 === 7 ? { ...trip, fareFen: trip.fareFen + 100, chargedFen: trip.chargedFen + 100 } : trip)), 500);
    ledger.close();
    const reader = LedgerReader.open({ path });
    const outcome = runRecompute(reader, chain, 4 * 3_600_000, () => {});
    reader.close();
    expect(outcome.mismatchCount).toBeGreaterThanOrEqual(2);
    expect(outcome.mismatches[0]!.differences).toEqual([expect.stringMatching(/^fareFen: ledger \d+, recomputed \d+$/), expect.stringMatching(/^chargedFen: ledger \d+, recomputed \d+$/)]);
  });
});
