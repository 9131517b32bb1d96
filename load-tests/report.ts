import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Ceilings } from './ceilings.js';
import type { Percentiles, ScenarioFigures } from './drivers.js';
import { type Plot, writePlots } from './plots.js';
import { processLabels, type Sample } from './sampler.js';

// The benchmark's report: load-tests/reports/<timestamp>/ with report.md (goals, ceilings,
// every scenario's figures with their ratio to the ceilings, what each process used, and
// what bounded a goal not met), figures.json (everything measured, every sample) and the
// PNG plots.

export interface RunFigures {
  readonly command: string;
  readonly mode: 'embedded' | 'kafka';
  readonly startedAt: string;
  readonly machine: Record<string, string | number>;
  readonly ceilings: Ceilings;
  readonly scenarios: readonly ScenarioFigures[];
  readonly samples: readonly Sample[];
  /** Soak only: resident memory per process at the end of the warm-up and at the end. */
  readonly rss?: readonly RssGrowth[];
}

export interface RssGrowth {
  readonly process: string;
  readonly afterWarmupMb: number;
  readonly endMb: number;
  readonly peakMb: number;
  readonly growth: number;
}

export interface Goal {
  readonly figure: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | undefined;
  /** What bounded it, when not met. */
  readonly bound?: string;
}

export function machineFacts(): Record<string, string | number> {
  const cpus = os.cpus();
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version, commit: git(['rev-parse', '--short', 'HEAD']),
  };
}

/** RSS per system process: the mean of the 30 s after the warm-up against the mean of the last 30 s. */
export function rssGrowth(samples: readonly Sample[], warmupEndS: number): RssGrowth[] {
  const labels = processLabels(samples);
  const endS = samples.at(-1)?.tS ?? 0;
  const meanOf = (label: string, fromS: number, toS: number) => {
    const values = samples.filter((s) => s.tS >= fromS && s.tS <= toS && s.processes[label] !== undefined).map((s) => s.processes[label]!.rssMb);
    return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  };
  return labels.map((label) => {
    const afterWarmupMb = meanOf(label, warmupEndS, warmupEndS + 30);
    const endMb = meanOf(label, endS - 30, endS);
    const peakMb = Math.max(0, ...samples.filter((s) => s.tS >= warmupEndS).map((s) => s.processes[label]?.rssMb ?? 0));
    return { process: label, afterWarmupMb, endMb, peakMb, growth: afterWarmupMb === 0 ? 0 : (endMb - afterWarmupMb) / afterWarmupMb };
  });
}

/** Mean CPU of each process over a scenario's measured part (% of one core): all its threads, and its main thread. */
export function cpuDuring(samples: readonly Sample[], scenario: ScenarioFigures): Record<string, { all: number; main: number }> {
  const within = samples.filter((s) => s.tS > scenario.fromS && s.tS <= scenario.toS);
  const means: Record<string, { all: number; main: number }> = {};
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  for (const label of processLabels(within)) {
    means[label] = { all: mean(within.map((s) => s.processes[label]?.cpuPercent ?? 0)), main: mean(within.map((s) => s.processes[label]?.mainThreadCpuPercent ?? 0)) };
  }
  return means;
}

/**
 * What bounded a scenario, read off what the processes used while it ran: the machine's
 * cores all busy, or one process's main thread (its event loop) at a full core, or neither;
 * and whether sealing kept up with acknowledging.
 */
export function boundOf(samples: readonly Sample[], scenario: ScenarioFigures, cores: number): string {
  const cpu = Object.entries(cpuDuring(samples, scenario)).sort((a, b) => b[1].all - a[1].all);
  const total = cpu.reduce((sum, [, value]) => sum + value.all, 0);
  const shares = cpu.filter(([, value]) => value.all >= 5).map(([label, value]) => `${label} ${Math.round(value.all)} % (main thread ${Math.round(value.main)} %)`).join(', ');
  const saturatedLoop = cpu.find(([, value]) => value.main >= 90);
  const what = total >= cores * 100 * 0.85
    ? `CPU: the ${cores} cores were busy`
    : saturatedLoop !== undefined ? `the main thread of ${saturatedLoop[0]} at a full core` : 'neither the cores nor one event loop';
  const backlog = (scenario.backlogTaps ?? 0) > 0 && (scenario.tapsSealedPerS ?? 0) < (scenario.tapsAckedPerS ?? 0) * 0.95 ? `; sealing fell behind acknowledging (${(scenario.backlogTaps ?? 0).toLocaleString('en-US')} taps waiting at the end)` : '';
  return `${what} (${Math.round(total)} % of ${cores * 100} % in all: ${shares})${backlog}`;
}

