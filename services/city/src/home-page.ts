import { LedgerReader } from '@fareledger/ledger';
import { problem, problemResponse } from '@fareledger/runtime';
import { Hono } from 'hono';
import { html, type Raw, raw } from '../../invoice-audit/src/html.js';
import type { DemoCredentials } from './credentials.js';

// GET /: what the city is doing, server-rendered (no build step, no script: the page
// reloads itself every two seconds). Figures come from the ledger file itself, read-only:
// taps sealed a second (tap-log records sealed, over the last ten seconds), blocks, each
// chain's latest checkpoint; and the demo wallets' latest invoices through the wallet door
// with their own tokens, each linked to its printable page (GET /demo/invoices/{number},
// which answers for the demo accounts only) and to /verify.

/** Calls the city's own routes in process. */
export type CityRequest = (path: string, init?: RequestInit) => Promise<Response>;

interface Sample {
  readonly atMs: number;
  readonly tapsSealed: number;
}

const sampleIntervalMs = 1_000;
const rateWindowMs = 10_000;
const invoicesPerWallet = 4;

export class HomePage {
  readonly #reader: LedgerReader;
  readonly #samples: Sample[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(ledgerPath: string, readonly credentials: DemoCredentials, readonly request: CityRequest) {
    this.#reader = LedgerReader.open({ path: ledgerPath });
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), sampleIntervalMs);
  }

  routes(): Hono {
    const app = new Hono();
    app.get('/', async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.html((await this.#page()).html);
    });
    app.get('/demo/invoices/:number', async (c) => {
      const number = c.req.param('number');
      const json = number.endsWith('.json');
      const page = await this.#demoInvoice(json ? number.slice(0, -5) : number, json ? 'application/json' : 'text/html');
      if (page === undefined) return problemResponse(c, problem('not-found', `No invoice ${number} of a demo wallet.`));
      return c.body(await page.arrayBuffer(), 200, { 'content-type': page.headers.get('content-type') ?? 'text/html', ...(json ? { 'content-disposition': `attachment; filename="invoice-${number}"` } : {}) });
    });
    return app;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#reader.close();
  }

  /** Taps sealed per second over the last ten seconds, and in all. */
  tapRate(): { perSecond: number; total: number } {
    const last = this.#samples.at(-1)!;
    const first = this.#samples.find((sample) => sample.atMs >= last.atMs - rateWindowMs) ?? last;
    const seconds = (last.atMs - first.atMs) / 1000;
    return { perSecond: seconds > 0 ? (last.tapsSealed - first.tapsSealed) / seconds : 0, total: last.tapsSealed };
  }

  #sample(): void {
    const tapsSealed = this.#reader.chains().reduce((sum, chain) => sum + chain.nextOffset, 0);
    this.#samples.push({ atMs: Date.now(), tapsSealed });
    while (this.#samples.length > rateWindowMs / sampleIntervalMs + 2) this.#samples.shift();
  }

  async #demoInvoice(number: string, accept: string): Promise<Response | undefined> {
    if (!/^[0-9]{20}$/.test(number)) return undefined;
    for (const wallet of this.credentials.wallets) {
      const response = await this.request(`/v1/invoices/${number}`, { headers: { authorization: `Bearer ${wallet.token}`, accept } });
      if (response.status === 200) return response;
    }
    return undefined;
  }

  async #page(): Promise<Raw> {
    const chains = this.#reader.chains();
    const rate = this.tapRate();
    const blocks = chains.reduce((sum, chain) => sum + chain.blockHeight + 1, 0);
    const invoices = await this.#recentInvoices();
    return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Fareledger</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;margin-bottom:.2rem} .sub{color:#5a6272;margin-top:0}
.figures{display:flex;gap:1rem;flex-wrap:wrap;margin:1.2rem 0}
.figure{border:1px solid #d8dce4;border-radius:.5rem;padding:.7rem 1rem;min-width:11rem}
.figure b{display:block;font-size:1.7rem} table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceef2;font-variant-numeric:tabular-nums} code{font-size:.85em}
</style></head><body>
<h1>Fareledger</h1>
<p class="sub">A transit fare ledger of a Shenzhen-like city, running in one process. Every trip is sealed into a signed Merkle log; every invoice carries the proof that makes it verifiable offline.</p>
<div class="figures">
<div class="figure"><b id="tap-rate">${Math.round(rate.perSecond).toLocaleString('en-US')}</b>taps sealed a second</div>
<div class="figure"><b id="taps-sealed">${rate.total.toLocaleString('en-US')}</b>taps sealed</div>
<div class="figure"><b id="blocks">${blocks.toLocaleString('en-US')}</b>blocks sealed</div>
<div class="figure"><b>${chains.length}</b>chains</div>
</div>
<h2>Latest checkpoint of each chain</h2>
<table id="chains"><tr><th>chain</th><th>block</th><th>tree size</th><th>sealed</th><th>root hash</th></tr>
${chains.map((chain) => checkpointRow(this.#reader, chain.chain))}
</table>
<h2>Latest invoices of the demo wallets</h2>
${invoices.length === 0 ? html`<p>None yet: the simulator's first trips are sealed within seconds (<code>npm start -- --no-sim</code> runs without it).</p>` : html`<table id="invoices"><tr><th>invoice</th><th>wallet</th><th>seller</th><th>trip</th><th>total</th><th></th></tr>${invoices}</table>`}
<p>Check one offline: save its JSON, open <a href="/verify">/verify</a> and choose the file (or paste it). The page checks it in the browser and sends nothing to the server.</p>
<h2>More</h2>
<ul>
<li><a href="/docs">API docs</a> (devices, wallets, transparency, audit, admin) and <a href="/openapi.json">OpenAPI</a></li>
<li><a href="/v1/keys">Verifier keys</a> and <a href="/v1/chains">chains</a> (the public transparency door)</li>
<li><a href="/readyz">Readiness</a>, <a href="/metrics">metrics</a>, <a href="/problems">problem types</a></li>
<li>Demo credentials (devices, wallets, an auditor, the admin token): <code>credentials.json</code> in the data directory</li>
</ul>
</body></html>`;
  }

  async #recentInvoices(): Promise<Raw[]> {
    const rows: { issuedAt: string; row: Raw }[] = [];
    for (const wallet of this.credentials.wallets) {
      const response = await this.request(`/v1/accounts/${wallet.account}/invoices?limit=${invoicesPerWallet}`, { headers: { authorization: `Bearer ${wallet.token}` } });
      if (response.status !== 200) continue;
      const { items } = (await response.json()) as { items: InvoiceSummary[] };
      for (const invoice of items) rows.push({ issuedAt: invoice.issuedAt, row: invoiceRow(invoice) });
    }
    return rows.sort((a, b) => b.issuedAt.localeCompare(a.issuedAt)).slice(0, 10).map(({ row }) => row);
  }
}

interface InvoiceSummary {
  readonly number: string;
  readonly kind: 'blue' | 'red';
  readonly issuedAt: string;
  readonly buyer: { readonly account: string };
  readonly seller: { readonly name: string };
  readonly item: { readonly mode: string; readonly from?: { readonly name: string }; readonly to?: { readonly name: string }; readonly routeId?: string };
  readonly amounts: { readonly totalFen: number };
}

function invoiceRow(invoice: InvoiceSummary): Raw {
  const { item } = invoice;
  const trip = item.from !== undefined ? `${item.from.name} → ${item.to?.name ?? '(no tap-out)'}` : item.routeId !== undefined ? `bus ${item.routeId}` : item.mode;
  const total = `${invoice.amounts.totalFen < 0 ? '−' : ''}¥${(Math.abs(invoice.amounts.totalFen) / 100).toFixed(2)}`;
  return html`<tr><td><a href="/demo/invoices/${invoice.number}">${invoice.number}</a>${invoice.kind === 'red' ? raw(' <b>credit</b>') : ''}</td><td>${invoice.buyer.account}</td><td>${invoice.seller.name}</td><td>${trip}</td><td>${total}</td><td><a href="/demo/invoices/${invoice.number}.json">JSON</a></td></tr>`;
}

function checkpointRow(reader: LedgerReader, chain: number): Raw {
  const checkpoint = reader.checkpoint(chain);
  if (checkpoint === undefined) return html`<tr><td>${chain}</td><td colspan="4">nothing sealed yet</td></tr>`;
  const root = Buffer.from(checkpoint.rootHash).toString('hex');
  return html`<tr><td><a href="/v1/chains/${chain}/checkpoint">${chain}</a></td><td>${checkpoint.blockHeight}</td><td>${checkpoint.treeSize.toLocaleString('en-US')}</td><td>${new Date(checkpoint.sealedAtMs).toISOString()}</td><td><code>${root.slice(0, 16)}…</code></td></tr>`;
}
