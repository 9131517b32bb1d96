import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerifierKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { examples } from '@fareledger/domain';
import { decodeEntry } from '@fareledger/codecs';
import { type Invoice, verifyInvoice } from '@fareledger/invoice';
import { LocalTapLog } from '@fareledger/tap-log';
import { silentLogger } from '@fareledger/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInvoiceAuditConfig } from '../src/config.js';
import { type InvoiceAuditHandle, startInvoiceAudit } from '../src/service.js';
import { adminToken, alice, blocks, bob, chain, laterBlock, logName, TestLedger, tempDir, verifier } from './fixture.js';

// The service over real HTTP, on a real ledger file written by the real LedgerWriter.

const dir = tempDir();
let ledger: TestLedger;
let service: InvoiceAuditHandle;
let aliceToken: string;
let bobToken: string;
let auditorToken: string;

async function get(path: string, token?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${service.url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

async function issue(body: unknown): Promise<Response> {
  return fetch(`${service.url}/v1/admin/tokens`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const verifyOptions = { verifierKeys: [verifier], logName, ed25519: ed25519Node };

beforeAll(async () => {
  ledger = new TestLedger(join(dir, 'ledger.db'));
  for (const block of blocks) ledger.seal(block);
  const config = loadInvoiceAuditConfig({
    INVOICE_PORT: '0', LEDGER_PATH: join(dir, 'ledger.db'), INVOICE_INDEX_PATH: join(dir, 'index.db'), INVOICE_ACCESS_PATH: join(dir, 'access.db'),
    INVOICE_ADMIN_TOKEN: adminToken, INVOICE_FOLLOW_INTERVAL_MS: '5', INVOICE_AUDIT_KEY_PATH: join(dir, 'audit.key'), INVOICE_DEV_CREATE_KEY: 'true',
    TAP_LOG_PATH: join(dir, 'taps.db'), INVOICE_ADJUSTMENTS_PATH: join(dir, 'adjustments.db'),
  });
  service = await startInvoiceAudit(config, { logger: silentLogger() });
  aliceToken = ((await (await issue({ role: 'wallet', account: alice, label: 'alice phone' })).json()) as { token: string }).token;
  bobToken = ((await (await issue({ role: 'wallet', account: bob })).json()) as { token: string }).token;
  auditorToken = ((await (await issue({ role: 'auditor', label: 'tax bureau' })).json()) as { token: string }).token;
});

afterAll(async () => {
  await service?.stop();
  ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the wallet door', () => {
  it('serves the invoice of a trip with proofs the offline verifier accepts', async () => {
    const response = await get('/v1/invoices/26000030000000000003', aliceToken);
    expect(response.status).toBe(200);
    const invoice = (await response.json()) as Invoice;
    expect(invoice).toMatchObject({ number: '26000030000000000003', kind: 'blue', chain, buyer: { account: alice }, seller: { operatorId: 'szmc', taxpayerId: '91440300192175051X' } });
    expect(invoice.amounts).toEqual({ fareFen: 500, discountFen: 0, totalFen: 500, vatRateBp: 900, netFen: 459, taxFen: 41 });
    expect(invoice.item).toMatchObject({ from: { stationId: 'L1-S07', name: 'Gangxia' }, to: { stationId: 'L1-S19', name: 'Taoyuan' } });
    expect(invoice.proofs.taps.map((bundle) => bundle.logIndex)).toEqual([0, 2]);
    expect(invoice.proofs.trip.treeSize).toBe(4); // the block that sealed it
    expect(verifyInvoice(invoice, verifyOptions)).toMatchObject({ kind: 'blue', treeSize: 4, totalFen: 500 });
  });

  it('answers 404 for another account\'s invoice, exactly as for a missing one', async () => {
    const other = await get('/v1/invoices/26000030000000000003', bobToken);
    const missing = await get('/v1/invoices/26000030000000000099', bobToken);
    const wrongYear = await get('/v1/invoices/25000030000000000005', bobToken);
    expect([other.status, missing.status, wrongYear.status]).toEqual([404, 404, 404]);
    const [a, b] = [(await other.json()) as Record<string, unknown>, (await missing.json()) as Record<string, unknown>];
    expect(a.title).toBe(b.title);
    expect(String(a.detail).replace(/\d{20}/, 'N')).toBe(String(b.detail).replace(/\d{20}/, 'N'));
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    // Bob's own invoice he reads; a tap entry has no invoice.
    expect((await get('/v1/invoices/26000030000000000005', bobToken)).status).toBe(200);
    expect((await get('/v1/invoices/26000030000000000002', aliceToken)).status).toBe(404);
  });

  it('lets an auditor token read any invoice, and refuses requests without a valid token', async () => {
    expect((await get('/v1/invoices/26000030000000000003', auditorToken)).status).toBe(200);
    const none = await get('/v1/invoices/26000030000000000003');
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="fareledger"']);
    expect((await get('/v1/invoices/26000030000000000003', `flw_${'A'.repeat(43)}`)).status).toBe(401);
    expect((await get('/v1/invoices/26000030000000000003', 'not-a-token')).status).toBe(401);
  });

  it('lists an account\'s trips and invoices, newest first, in pages', async () => {
    const trips = (await (await get(`/v1/accounts/${alice}/trips`, aliceToken)).json()) as { items: { number: string; item: { mode: string }; href: string }[]; next: string | null };
    expect(trips.items.map((t) => [t.number, t.item.mode])).toEqual([['26000030000000000007', 'bus'], ['26000030000000000003', 'metro']]);
    expect(trips.items[0]).not.toHaveProperty('proofs');
    expect(trips.items[0]!.href).toBe('/v1/invoices/26000030000000000007');
    const first = (await (await get(`/v1/accounts/${alice}/invoices?limit=1`, aliceToken)).json()) as { items: { number: string }[]; next: string };
    expect(first.items.map((i) => i.number)).toEqual(['26000030000000000007']);
    const second = (await (await get(`/v1/accounts/${alice}/invoices?limit=1&cursor=${first.next}`, aliceToken)).json()) as { items: { number: string }[]; next: string };
    expect(second.items.map((i) => i.number)).toEqual(['26000030000000000003']);
    const forbidden = await get(`/v1/accounts/${alice}/trips`, bobToken);
    expect(forbidden.status).toBe(403);
    expect((await get(`/v1/accounts/${alice}/trips?limit=0`, aliceToken)).status).toBe(400);
    expect((await get(`/v1/accounts/${alice}/trips?cursor=abc`, aliceToken)).status).toBe(400);
    expect((await get(`/v1/accounts/${bob}/trips`, auditorToken)).status).toBe(200);
  });

  it('answers a tap\'s invoice as soon as its trip is sealed (waitMs)', async () => {
    expect((await get(`/v1/taps/${examples.metroTapOut.tapId}/invoice`, aliceToken)).status).toBe(200);
    expect((await get(`/v1/taps/${examples.metroTapOut.tapId}/invoice`, bobToken)).status).toBe(404);
    const taxiTapId = examples.taxiTap.tapId;
    expect((await get(`/v1/taps/${taxiTapId}/invoice`, aliceToken)).status).toBe(404);
    const startedMs = Date.now();
    const waiting = get(`/v1/taps/${taxiTapId}/invoice?waitMs=10000`, aliceToken);
    await new Promise((resolve) => setTimeout(resolve, 200));
    ledger.seal(laterBlock);
    const response = await waiting;
    expect(response.status).toBe(200);
    expect(Date.now() - startedMs).toBeLessThan(5_000);
    const invoice = (await response.json()) as Invoice;
    expect(invoice.item).toMatchObject({ mode: 'taxi', vehicleId: examples.taxiTrip.vehicleId });
    expect(invoice.amounts).toMatchObject({ totalFen: 3_180, vatRateBp: 300 });
    expect(verifyInvoice(invoice, verifyOptions).kind).toBe('blue');
    expect((await get(`/v1/taps/${taxiTapId}/invoice`, auditorToken)).status).toBe(403);
    expect((await get(`/v1/taps/${taxiTapId}/invoice?waitMs=99999999`, aliceToken)).status).toBe(400);
  });

  it('issues a red-letter invoice for a refund that nets the original to zero', async () => {
    await service.catchUp();
    const red = (await (await get('/v1/invoices/26000030000000000010', aliceToken)).json()) as Invoice;
    const blue = (await (await get('/v1/invoices/26000030000000000003', aliceToken)).json()) as Invoice;
    expect(red).toMatchObject({ kind: 'red', credit: { originalNumber: blue.number, kind: 'refund' } });
    for (const field of ['totalFen', 'netFen', 'taxFen'] as const) expect(red.amounts[field] + blue.amounts[field]).toBe(0);
    expect(verifyInvoice(red, verifyOptions).kind).toBe('red');
  });

  it('attaches a consistency proof from a checkpoint the wallet kept', async () => {
    const kept = await (await get(`/v1/chains/${chain}/checkpoints/4`)).text();
    const latest = await (await get(`/v1/chains/${chain}/checkpoint`)).text();
    const invoice = (await (await get('/v1/invoices/26000030000000000005?since=11', bobToken)).json()) as Invoice;
    expect(invoice.consistency).toMatchObject({ fromSize: 8, toSize: 11 });
    expect(verifyInvoice(invoice, { ...verifyOptions, since: latest }).sinceTreeSize).toBe(11);
    const older = (await (await get('/v1/invoices/26000030000000000005?since=4', bobToken)).json()) as Invoice;
    expect(verifyInvoice(older, { ...verifyOptions, since: kept }).sinceTreeSize).toBe(4);
    expect((await get('/v1/invoices/26000030000000000005?since=12', bobToken)).status).toBe(400);
  });

  it('prints an invoice page with a QR code for /verify when asked for HTML', async () => {
    const response = await get('/v1/invoices/26000030000000000003', aliceToken, { accept: 'text/html,application/json;q=0.9' });
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain('<td id="number">26000030000000000003</td>');
    expect(page).toContain('¥ 5.00');
    expect(page).toMatch(/<svg[^>]*viewBox/);
    expect(page).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/verify#q=[A-Za-z0-9_-]+"/);
  });
});

describe('adjustments through the admin API', () => {
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const bobTripId = 'szm-l1-g042/g042-000200';
  const refund = { adjustmentId: 'adj-bob-1', tripId: bobTripId, kind: 'refund', amountFen: 200, reason: 'gate fault, charged twice', authorizedBy: 'admin.wang' };

  /** What the batcher does with the tap log: here the test seals its adjustment records itself. */
  function sealAdjustmentsFromTapLog(): Uint8Array[] {
    const log = LocalTapLog.open(join(dir, 'taps.db'), 4);
    const values = [0, 1, 2, 3].flatMap((partition) => log.read(partition, 0, 100).map((record) => record.value));
    void log.close();
    return values;
  }

  it('sends a refund to the tap log, and answers with its red invoice once sealed', async () => {
    const pending = await admin('POST', '/v1/admin/adjustments?waitMs=0', refund);
    expect(pending.status).toBe(202);
    expect(pending.headers.get('location')).toBe('/v1/admin/adjustments/adj-bob-1');
    expect(await pending.json()).toMatchObject({ status: 'pending', adjustment: { ...refund, account: bob } });
    // A retry sends the very same bytes: the batcher drops the second as a duplicate.
    expect((await admin('POST', '/v1/admin/adjustments?waitMs=0', refund)).status).toBe(202);
    const sent = sealAdjustmentsFromTapLog();
    expect(sent).toHaveLength(2);
    expect(Buffer.from(sent[0]!).equals(Buffer.from(sent[1]!))).toBe(true);
    const entry = decodeEntry(sent[0]!);
    expect(entry.type).toBe('adjustment');
    ledger.seal([entry]);
    await service.catchUp();
    const sealed = (await (await admin('GET', '/v1/admin/adjustments/adj-bob-1')).json()) as { status: string; invoice: { number: string; href: string } };
    expect(sealed).toMatchObject({ status: 'sealed', invoice: { number: '26000030000000000011' } });
    const red = (await (await get(sealed.invoice.href, bobToken)).json()) as Invoice;
    expect(red).toMatchObject({ kind: 'red', amounts: { totalFen: -200 }, credit: { originalNumber: '26000030000000000005', reason: refund.reason } });
    expect(verifyInvoice(red, verifyOptions).kind).toBe('red');
    // Bob's invoices now list the credit first.
    const list = (await (await get(`/v1/accounts/${bob}/invoices`, bobToken)).json()) as { items: { number: string; kind: string }[] };
    expect(list.items.map((i) => i.kind)).toEqual(['red', 'blue']);
  });

  it('refuses a credit above what is left, a reused id with other contents, an unknown trip, a bad body', async () => {
    const over = await admin('POST', '/v1/admin/adjustments', { ...refund, adjustmentId: 'adj-bob-2', amountFen: 301 });
    expect(over.status).toBe(422);
    expect(await over.json()).toMatchObject({ type: '/problems/adjustment-exceeds-charge', leftFen: 300 });
    expect((await admin('POST', '/v1/admin/adjustments', { ...refund, amountFen: 100 })).status).toBe(409);
    expect((await admin('POST', '/v1/admin/adjustments', { ...refund, adjustmentId: 'adj-x', tripId: 'nope/nope' })).status).toBe(404);
    expect((await admin('POST', '/v1/admin/adjustments', { ...refund, amountFen: 0 })).status).toBe(400);
    expect((await admin('POST', '/v1/admin/adjustments', { ...refund, extra: 1 })).status).toBe(400);
    expect((await admin('GET', '/v1/admin/adjustments/adj-none')).status).toBe(404);
    expect((await fetch(`${service.url}/v1/admin/adjustments`, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

describe('the transparency door', () => {
  it('publishes the verifier keys and every chain\'s checkpoints', async () => {
    const keys = (await (await get('/v1/keys')).json()) as { keys: { verifierKey: string }[] };
    expect(keys.keys.map((k) => k.verifierKey)).toEqual([formatVerifierKey(verifier)]);
    const chains = (await (await get('/v1/chains')).json()) as { logName: string; chains: { chain: number; treeSize: number }[] };
    expect(chains).toMatchObject({ logName, chains: [{ chain, treeSize: 12 }] });
    const note = await get(`/v1/chains/${chain}/checkpoints/8`);
    expect([note.status, note.headers.get('content-type')]).toEqual([200, 'text/plain; charset=utf-8']);
    expect((await note.text()).split('\n').slice(0, 2)).toEqual([`${logName}/chain/${chain}`, '8']);
    expect((await get(`/v1/chains/${chain}/checkpoints/7`)).status).toBe(404);
    expect((await get('/v1/chains/9/checkpoint')).status).toBe(404);
  });

  it('serves inclusion and consistency proofs, and refuses impossible ones', async () => {
    const inclusion = (await (await get(`/v1/chains/${chain}/proofs/inclusion?index=3&size=8`)).json()) as { hashes: string[] };
    expect(inclusion.hashes).toHaveLength(3);
    const consistency = (await (await get(`/v1/chains/${chain}/proofs/consistency?from=4&to=11`)).json()) as { hashes: string[] };
    expect(consistency.hashes.length).toBeGreaterThan(0);
    expect((await get(`/v1/chains/${chain}/proofs/inclusion?index=8&size=8`)).status).toBe(400);
    expect((await get(`/v1/chains/${chain}/proofs/inclusion?index=1&size=99`)).status).toBe(400);
    expect((await get(`/v1/chains/${chain}/proofs/consistency?from=9&to=4`)).status).toBe(400);
    expect((await get(`/v1/chains/${chain}/proofs/consistency?from=x&to=4`)).status).toBe(400);
  });

  it('serves hash tiles in the C2SP tlog-tiles layout, never entry bundles', async () => {
    const tile = await get(`/v1/chains/${chain}/tile/0/000.p/12`);
    expect([tile.status, (await tile.arrayBuffer()).byteLength]).toEqual([200, 12 * 32]);
    expect((await get(`/v1/chains/${chain}/tile/0/000.p/4`)).status).toBe(200);
    expect((await get(`/v1/chains/${chain}/tile/0/000`)).status).toBe(404); // not full yet
    expect((await get(`/v1/chains/${chain}/tile/0/000.p/13`)).status).toBe(404);
    expect((await get(`/v1/chains/${chain}/tile/entries/000.p/12`)).status).toBe(404);
  });
});

describe('the admin API and the documents', () => {
  it('refuses bad token requests and revokes tokens', async () => {
    expect((await issue({ role: 'wallet' })).status).toBe(400);
    expect((await issue({ role: 'auditor', account: alice })).status).toBe(400);
    const noAuth = await fetch(`${service.url}/v1/admin/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noAuth.status).toBe(401);
    const issued = (await (await issue({ role: 'wallet', account: alice })).json()) as { token: string; record: { tokenId: string } };
    expect((await get('/v1/invoices/26000030000000000003', issued.token)).status).toBe(200);
    const revoke = await fetch(`${service.url}/v1/admin/tokens/${issued.record.tokenId}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect(revoke.status).toBe(200);
    expect((await get('/v1/invoices/26000030000000000003', issued.token)).status).toBe(401);
  });

  it('serves its OpenAPI document, docs page, health and metrics', async () => {
    const openapi = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/v1/taps/{tapId}/invoice');
    expect((await get('/docs')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/invoice_index_entries_total\S* 12/);
    expect(metrics).toMatch(/invoice_issued_total\{[^}]*kind="red"[^}]*\} 2/);
    expect(metrics).toMatch(/invoice_adjustments_total\{[^}]*outcome="pending"[^}]*\} 2/);
    expect(metrics).toMatch(/invoice_adjustments_total\{[^}]*outcome="refused"[^}]*\} 3/);
    expect(metrics).toMatch(/invoice_index_lag_entries\S* 0/);
    expect((await get('/v1/nothing')).status).toBe(404);
  });
});