export function goalsOf(run: RunFigures, cores: number): Goal[] {
  const goals: Goal[] = [];
  // The sustained-sealing goal is read off the longest ingest scenario (batched ingest, 60 s, as shipped).
  const batched = run.scenarios.filter((s) => s.kind === 'ingest').sort((a, b) => b.toS - b.fromS - (a.toS - a.fromS))[0];
  if (batched !== undefined) {
    const target = run.mode === 'embedded' ? 40_000 : 20_000;
    const sustained = batched.toS - batched.fromS >= 59;
    const sealed = batched.tapsSealedPerS ?? 0;
    const met = sustained ? sealed >= target : undefined;
    goals.push({
      figure: `taps sealed/s, ${run.mode === 'embedded' ? 'embedded' : 'real Kafka'}, sustained 60 s`, goal: `≥ ${target.toLocaleString('en-US')}`,
      measured: `${fmt(sealed)}/s over ${Math.round(batched.toS - batched.fromS)} s (${ratio(batched.entriesSealedPerS ?? 0, run.ceilings.sha256.leafHashesPerS)} of the SHA-256 limit in entries); ${fmt(batched.backlogTaps ?? 0)} taps unsealed and ${fmt(batched.indexLagEntries ?? 0)} entries not yet indexed for invoices at the end`,
      met, ...(met === false ? { bound: boundOf(run.samples, batched, cores) } : {}),
    });
  }
  for (const city of run.scenarios.filter((s) => s.invoiceLatencyMs !== undefined)) {
    const latency = city.invoiceLatencyMs!;
    const heldRate = (city.tapsAckedPerS ?? 0) >= (city.offeredTapsPerS ?? 0) * 0.95;
    const met = latency.count > 0 && latency.p99 <= 1000 && latency.unavailable === 0 && heldRate;
    goals.push({
      figure: `tap-out → invoice p99 at ${fmt(city.offeredTapsPerS ?? 0)} taps/s (${city.name})`, goal: '≤ 1 s',
      measured: `p99 ${fmt(latency.p99)} ms (p50 ${fmt(latency.p50)}, max ${fmt(latency.max)}) over ${fmt(latency.count)} invoices, ${latency.unavailable} not available in 30 s; ${fmt(city.tapsAckedPerS ?? 0)} taps/s acknowledged`,
      met, ...(met ? {} : { bound: boundOf(run.samples, city, cores) }),
    });
  }
  const fetches = run.scenarios.find((s) => s.kind === 'invoice-fetch');
  if (fetches !== undefined) {
    const met = fetches.requestsPerS >= 15_000 && fetches.latencyMs.p99 <= 20;
    goals.push({
      figure: 'invoice fetch', goal: '≥ 15,000/s, p99 ≤ 20 ms',
      measured: `${fmt(fetches.requestsPerS)}/s, p99 ${fetches.latencyMs.p99} ms (${ratio(fetches.requestsPerS, run.ceilings.echo.requestsPerS)} of echo)`,
      met, ...(met ? {} : { bound: boundOf(run.samples, fetches, cores) }),
    });
  }
  if (run.rss !== undefined) {
    const system = run.rss.filter((r) => r.process !== 'load generator');
    const worst = system.reduce<RssGrowth | undefined>((w, r) => (w === undefined || r.growth > w.growth ? r : w), undefined);
    goals.push({
      figure: `RSS over a ${Math.round(((run.scenarios[0]?.toS ?? 0) - (run.scenarios[0]?.fromS ?? 0)) / 60)}-minute soak, after its warm-up`, goal: 'flat after warm-up (≤ 10 % growth)',
      measured: worst === undefined ? 'no samples' : `largest growth ${pct(worst.growth)} (${worst.process}: ${worst.afterWarmupMb.toFixed(0)} → ${worst.endMb.toFixed(0)} MB)`,
      met: worst !== undefined && worst.growth <= 0.1,
    });
  }
  return goals;
}

