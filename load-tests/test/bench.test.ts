import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunFigures } from '../report.js';
import { npmRun } from './npm-run.js';

// `npm run bench` and `npm run load` as a user runs them, in short form (--seconds): each
// starts the system itself, drives it, stops it and writes the report with its plots.
// The figures are not checked against goals here (a unit test is no benchmark); that every
// scenario was driven, answered without errors and reported is.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function outDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-report-'));
  dirs.push(dir);
  return dir;
}

const npm = (args: string[]) => npmRun(args);

function checkReport(dir: string, stdout: string): RunFigures {
  const figures = JSON.parse(readFileSync(path.join(dir, 'figures.json'), 'utf8')) as RunFigures;
  const report = readFileSync(path.join(dir, 'report.md'), 'utf8');
  expect(report).toContain('## Goals');
  expect(report).toContain('## Ceilings of this machine, measured in this run');
  for (const plot of ['throughput.png', 'latency.png', 'rss.png', 'cpu.png']) {
    expect(report).toContain(`](${plot})`);
    expect(readFileSync(path.join(dir, plot)).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  }
  expect(figures.ceilings.echo.requestsPerS).toBeGreaterThan(0);
  expect(figures.ceilings.sha256.leafHashesPerS).toBeGreaterThan(0);
  for (const scenario of figures.scenarios) {
    expect(scenario.requestsPerS, scenario.name).toBeGreaterThan(0);
    expect(scenario.errors, scenario.name).toBe(0);
    expect(Object.keys(scenario.statusCounts).every((status) => status.startsWith('2')), `${scenario.name}: ${JSON.stringify(scenario.statusCounts)}`).toBe(true);
    if (scenario.kind === 'ingest' || scenario.kind === 'city') expect(scenario.tapsSealedPerS, scenario.name).toBeGreaterThan(0);
  }
  expect(figures.samples.length).toBeGreaterThan(2); // a sample a second, some skipped while a /metrics is slow
  expect(stdout).toContain(`report: `);
  return figures;
}

describe('npm run bench and npm run load', () => {
  it('bench: every scenario of scenarios.json on the embedded system, a report with plots', async () => {
    const dir = outDir();
    const { code, stdout, stderr } = await npm(['bench', '--', '--seconds', '2', '--out', dir]);
    expect(code, stderr).toBe(0);
    const figures = checkReport(dir, stdout);
    expect(figures.mode).toBe('embedded');
    expect(figures.scenarios.map((s) => s.name)).toEqual(['single-tap ingest', 'city rush hour', 'wallet invoice fetch', 'audit queries', 'batched ingest']);
    const city = figures.scenarios.find((s) => s.kind === 'city')!;
    expect(city.invoiceLatencyMs!.count).toBeGreaterThan(0);
    expect(city.invoiceLatencyMs!.unavailable).toBe(0);
    expect(Object.keys(figures.samples.at(-1)!.processes).sort()).toEqual(['city', 'load generator']);
  });

  it('bench --kafka: the production topology on the real broker', async () => {
    const dir = outDir();
    const { code, stdout, stderr } = await npm(['bench', '--', '--kafka', '--only', 'single-tap ingest,city rush hour', '--seconds', '2', '--out', dir]);
    expect(code, stderr).toBe(0);
    const figures = checkReport(dir, stdout);
    expect(figures.mode).toBe('kafka');
    const processes = new Set(figures.samples.flatMap((s) => Object.keys(s.processes)));
    for (const name of ['start:kafka', 'ingest', 'batcher-0', 'batcher-1', 'invoice-audit', 'kafka broker', 'load generator']) expect(processes, name).toContain(name);
  });

  it('load: the soak, with resident memory compared after the warm-up', async () => {
    const dir = outDir();
    const { code, stdout, stderr } = await npm(['load', '--', '--seconds', '6', '--out', dir]);
    expect(code, stderr).toBe(0);
    const figures = checkReport(dir, stdout);
    expect(figures.scenarios.map((s) => s.name)).toEqual(['soak']);
    expect(figures.rss!.find((r) => r.process === 'city')!.endMb).toBeGreaterThan(0);
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('## Resident memory over the soak');
  });

  it('refuses bad options and a bad scenarios file with exit 2 and the reason', async () => {
    const bad = path.join(outDir(), 'scenarios.json');
    writeFileSync(bad, JSON.stringify({ bench: [] }));
    const cases: [string[], RegExp][] = [
      [['bench', '--', '--minutes', '3'], /--minutes is for npm run load/],
      [['load', '--', '--minutes', '0'], /--minutes must be/],
      [['bench', '--', '--only', 'no such'], /no bench scenario "no such"/],
      [['bench', '--', '--seconds', '1.5'], /--seconds must be a positive integer/],
      [['bench', '--', '--scenarios', bad], /scenarios\.json: /],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await npm(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
  });
});
