import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { invoiceProblemTypes } from './problem-types.js';

describe('docs/problems.md', () => {
  it('lists every invoice-audit problem type with its status', () => {
    const doc = readFileSync(new URL('../../../docs/problems.md', import.meta.url), 'utf8');
    for (const type of Object.values(invoiceProblemTypes)) expect(doc).toContain(`| \`/problems/${type.slug}\` | ${type.status} |`);
  });
});