export function writeReport(dir: string, run: RunFigures): { reportPath: string; plots: Plot[]; goals: Goal[] } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'figures.json'), `${JSON.stringify(run, null, 1)}\n`);
  const plots = writePlots(dir, run.samples, run.scenarios);
  const cores = Number(run.machine.cores);
  const goals = goalsOf(run, cores);
  const { echo, sha256 } = run.ceilings;
  const lines: string[] = [
    `# Fareledger load benchmark, ${run.startedAt}`,
    '',
    `\`${run.command}\` — the system ${run.mode === 'embedded' ? 'embedded (`npm start`: one process, the embedded tap log)' : 'on real Kafka (`npm run start:kafka`: the broker, ingest, batchers and invoice-audit as processes)'}, driven by autocannon from the benchmark's own process on the same machine.`,
    '',
    `Machine: ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memoryGiB} GiB, Linux ${run.machine.kernel}, Node.js ${run.machine.node}; commit ${run.machine.commit}.`,
    '',
    '## Goals',
    '',
    '| figure | goal | measured | verdict |',
    '| --- | --- | --- | --- |',
    ...goals.map((g) => `| ${g.figure} | ${g.goal} | ${g.measured} | ${g.met === undefined ? 'not measured (run shorter than the goal asks)' : g.met ? 'met' : '**not met**'} |`),
    '',
    ...goals.filter((g) => g.bound !== undefined).flatMap((g) => [`- ${g.figure}: bounded by ${g.bound}.`]),
    '',
    '## Ceilings of this machine, measured in this run',
    '',
    `- HTTP: hono echo of a signed single tap, ${fmt(echo.requestsPerS)} req/s (p50 ${echo.p50Ms} ms, p99 ${echo.p99Ms} ms).`,
    `- SHA-256: ${fmt(sha256.leafHashesPerS)} leaf hashes/s on one core (${sha256.leafBytes}-byte leaves, the native batch hasher the ledger uses); node:crypto one call a leaf ${fmt(sha256.nodeCryptoLeafHashesPerS)}/s.`,
    '',
    '## Scenarios',
    '',
    '`× echo`: taps acknowledged a second (tap scenarios) or requests a second (the others) over the echo\'s requests a second; `× SHA-256`: entries sealed a second over the leaf hashes a second of one core.',
    '',
    '`drained in`: after the measured part, until every acknowledged tap was sealed and indexed for invoices (the next scenario starts then).',
    '',
    '| scenario | req/s | taps acked/s | taps sealed/s | × echo | × SHA-256 | p50 ms | p99 ms | max ms | answers | no answer | drained in |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    ...run.scenarios.map((s) => `| ${s.name} | ${fmt(s.requestsPerS)} | ${opt(s.tapsAckedPerS)} | ${opt(s.tapsSealedPerS)} | ${ratio(s.tapsAckedPerS ?? s.requestsPerS, echo.requestsPerS)} | ${s.entriesSealedPerS === undefined ? '' : ratio(s.entriesSealedPerS, sha256.leafHashesPerS)} | ${s.latencyMs.p50} | ${s.latencyMs.p99} | ${s.latencyMs.max} | ${statuses(s.statusCounts)} | ${s.errors} | ${s.tapsAckedPerS === undefined ? '' : s.drainedInS === undefined ? 'not in 120 s' : `${s.drainedInS.toFixed(1)} s`} |`),
    '',
    ...run.scenarios.flatMap((s) => [`- **${s.name}**: ${s.description}`]),
    '',
  ];
  const cities = run.scenarios.filter((s) => s.invoiceLatencyMs !== undefined);
  if (cities.length > 0) {
    lines.push(
      '## Tap-out → invoice available',
      '',
      'From a tap\'s 202 at the device to the first 200 of `GET /v1/taps/{tapId}/invoice?waitMs=10000` with the passenger\'s wallet token (the wallet long-polls: it answers as soon as the trip is sealed and indexed).',
      '',
      'Split at the seal (an invoice\'s `issuedAt` is its block\'s seal time): 202 → sealed (the batcher reading, pairing, the block\'s seal age of 250 ms), sealed → invoice (the block\'s commit, the read copy indexing it, the invoice built and answered).',
      '',
      '| scenario | offered taps/s | acked taps/s | invoices | p50 ms | p95 ms | p99 ms | max ms | 202 → sealed p50 / p99 | sealed → invoice p50 / p99 | not in 30 s | wallet answers | audit exports (failed) | export entries/s | export p99 ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
      ...cities.map((s) => {
        const l = s.invoiceLatencyMs!;
        const stages = s.invoiceStagesMs;
        const split = (p: Percentiles | undefined) => (p === undefined ? '' : `${fmt(p.p50)} / ${fmt(p.p99)}`);
        return `| ${s.name} | ${opt(s.offeredTapsPerS)} | ${opt(s.tapsAckedPerS)} | ${fmt(l.count)} | ${fmt(l.p50)} | ${fmt(l.p95 ?? 0)} | ${fmt(l.p99)} | ${fmt(l.max)} | ${split(stages?.ackToSealed)} | ${split(stages?.sealedToAvailable)} | ${l.unavailable} | ${statuses(l.statusCounts)} | ${s.audit?.exports ?? 0} (${s.audit?.failures ?? 0}) | ${fmt(s.audit?.entriesPerS ?? 0)} | ${fmt(s.audit?.latencyMs.p99 ?? 0)} |`;
      }),
      '',
    );
  }
  const labels = processLabels(run.samples);
  lines.push(
    '## Processes',
    '',
    `Mean CPU (% of one core: all threads / the main thread) during each scenario's measured part, and resident memory over the run.`,
    '',
    `| process | ${run.scenarios.map((s) => s.name).join(' | ')} | RSS start MB | RSS peak MB | RSS end MB |`,
    `| --- | ${run.scenarios.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...labels.map((label) => {
      const rss = run.samples.map((s) => s.processes[label]?.rssMb).filter((v): v is number => v !== undefined);
      const cpu = (s: ScenarioFigures) => cpuDuring(run.samples, s)[label] ?? { all: 0, main: 0 };
      return `| ${label} | ${run.scenarios.map((s) => `${Math.round(cpu(s).all)} / ${Math.round(cpu(s).main)}`).join(' | ')} | ${(rss[0] ?? 0).toFixed(0)} | ${Math.max(0, ...rss).toFixed(0)} | ${(rss.at(-1) ?? 0).toFixed(0)} |`;
    }),
    '',
  );
  if (run.rss !== undefined) {
    lines.push(
      '## Resident memory over the soak',
      '',
      '| process | after warm-up MB | end MB | peak MB | growth |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...run.rss.map((r) => `| ${r.process} | ${r.afterWarmupMb.toFixed(0)} | ${r.endMb.toFixed(0)} | ${r.peakMb.toFixed(0)} | ${pct(r.growth)} |`),
      '',
    );
  }
  lines.push('## Plots', '', ...plots.flatMap((plot) => [`![${plot.title}](${plot.file})`, '']), 'Raw figures and every sample: `figures.json`.', '');
  const reportPath = path.join(dir, 'report.md');
  writeFileSync(reportPath, lines.join('\n'));
  return { reportPath, plots, goals };
}

export function fmt(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(value >= 10 ? 1 : 2);
}

function opt(value: number | undefined): string {
  return value === undefined ? '' : fmt(value);
}

/** Two significant digits: a sealing ratio is a few thousandths. */
function ratio(value: number, ceiling: number): string {
  return ceiling > 0 && value > 0 ? String(Number((value / ceiling).toPrecision(2))) : '';
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function statuses(counts: Record<string, number>): string {
  return Object.entries(counts).map(([status, count]) => `${status}: ${count.toLocaleString('en-US')}`).join(', ');
}
