import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { defineProblemTypes, genericProblemTypes } from './problem.js';
import { problemDocsRoutes } from './problem-docs.js';

const serviceTypes = defineProblemTypes({
  'clock-skew': { status: 422, title: 'Clock skew', description: 'The `eventTime` is <far> from now & the device clock is wrong.' },
});

function docsApp(): Hono {
  return new Hono().route('/', problemDocsRoutes({ ...genericProblemTypes, ...serviceTypes }));
}

describe('problemDocsRoutes', () => {
  it('serves one HTML page per type, escaping the description', async () => {
    const response = await docsApp().request('/problems/clock-skew', { headers: { accept: 'text/html,application/xhtml+xml,*/*' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    const html = await response.text();
    expect(html).toContain('<title>Clock skew (422)</title>');
    expect(html).toContain('<h1>Clock skew</h1>');
    expect(html).toContain('Type <code>/problems/clock-skew</code>, HTTP status <strong>422</strong>');
    expect(html).toContain('<p>The <code>eventTime</code> is &lt;far&gt; from now &amp; the device clock is wrong.</p>');
  });

  it('serves JSON when asked for it', async () => {
    const response = await docsApp().request('/problems/payload-too-large', { headers: { accept: 'application/json' } });
    expect(await response.json()).toEqual({
      type: '/problems/payload-too-large',
      slug: 'payload-too-large',
      status: 413,
      title: 'Payload too large',
      description: genericProblemTypes['payload-too-large'].description,
    });
  });

  it('lists every type, by status', async () => {
    const response = await docsApp().request('/problems', { headers: { accept: 'application/json' } });
    const { problems } = (await response.json()) as { problems: { slug: string; status: number }[] };
    expect(problems.map((type) => `${type.status} ${type.slug}`)).toEqual([
      '400 invalid-request',
      '400 malformed-body',
      '400 malformed-request',
      '401 unauthenticated',
      '403 forbidden',
      '404 not-found',
      '405 method-not-allowed',
      '408 request-timeout',
      '413 payload-too-large',
      '415 unsupported-media-type',
      '422 clock-skew',
      '429 too-many-requests',
      '431 headers-too-large',
      '500 internal',
      '503 unavailable',
    ]);
    const html = await (await docsApp().request('/problems')).text();
    expect(html).toContain('<tr><td><a href="/problems/clock-skew">clock-skew</a></td><td>422</td><td>Clock skew</td></tr>');
  });

  it('answers an unknown slug with a not-found problem', async () => {
    const response = await docsApp().request('/problems/nope');
    expect([response.status, response.headers.get('content-type'), await response.json()]).toEqual([
      404,
      'application/problem+json',
      {
        type: '/problems/not-found',
        title: 'Not found',
        status: 404,
        detail: 'No problem type has this name; GET /problems lists them all.',
      },
    ]);
  });
});

describe('docs/problems.md', () => {
  const doc = readFileSync(new URL('../../../docs/problems.md', import.meta.url), 'utf8');

  it.each(Object.values(genericProblemTypes))('has a row for $slug with its status and title', (type) => {
    expect(doc).toContain(`| \`/problems/${type.slug}\` | ${type.status} | ${type.title} |`);
  });

  it('has a section for the types ingest adds', () => {
    expect(doc).toContain('\n## Ingest\n');
  });
});
