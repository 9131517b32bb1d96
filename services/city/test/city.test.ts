import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { launchChromium } from '@fareledger/infra/browser';
import type { Invoice } from '@fareledger/invoice';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, startChild } from '../../../load-tests/processes.js';
import type { DemoCredentials } from '../src/credentials.js';

// `npm start` as a newcomer runs it: one process, the simulator on, a demo wallet's
// invoice fetched and verified with fareledger-verify, the home page live in Chromium,
// SIGINT, and a second start on the same data directory continuing the same chains.

const dir = mkdtempSync(join(tmpdir(), 'fareledger-city-'));
const env = { DATA_DIR: join(dir, 'data'), PORT: '0', CITY_SIMULATE_RATE: '100', LOG_LEVEL: 'info' };
let city: Child | undefined;

afterAll(async () => {
  await city?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface ChainView {
  readonly chain: number;
  readonly treeSize: number;
  readonly blockHeight: number;
}

async function chains(url: string): Promise<ChainView[]> {
  return ((await (await fetch(`${url}/v1/chains`)).json()) as { chains: ChainView[] }).chains;
}

/** SIGINT, as Ctrl-C sends it; resolves with the exit code. */
function interrupt(child: Child): Promise<number | null> {
  return new Promise((resolve) => {
    child.process.once('exit', (code) => resolve(code));
    child.process.kill('SIGINT');
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('npm start: the whole city in one process', () => {
  let credentials: DemoCredentials;
  let invoice: Invoice;
  let before: ChainView[];

  it('starts, writes the demo credentials, and the simulator gets trips sealed and invoiced', async () => {
    city = await startChild('services/city/src/main.ts', env, 'city listening', { timeoutMs: 90_000 });
    credentials = JSON.parse(readFileSync(join(env.DATA_DIR, 'credentials.json'), 'utf8')) as DemoCredentials;
    expect(credentials.devices.map((device) => device.mode)).toEqual(expect.arrayContaining(['metro', 'bus', 'taxi']));
    expect(credentials.wallets).toHaveLength(5);
    const ready = await fetch(`${city.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(Object.keys(((await ready.json()) as { checks: object }).checks)).toEqual(expect.arrayContaining(['ingest', 'batcher', 'invoice-audit']));
    const url = city.url;
    invoice = await until('a demo wallet invoice', async () => {
      for (const wallet of credentials.wallets) {
        const headers = { authorization: `Bearer ${wallet.token}` };
        const page = (await (await fetch(`${url}/v1/accounts/${wallet.account}/invoices?limit=1`, { headers })).json()) as { items: { number: string }[] };
        if (page.items[0] !== undefined) return (await (await fetch(`${url}/v1/invoices/${page.items[0].number}`, { headers })).json()) as Invoice;
      }
      return undefined;
    });
    expect(invoice.buyer.account).toMatch(/^wa_demo_/);
  });

  it('gives an invoice fareledger-verify accepts with the key the city publishes', async () => {
    const { keys } = (await (await fetch(`${city!.url}/v1/keys`)).json()) as { keys: { verifierKey: string }[] };
    const path = join(dir, 'invoice.json');
    writeFileSync(path, JSON.stringify(invoice));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/invoice-audit/src/verify-cli.ts', path, '--key', keys[0]!.verifierKey]);
    expect(stdout).toContain(`valid: invoice ${invoice.number}`);
  });

  it('serves a home page with live figures and the demo wallets’ invoices (headless Chromium)', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${city!.url}/`);
      const tapRate = Number((await page.textContent('#tap-rate'))!.replace(/,/g, ''));
      const blocks = Number((await page.textContent('#blocks'))!.replace(/,/g, ''));
      expect(tapRate).toBeGreaterThan(0);
      expect(blocks).toBeGreaterThan(0);
      expect(await page.locator('#chains tr').count()).toBeGreaterThan(1);
      const link = page.locator('#invoices a[href^="/demo/invoices/"]').first();
      await link.click();
      await expect.poll(() => page.textContent('body')).toContain('Shenzhen');
      if (process.env.HOME_SCREENSHOT_PATH !== undefined) await page.goto(`${city!.url}/`).then(() => page.screenshot({ path: process.env.HOME_SCREENSHOT_PATH!, fullPage: true }));
    } finally {
      await browser.close();
    }
  });

  it('stops cleanly on SIGINT, and a second start continues the same chains', async () => {
    before = await chains(city!.url);
    const keysBefore = await (await fetch(`${city!.url}/v1/keys`)).json();
    expect(await interrupt(city!)).toBe(0);
    city = await startChild('services/city/src/main.ts', env, 'city listening', { timeoutMs: 90_000 });
    const sealed = before.reduce((sum, chain) => sum + chain.treeSize, 0);
    const after = await until('the chains to grow after the restart', async () => {
      const now = await chains(city!.url);
      return now.reduce((sum, chain) => sum + chain.treeSize, 0) > sealed ? now : undefined;
    });
    for (const chain of before) {
      const next = after.find((c) => c.chain === chain.chain)!;
      expect(next.treeSize).toBeGreaterThanOrEqual(chain.treeSize);
      expect(next.blockHeight).toBeGreaterThanOrEqual(chain.blockHeight);
    }
    expect(await (await fetch(`${city!.url}/v1/keys`)).json()).toEqual(keysBefore);
    expect(JSON.parse(readFileSync(join(env.DATA_DIR, 'credentials.json'), 'utf8'))).toEqual(credentials);
    // The invoice issued before the restart is still the wallet's, byte for byte the same trip.
    // The restarted simulator's taps are new taps, not reused ids the batcher skips.
    const metrics = await until('taps sealed by the restarted batcher', async () => {
      const text = await (await fetch(`${city!.url}/metrics`)).text();
      return /^batcher_taps_sealed_total\{[^}]*\} [1-9]/m.test(text) ? text : undefined;
    });
    expect(metrics).not.toMatch(/^batcher_records_rejected_total\{[^}]*\} [1-9]/m);
    const wallet = credentials.wallets.find((w) => w.account === invoice.buyer.account)!;
    const again = (await (await fetch(`${city!.url}/v1/invoices/${invoice.number}`, { headers: { authorization: `Bearer ${wallet.token}` } })).json()) as Invoice;
    expect(again.proofs.trip.leaf).toBe(invoice.proofs.trip.leaf);
    expect(await interrupt(city!)).toBe(0);
    city = undefined;
  });
});
