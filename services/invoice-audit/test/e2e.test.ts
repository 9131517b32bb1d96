import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Invoice } from '@fareledger/invoice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Child, startChild } from '../../../load-tests/processes.js';
import { type Device, metroTap, postTaps, registerDevice } from '../../ingest/test/ingest-client.js';
import { tempDir } from './fixture.js';

// The three services as processes on the embedded tap log, as an operator runs them on one
// machine: a gate posts a journey, the wallet gets its invoice as soon as the trip is
// sealed, fareledger-verify accepts it, and a refund comes back as a red-letter invoice.

const dir = tempDir();
const adminToken = randomBytes(32).toString('base64url');
const account = 'wa_e2e_0001';
const shared = { TAP_LOG: 'local', TAP_LOG_PATH: join(dir, 'taps.db'), LEDGER_PATH: join(dir, 'ledger.db'), LOG_LEVEL: 'info' };
let ingest: Child;
let batcher: Child;
let invoices: Child;
let gate: Device;
let wallet: string;

beforeAll(async () => {
  ingest = await startChild('services/ingest/src/main.ts', { ...shared, INGEST_PORT: '0', INGEST_ADMIN_TOKEN: adminToken, INGEST_DEVICES_PATH: join(dir, 'devices.db') }, 'ingest listening');
  batcher = await startChild('services/batcher/src/main.ts', {
    ...shared, BATCHER_PORT: '0', BATCHER_DEV_CREATE_KEY: 'true', LEDGER_SIGNING_KEY_PATH: join(dir, 'signing.key'), BATCHER_SEAL_AGE_MS_MAX: '100', BATCHER_POLL_MS: '10',
  }, 'batcher running', { timeoutMs: 60_000 });
  invoices = await startChild('services/invoice-audit/src/main.ts', {
    ...shared, INVOICE_PORT: '0', INVOICE_ADMIN_TOKEN: adminToken, INVOICE_INDEX_PATH: join(dir, 'index.db'), INVOICE_ACCESS_PATH: join(dir, 'access.db'),
    INVOICE_ADJUSTMENTS_PATH: join(dir, 'adjustments.db'), INVOICE_AUDIT_KEY_PATH: join(dir, 'audit.key'), INVOICE_DEV_CREATE_KEY: 'true', INVOICE_FOLLOW_INTERVAL_MS: '10',
  }, 'invoice-audit listening', { timeoutMs: 60_000 });
  gate = await registerDevice(ingest.url, adminToken, 'szm-l1-g042');
  const issued = await fetch(`${invoices.url}/v1/admin/tokens`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'wallet', account }) });
  wallet = ((await issued.json()) as { token: string }).token;
}, 180_000);

afterAll(async () => {
  await Promise.all([invoices?.stop(), batcher?.stop(), ingest?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest → batcher → invoice-audit, as processes', () => {
  let invoice: Invoice;

  it("gives the wallet the trip's invoice as soon as the trip is sealed", async () => {
    const nowMs = Date.now();
    const tapIn = metroTap(gate, { tapId: 'e2e-in-1', account, kind: 'in', stationId: 'L1-S07' }, nowMs - 20 * 60_000);
    const tapOut = metroTap(gate, { tapId: 'e2e-out-1', account, kind: 'out', stationId: 'L1-S19' }, nowMs);
    expect((await postTaps(ingest.url, gate, [tapIn])).status).toBe(202);
    const postedAtMs = Date.now();
    expect((await postTaps(ingest.url, gate, [tapOut])).status).toBe(202);
    const response = await fetch(`${invoices.url}/v1/taps/e2e-out-1/invoice?waitMs=10000`, { headers: { authorization: `Bearer ${wallet}` } });
    const waitedMs = Date.now() - postedAtMs;
    expect(response.status).toBe(200);
    expect(waitedMs).toBeLessThan(5_000); // the seal age is 100 ms here; the figure itself is the load test's
    invoice = (await response.json()) as Invoice;
    expect(invoice).toMatchObject({ kind: 'blue', buyer: { account }, seller: { operatorId: 'szmc' }, item: { mode: 'metro', status: 'complete', from: { stationId: 'L1-S07' }, to: { stationId: 'L1-S19' } } });
    expect(invoice.amounts.netFen + invoice.amounts.taxFen).toBe(invoice.amounts.totalFen);
  });

  it('is an invoice fareledger-verify accepts, with the keys the service publishes', async () => {
    const { keys } = (await (await fetch(`${invoices.url}/v1/keys`)).json()) as { keys: { verifierKey: string }[] };
    const path = join(dir, 'invoice.json');
    writeFileSync(path, JSON.stringify(invoice));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/invoice-audit/src/verify-cli.ts', path, '--key', keys[0]!.verifierKey]);
    expect(stdout).toContain(`valid: invoice ${invoice.number}`);
  });

  it('turns a refund through the admin API into a sealed red-letter invoice', async () => {
    const response = await fetch(`${invoices.url}/v1/admin/adjustments?waitMs=10000`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ adjustmentId: 'e2e-refund-1', tripId: invoice.item.tripId, kind: 'refund', amountFen: invoice.amounts.totalFen, reason: 'gate fault', authorizedBy: 'admin.e2e' }),
    });
    expect(response.status).toBe(201);
    const { invoice: red } = (await response.json()) as { invoice: { number: string; href: string } };
    const credit = (await (await fetch(`${invoices.url}${red.href}`, { headers: { authorization: `Bearer ${wallet}` } })).json()) as Invoice;
    expect(credit).toMatchObject({ kind: 'red', credit: { originalNumber: invoice.number } });
    for (const field of ['totalFen', 'netFen', 'taxFen'] as const) expect(credit.amounts[field] + invoice.amounts[field]).toBe(0);
  });
});
