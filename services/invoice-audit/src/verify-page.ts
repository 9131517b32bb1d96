import { createRequire } from 'node:module';
import type { LedgerReader } from '@fareledger/ledger';
import { Hono } from 'hono';
import { html } from './html.js';

// GET /verify: a page that verifies an invoice in the browser, with the same library as
// the CLI, bundled for the browser by esbuild (tsx's own compiler, already installed) on
// the first request. Its Content-Security-Policy lets it load only its own script and
// make no request at all, so it verifies offline by construction.

const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
const entry = new URL('./verify-page/verify-app.ts', import.meta.url).pathname;
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

let bundle: Promise<string> | undefined;

/** The page's script, built once per process (about 0.3 s). */
export function verifyAppBundle(): Promise<string> {
  bundle ??= esbuild
    .build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2022', minify: true, legalComments: 'none' })
    .then((result) => result.outputFiles[0]!.text);
  return bundle;
}

export function verifyPageRoutes(reader: LedgerReader): Hono {
  const app = new Hono();
  app.get('/verify', (c) => {
    const keys = reader.verifierKeys().map((key) => key.verifierKey);
    c.header('Content-Security-Policy', contentSecurityPolicy);
    c.header('Cache-Control', 'no-cache');
    return c.html(pageHtml(keys));
  });
  app.get('/verify/app.js', async (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(await verifyAppBundle(), 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
  return app;
}

function pageHtml(keys: readonly string[]): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify an e-invoice — Fareledger</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #111; }
  textarea { width: 100%; font: 12px/1.4 ui-monospace, monospace; box-sizing: border-box; }
  label { font-weight: 600; display: block; margin-top: 1rem; }
  button { margin-top: 1rem; font-size: 1rem; padding: .4rem 1.2rem; }
  #result { margin-top: 1rem; padding: .8rem 1rem; border-radius: 6px; }
  #result[data-verdict=valid] { background: #e6f4ea; border: 1px solid #2e7d32; }
  #result[data-verdict=invalid], #result[data-verdict=error] { background: #fdecea; border: 1px solid #c62828; }
  #result p { margin: .3rem 0 0; }
  .muted { color: #555; font-size: .9rem; }
</style>
</head>
<body>
<h1>Verify an e-invoice</h1>
<p class="muted">Everything happens in this page, with the ledger's public keys: it sends nothing to any server (its
Content-Security-Policy forbids every request). It checks every proof against a signed checkpoint, the trip and tap
entries in them, and every field the ledger binds; with a checkpoint you kept, that the log only grew since.</p>
<p id="qr-note" class="muted" hidden>This page was opened from a printed invoice's QR code: it checks the trip entry the code carries.</p>
<label for="invoice">Invoice (JSON, as the wallet app or <code>/v1/invoices/{number}</code> gives it)</label>
<textarea id="invoice" rows="10" spellcheck="false" placeholder='{"format": "fareledger-invoice/v1", ...}'></textarea>
<input type="file" id="file" accept="application/json,.json">
<label for="keys">Verifier keys, one a line</label>
<textarea id="keys" rows="3" spellcheck="false">${keys.join('\n')}</textarea>
<p class="muted">Filled in with the keys this server publishes. To trust no one here, paste keys you got elsewhere (the tax bureau's copy, an earlier visit).</p>
<label for="since">A checkpoint you kept (optional: the signed note text)</label>
<textarea id="since" rows="4" spellcheck="false"></textarea>
<button id="verify" type="button">Verify</button>
<div id="result" role="status" aria-live="polite"></div>
<script src="/verify/app.js"></script>
</body>
</html>
`.html;
}


