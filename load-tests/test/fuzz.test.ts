import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { npmRun } from './npm-run.js';

// `npm run fuzz` as a user runs it, at CI size: it makes its Python virtual environment when
// there is none (pip, from PyPI), starts the Kafka topology on the broker of this project's
// global setup, fuzzes ingest and invoice-audit in every credential mode and stops it all.
// Zero failures is the assertion: a 5xx or an answer that breaks the API document fails it.

const casesWanted = 500;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Summary {
  casesWanted: number;
  taps: { acked: number; refused: number; failed: number };
  runs: { service: string; mode: string; operations: number; cases: number; failuresByCheck: Record<string, number>; errors: unknown[]; credentialsRefused: string[] }[];
}

const npm = (args: string[], timeoutMs: number) => npmRun(args, timeoutMs, { KAFKA_BROKERS: inject('kafkaBrokers') });

describe('npm run fuzz', () => {
  it(`fuzzes both services in every credential mode, about ${casesWanted} cases, without a failure`, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'fuzz-report-'));
    dirs.push(out);
    const { code, stdout, stderr } = await npm(['fuzz', '--', '--cases', String(casesWanted), '--out', out], 420_000);
    expect(code, `${stdout.slice(-6000)}\n${stderr.slice(-3000)}`).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.runs.map((r) => `${r.service} ${r.mode}`)).toEqual([
      'ingest none', 'ingest device', 'ingest admin', 'invoice-audit none', 'invoice-audit wallet', 'invoice-audit auditor', 'invoice-audit admin',
    ]);
    for (const r of summary.runs) expect([r.failuresByCheck, r.errors, r.credentialsRefused], `${r.service} ${r.mode}`).toEqual([{}, [], []]);
    const cases = summary.runs.reduce((sum, r) => sum + r.cases, 0);
    // Each run gets the cases left spread over the operations left; an operation whose inputs run out leaves some unused.
    expect(cases).toBeGreaterThanOrEqual(casesWanted * 0.8);
    expect(cases).toBeLessThanOrEqual(casesWanted * 1.2);
    expect(summary.taps.acked).toBeGreaterThan(0);
    expect([summary.taps.refused, summary.taps.failed]).toEqual([0, 0]);
    expect(stdout).toMatch(/^\| service +\| credentials \| operations \| cases \| errors \| credentials refused \| not_a_server_error \| status_code_conformance \|/m);
  }, 450_000);

  it('refuses bad options with exit 2 and the reason, before it starts anything', async () => {
    for (const [args, message] of [[['--cases', '0'], /--cases must be a positive integer/], [['--seed', 'x'], /--seed must be/], [['--nope'], /Unknown option '--nope'/]] as const) {
      const { code, stderr } = await npm(['fuzz', '--', ...args], 60_000);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
  });
});
