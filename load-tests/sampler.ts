import { readdirSync, readFileSync } from 'node:fs';
import { clockTicksPerS, cpuTicks } from './processes.js';

// Once a second while the benchmark runs: CPU and RSS of every process of the system
// under test (the one started and its descendants; the Kafka broker, wherever it was
// started) and of the load generator itself, from /proc; and the tap counters of the
// services' /metrics (taps acknowledged by ingest, taps and entries sealed by the
// batchers, entries the invoice service has yet to index), summed over the processes that
// expose them.

export interface Sample {
  /** Seconds since the sampler started. */
  readonly tS: number;
  /** The scenario running when the sample was taken ('' between). */
  readonly scenario: string;
  readonly tapsAcceptedTotal: number;
  readonly tapsSealedTotal: number;
  readonly entriesSealedTotal: number;
  /** Sealed entries the invoice service's read copy has not indexed yet (its wallets wait for them). */
  readonly indexLagEntries: number;
  /**
   * Per process label: CPU over the last interval (100 = one core), of all its threads and
   * of its main thread alone (the event loop: a process whose main thread is at 100 % is
   * bound by it, however idle the other core), and resident memory.
   */
  readonly processes: Record<string, { cpuPercent: number; mainThreadCpuPercent: number; rssMb: number }>;
}

const commandLineLabels: readonly [RegExp, string][] = [
  [/services\/city\/src\/kafka-topology\.ts/, 'start:kafka'],
  [/services\/city\/src\/main\.ts/, 'city'],
  [/services\/ingest\/src\/main\.ts/, 'ingest'],
  [/services\/batcher\/src\/main\.ts/, 'batcher'],
  [/services\/invoice-audit\/src\/main\.ts/, 'invoice-audit'],
  [/kafka\.Kafka/, 'kafka broker'],
];

interface Tracked {
  readonly pid: number;
  readonly label: string;
  lastTicks: number;
  lastMainTicks: number;
}

export class Sampler {
  readonly samples: Sample[] = [];
  scenario = '';
  readonly #rootPid: number;
  readonly #metricsUrls: readonly string[];
  readonly #invoiceMetricsUrl: string;
  readonly #tracked = new Map<number, Tracked>();
  #startedAtMs = 0;
  #lastProcAtMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  readonly #withBroker: boolean;

  /** `withBroker`: also the Kafka broker's process, found by its command line (it is no descendant when it ran before). */
  constructor(options: { rootPid: number; metricsUrls: readonly string[]; invoiceMetricsUrl: string; withBroker: boolean }) {
    this.#rootPid = options.rootPid;
    this.#metricsUrls = options.metricsUrls;
    this.#invoiceMetricsUrl = options.invoiceMetricsUrl;
    this.#withBroker = options.withBroker;
  }

