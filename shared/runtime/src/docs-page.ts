import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono } from 'hono';

// Swagger UI is served from the installed swagger-ui-dist package, never from a CDN: the docs
// page must work on an operator's network that has no route to the internet.
const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const assets: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** The interactive API page at `/docs`, reading the document at `openapiPath`. */
export function docsPageRoutes(options: { title: string; openapiPath: string }): Hono {
  const app = new Hono();
  const page = docsHtml(options.title, options.openapiPath);
  app.get('/docs', (c) => c.html(page));
  app.get('/docs/:asset', (c) => {
    const name = c.req.param('asset');
    // An own property only: `assets['__proto__']` or `assets['constructor']` is Object.prototype's, not an asset.
    const contentType = Object.hasOwn(assets, name) ? assets[name] : undefined;
    if (contentType === undefined) return c.notFound();
    return c.body(assetBytes(name), 200, { 'content-type': contentType, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}

const assetCache = new Map<string, Uint8Array<ArrayBuffer>>();

function assetBytes(name: string): Uint8Array<ArrayBuffer> {
  let bytes = assetCache.get(name);
  if (bytes === undefined) {
    bytes = new Uint8Array(readFileSync(path.join(swaggerDir, name)));
    assetCache.set(name, bytes);
  }
  return bytes;
}

function docsHtml(title: string, openapiPath: string): string {
  const escapedTitle = title.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapedTitle}</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(openapiPath)}, dom_id: '#swagger-ui', deepLinking: true });
</script>
</body>
</html>
`;
}
