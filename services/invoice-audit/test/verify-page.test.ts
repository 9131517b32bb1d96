import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '@fareledger/infra/browser';
import type { Invoice } from '@fareledger/invoice';
import { silentLogger } from '@fareledger/runtime';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInvoiceAuditConfig } from '../src/config.js';
import { type InvoiceAuditHandle, startInvoiceAudit } from '../src/service.js';
import { adminToken, alice, blocks, TestLedger, tempDir } from './fixture.js';

// The /verify page in headless Chromium (Debian's, driven by playwright-core): a real
// invoice is valid, a tampered one invalid, and the page verifies with the network off.

const dir = tempDir();
let service: InvoiceAuditHandle;
let browser: Browser;
let invoice: Invoice;
let invoiceSince8: Invoice;
let kept8: string;
let invoicePage: string;

beforeAll(async () => {
  const ledger = new TestLedger(join(dir, 'ledger.db'));
  for (const block of blocks) ledger.seal(block);
  ledger.close();
  service = await startInvoiceAudit(loadInvoiceAuditConfig({
    INVOICE_PORT: '0', LEDGER_PATH: join(dir, 'ledger.db'), INVOICE_INDEX_PATH: join(dir, 'index.db'), INVOICE_ACCESS_PATH: join(dir, 'access.db'),
    INVOICE_ADMIN_TOKEN: adminToken, INVOICE_AUDIT_KEY_PATH: join(dir, 'audit.key'), INVOICE_DEV_CREATE_KEY: 'true', INVOICE_ADJUSTMENTS_PATH: join(dir, 'adj.db'),
  }), { logger: silentLogger() });
  const issued = await fetch(`${service.url}/v1/admin/tokens`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'wallet', account: alice }) });
  const { token } = (await issued.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}` };
  invoice = (await (await fetch(`${service.url}/v1/invoices/26000030000000000003`, { headers })).json()) as Invoice;
  invoiceSince8 = (await (await fetch(`${service.url}/v1/invoices/26000030000000000003?since=8`, { headers })).json()) as Invoice;
  kept8 = await (await fetch(`${service.url}/v1/chains/3/checkpoints/8`)).text();
  invoicePage = await (await fetch(`${service.url}/v1/invoices/26000030000000000003`, { headers: { ...headers, accept: 'text/html' } })).text();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function verdictOf(page: Page, document: string): Promise<{ verdict: string | undefined; text: string }> {
  await page.fill('#invoice', document);
  await page.click('#verify');
  await page.waitForSelector('#result[data-verdict]');
  return { verdict: (await page.getAttribute('#result', 'data-verdict')) ?? undefined, text: (await page.textContent('#result')) ?? '' };
}

describe('the /verify page', () => {
  it('finds a real invoice valid and a tampered one invalid, with the network off', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${service.url}/verify`);
    await page.waitForSelector('#keys');
    await context.setOffline(true);
    const valid = await verdictOf(page, JSON.stringify(invoice));
    expect(valid.verdict).toBe('valid');
    expect(valid.text).toContain(`Valid: invoice ${invoice.number}, total 5.00 yuan`);
    const tampered = structuredClone(invoice) as { amounts: { totalFen: number; netFen: number } };
    tampered.amounts.totalFen = 300;
    const invalid = await verdictOf(page, JSON.stringify(tampered));
    expect(invalid.verdict).toBe('invalid');
    expect(invalid.text).toContain('Invalid (mismatch)');
    expect(requests.map((url) => new URL(url).pathname)).toEqual(['/verify', '/verify/app.js']);
    await context.close();
  });

  it('verifies the trip proof a printed invoice\'s QR code carries, and rejects a changed one', async () => {
    const href = /href="(http:\/\/[^"]+\/verify#q=[A-Za-z0-9_-]+)"/.exec(invoicePage)![1]!;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(href);
    await page.waitForSelector('#result[data-verdict]');
    expect([await page.getAttribute('#result', 'data-verdict'), await page.textContent('#result')]).toEqual(['valid', expect.stringContaining('charged 5.00 yuan')]);
    const fragment = href.slice(href.indexOf('#q=') + 3);
    const changed = fragment.slice(0, 40) + (fragment[40] === 'A' ? 'B' : 'A') + fragment.slice(41);
    await page.goto(`${service.url}/verify#q=${changed}`);
    await page.reload();
    await page.waitForSelector('#result[data-verdict]');
    expect(await page.getAttribute('#result', 'data-verdict')).not.toBe('valid');
    await context.close();
  });

  it('checks consistency with a checkpoint the user kept, offline', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${service.url}/verify`);
    await page.waitForSelector('#keys');
    await context.setOffline(true);
    await page.fill('#since', kept8);
    const consistent = await verdictOf(page, JSON.stringify(invoiceSince8));
    expect(consistent.verdict).toBe('valid');
    expect(consistent.text).toContain('Consistent with the checkpoint you kept (tree size 8)');
    // A kept checkpoint that was altered (another root at size 8) does not open: the page says so.
    await page.fill('#since', kept8.replace(/\n([A-Za-z0-9+/]{43}=)\n/, (_m, root: string) => `\n${root[0] === 'A' ? 'B' : 'A'}${root.slice(1)}\n`));
    const forked = await verdictOf(page, JSON.stringify(invoiceSince8));
    expect([forked.verdict, forked.text]).toEqual(['invalid', expect.stringContaining('Invalid (consistency)')]);
    await context.close();
  });

  it('is served with a policy that forbids it every request', async () => {
    const response = await fetch(`${service.url}/verify`);
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'none'");
  });
});