  start(): void {
    this.#startedAtMs = this.#lastProcAtMs = Date.now();
    this.#discover();
    this.#timer = setInterval(() => void this.#sample(), 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Seconds since start, on the samples' clock. */
  get elapsedS(): number {
    return (Date.now() - this.#startedAtMs) / 1000;
  }

  /** The latest sample, or undefined before the first. */
  get latest(): Sample | undefined {
    return this.samples.at(-1);
  }

  async #sample(): Promise<void> {
    if (this.#busy) return; // a slow /metrics under load: skip a tick rather than pile up
    this.#busy = true;
    try {
      // The time the counters were asked for: a /metrics slow to answer under load still counts at the second it was read.
      const nowMs = Date.now();
      const counters = await this.counters().catch(() => undefined);
      if (counters === undefined) return; // a missed reading; the next one covers the interval
      this.#discover();
      // CPU over the interval between the /proc readings themselves.
      const procAtMs = Date.now();
      const intervalS = Math.max(0.001, (procAtMs - this.#lastProcAtMs) / 1000);
      this.#lastProcAtMs = procAtMs;
      const processes: Sample['processes'] = {};
      for (const tracked of this.#tracked.values()) {
        const stat = readStat(tracked.pid);
        if (stat === undefined) continue;
        const percent = (ticks: number) => Math.max(0, (ticks / clockTicksPerS / intervalS) * 100);
        processes[tracked.label] = { cpuPercent: percent(stat.ticks - tracked.lastTicks), mainThreadCpuPercent: percent(stat.mainTicks - tracked.lastMainTicks), rssMb: stat.rssMb };
        tracked.lastTicks = stat.ticks;
        tracked.lastMainTicks = stat.mainTicks;
      }
      this.samples.push({ tS: (nowMs - this.#startedAtMs) / 1000, scenario: this.scenario, ...counters, processes });
    } finally {
      this.#busy = false;
    }
  }

  /** The tap counters now, summed over the services' /metrics. */
  async counters(): Promise<Pick<Sample, 'tapsAcceptedTotal' | 'tapsSealedTotal' | 'entriesSealedTotal' | 'indexLagEntries'>> {
    const totals = { tapsAcceptedTotal: 0, tapsSealedTotal: 0, entriesSealedTotal: 0, indexLagEntries: 0 };
    // A /metrics that does not answer fails the whole reading: zeros would read as "all sealed".
    const texts = await Promise.all([...this.#metricsUrls, this.#invoiceMetricsUrl].filter((url, i, all) => all.indexOf(url) === i).map(async (url) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    }));
    for (const text of texts) {
      totals.tapsAcceptedTotal += counterSum(text, 'ingest_taps_accepted_total');
      totals.tapsSealedTotal += counterSum(text, 'batcher_taps_sealed_total');
      totals.entriesSealedTotal += counterSum(text, 'batcher_entries_sealed_total');
      totals.indexLagEntries += counterSum(text, 'invoice_index_lag_entries');
    }
    return totals;
  }

  /** Adds the processes that appeared since: descendants of the root, the broker (on Kafka), this generator. */
  #discover(): void {
    const found = [...descendants(this.#rootPid), ...(this.#withBroker ? brokerPids() : [])];
    this.#track(process.pid, 'load generator');
    for (const pid of found) {
      const label = labelOf(pid);
      if (label !== undefined) this.#track(pid, label);
    }
  }

  #track(pid: number, label: string): void {
    if (this.#tracked.has(pid)) return;
    const sameLabel = [...this.#tracked.values()].filter((tracked) => tracked.label === label || tracked.label.startsWith(`${label}-`)).length;
    const unique = label === 'batcher' ? `batcher-${sameLabel}` : sameLabel === 0 ? label : `${label}-${sameLabel}`;
    const stat = readStat(pid);
    this.#tracked.set(pid, { pid, label: unique, lastTicks: stat?.ticks ?? 0, lastMainTicks: stat?.mainTicks ?? 0 });
  }
}

/** Every process label the samples name, in the order they first appear. */
export function processLabels(samples: readonly Sample[]): string[] {
  return [...new Set(samples.flatMap((s) => Object.keys(s.processes)))];
}

/** Taps a second between two samples, of one of the tap counters. */
export function tapRate(from: Sample, to: Sample, counter: 'tapsAcceptedTotal' | 'tapsSealedTotal'): number {
  return (to[counter] - from[counter]) / (to.tS - from.tS);
}

/** The sum of every series of a counter or gauge in a Prometheus text exposition. */
export function counterSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

function readStat(pid: number): { ticks: number; mainTicks: number; rssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { ticks: cpuTicks(`/proc/${pid}/stat`), mainTicks: cpuTicks(`/proc/${pid}/task/${pid}/stat`), rssMb: rssKb / 1024 };
  } catch {
    return undefined; // exited between the listing and the read
  }
}

function descendants(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const listed = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (listed !== '') children.push(...listed.split(' ').map(Number));
    }
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(descendants)];
}

function brokerPids(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => labelOf(pid) === 'kafka broker');
}

function labelOf(pid: number): string | undefined {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
  return commandLineLabels.find(([pattern]) => pattern.test(cmdline))?.[1];
}
