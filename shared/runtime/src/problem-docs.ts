import { type Context, Hono } from 'hono';
import { assert } from '@fareledger/domain';
import { problem, type ProblemType, problemTypeUri } from './problem.js';
import { problemResponse } from './problem-http.js';

/**
 * `GET /problems` and `GET /problems/:slug`: the page behind every problem's `type` URI, so a
 * developer who pastes the URI into a browser learns what happened and what to do. HTML for
 * browsers; JSON when the client asks for `application/json`. Mount with `app.route('/', …)`.
 * Pages are rendered once, here: the set of types is fixed at start-up.
 */
export function problemDocsRoutes(types: Readonly<Record<string, ProblemType>>): Hono {
  const sorted = Object.values(types).sort((a, b) => a.status - b.status || a.slug.localeCompare(b.slug));
  for (const [slug, type] of Object.entries(types)) assert(type.slug === slug, `problem type keyed ${slug} has slug ${type.slug}`);
  const pages = new Map(sorted.map((type) => [type.slug, { html: typePage(type), json: typeJson(type) }]));
  const index = { html: indexPage(sorted), json: { problems: sorted.map(typeJson) } };

  const app = new Hono();
  app.get('/problems', (c) => (wantsJson(c) ? c.json(index.json) : c.html(index.html)));
  app.get('/problems/:slug', (c) => {
    const page = pages.get(c.req.param('slug'));
    if (page === undefined) return problemResponse(c, problem('not-found', 'No problem type has this name; GET /problems lists them all.'));
    return wantsJson(c) ? c.json(page.json) : c.html(page.html);
  });
  return app;
}

function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return /\bapplication\/(?:[\w.-]+\+)?json\b/.test(accept) && !accept.includes('text/html');
}

function typeJson(type: ProblemType): { type: string; slug: string; status: number; title: string; description: string } {
  return { type: problemTypeUri(type), slug: type.slug, status: type.status, title: type.title, description: type.description };
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** `code` spans in descriptions become <code>; everything else is escaped text. */
function inlineHtml(text: string): string {
  return escapeHtml(text).replaceAll(/`([^`]+)`/g, '<code>$1</code>');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{background:#eee;padding:0 .2em}td,th{text-align:left;padding:.2rem .8rem .2rem 0}</style></head>
<body>
${body}
</body>
</html>
`;
}

function typePage(type: ProblemType): string {
  return page(
    `${type.title} (${type.status})`,
    `<h1>${escapeHtml(type.title)}</h1>
<p>Type <code>${escapeHtml(problemTypeUri(type))}</code>, HTTP status <strong>${type.status}</strong>, media type <code>application/problem+json</code> (RFC 9457).</p>
<p>${inlineHtml(type.description)}</p>
<p><a href="/problems">All problem types</a></p>`,
  );
}

function indexPage(types: readonly ProblemType[]): string {
  const rows = types
    .map((type) => `<tr><td><a href="${escapeHtml(problemTypeUri(type))}">${escapeHtml(type.slug)}</a></td><td>${type.status}</td><td>${escapeHtml(type.title)}</td></tr>`)
    .join('\n');
  return page(
    'Problem types',
    `<h1>Problem types</h1>
<p>Every error response is <code>application/problem+json</code> (RFC 9457); its <code>type</code> is one of these.</p>
<table>
<tr><th>type</th><th>status</th><th>title</th></tr>
${rows}
</table>`,
  );
}
