import autocannon from 'autocannon';
import type { CityTraffic, TrafficBatch, TrafficDevice } from './city-traffic.js';
import { type Sampler, tapRate } from './sampler.js';
import { signedPost } from './signing.js';
import type { CityScenario, IngestScenario, Scenario } from './scenarios.js';
import type { SystemUnderTest } from './system.js';

// Each scenario of the scenarios file, driven by autocannon from this process against the
// system under test, and what it measured. Every tap request is signed afresh by the
// device that posts it (the replay window refuses repeats).

export interface Device extends TrafficDevice {
  readonly keyId: string;
  readonly secret: Uint8Array;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90?: number;
  readonly p95?: number;
  readonly p99: number;
  readonly max: number;
}

export interface ScenarioFigures {
  readonly name: string;
  readonly kind: Scenario['kind'];
  readonly description: string;
  /** Start and end of the measured part, seconds on the sampler's clock (for the plots). */
  readonly fromS: number;
  readonly toS: number;
  readonly requestsPerS: number;
  readonly latencyMs: Percentiles;
  /** Answers by status, and requests that got none (`errors`: connection errors and timeouts). */
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly tapsAckedPerS?: number;
  readonly tapsSealedPerS?: number;
  readonly entriesSealedPerS?: number;
  /** Taps acknowledged and not yet sealed when the measured part ended. */
  readonly backlogTaps?: number;
  /** Sealed entries the invoice service had not indexed when the measured part ended. */
  readonly indexLagEntries?: number;
  /** Seconds from the end of the measured part until every acknowledged tap was sealed and indexed (undefined: not within the limit). */
  readonly drainedInS?: number;
  /** City scenarios: the rate asked for. */
  readonly offeredTapsPerS?: number;
  /** City scenarios: from a tap's 202 to the first 200 of its invoice for the wallet. */
  readonly invoiceLatencyMs?: Percentiles & { readonly count: number; readonly unavailable: number; readonly statusCounts: Record<string, number> };
  /**
   * The same split at the seal (the invoice's issuedAt is its block's seal time): from the
   * 202 to the seal (ingest, the batcher's read, pairing, the block's seal age and commit),
   * and from the seal to the wallet's 200 (the read copy indexing it, the invoice built).
   */
  readonly invoiceStagesMs?: { readonly ackToSealed: Percentiles; readonly sealedToAvailable: Percentiles };
  readonly audit?: { readonly exports: number; readonly failures: number; readonly entriesPerS: number; readonly mbPerS: number; readonly latencyMs: Percentiles };
}

export interface DriverContext {
  readonly system: SystemUnderTest;
  readonly traffic: CityTraffic;
  readonly gates: readonly Device[];
  readonly validators: readonly Device[];
  /** Wallet token of each wallet account, by passenger number. */
  readonly walletTokens: readonly string[];
  readonly sampler: Sampler;
  /** Invoices the wallets received (city scenarios fill it), for the fetch and audit scenarios. */
  readonly invoices: { number: string; token: string }[];
  /** Called once a second with a line for the progress bar. */
  readonly progress: (scenario: string, elapsedS: number, totalS: number, detail: string) => void;
}

type SetupRequest = (request: Record<string, unknown>, context: Record<string, unknown>) => Record<string, unknown>;
type OnResponse = (status: number, body: string, context: Record<string, unknown>) => void;

/**
 * Runs a scenario; after one that posts taps, waits (up to drainMsMax) until the system has
 * sealed and indexed everything it acknowledged, so the next scenario starts from a
 * settled system and this one's backlog is counted as its own (drainedInS).
 */
export async function runScenario(scenario: Scenario, context: DriverContext, secondsOverride?: number): Promise<ScenarioFigures | undefined> {
  const timed = secondsOverride === undefined ? scenario : { ...scenario, seconds: secondsOverride, warmupSeconds: Math.min(scenario.warmupSeconds, 1) };
  switch (timed.kind) {
    case 'ingest':
    case 'city': {
      const figures = await runTaps(timed, context);
      const drainedInS = await drain(context, timed.name);
      return drainedInS === undefined ? figures : { ...figures, drainedInS };
    }
    case 'invoice-fetch':
      return runGets(timed, context, walletFetches(context));
    case 'audit':
      return runGets(timed, context, await auditQueries(context));
  }
}

const drainMsMax = 120_000;

/** Seconds until every acknowledged tap is sealed and indexed (sealed count still for a second), or undefined after drainMsMax. */
async function drain(context: DriverContext, scenario: string): Promise<number | undefined> {
  const startedMs = Date.now();
  context.sampler.scenario = `${scenario} (draining)`;
  let lastSealed = -1;
  let stillSinceMs = Date.now();
  try {
    while (Date.now() - startedMs < drainMsMax) {
      const counters = await context.sampler.counters().catch(() => undefined);
      if (counters === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      if (counters.tapsSealedTotal !== lastSealed) {
        lastSealed = counters.tapsSealedTotal;
        stillSinceMs = Date.now();
      }
      const sealedAll = counters.tapsSealedTotal >= counters.tapsAcceptedTotal || Date.now() - stillSinceMs >= 1000;
      if (sealedAll && counters.indexLagEntries === 0) return (Date.now() - startedMs) / 1000;
      context.progress(`${scenario}: draining`, (Date.now() - startedMs) / 1000, drainMsMax / 1000,
        `unsealed ${Math.max(0, counters.tapsAcceptedTotal - counters.tapsSealedTotal).toLocaleString('en-US')} taps, not indexed ${counters.indexLagEntries.toLocaleString('en-US')} entries`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return undefined;
  } finally {
    context.sampler.scenario = '';
  }
}

/** Ingest scenarios (as fast as the connections go) and city ones (at a fixed rate, with wallets and an auditor). */
async function runTaps(scenario: IngestScenario | CityScenario, context: DriverContext): Promise<ScenarioFigures> {
  const city = scenario.kind === 'city' ? new CityWatchers(scenario, context) : undefined;
  context.traffic.walletShare = scenario.kind === 'city' ? scenario.walletShare : 0;
  const setupRequest: SetupRequest = (request, connection) => {
    const device = pickDevice(context, scenario.busShare);
    const batch = context.traffic.batch(device, scenario.tapsPerRequest, Date.now());
    connection.batch = batch;
    return signedTaps(request, device, batch);
  };
  const onResponse: OnResponse = (status, _body, connection) => {
    if (status === 202 && city !== undefined) city.acknowledged(connection.batch as TrafficBatch);
  };
  const options: autocannon.Options = {
    url: context.system.ingestUrl, connections: scenario.connections, method: 'POST',
    requests: [{ method: 'POST', path: '/v1/taps', setupRequest: setupRequest as never, ...(city === undefined ? {} : { onResponse: onResponse as never }) }],
    ...(scenario.kind === 'city' ? { overallRate: Math.max(1, Math.round(scenario.tapsPerS / scenario.tapsPerRequest)) } : {}),
  };
  city?.startAuditor();
  return measured(scenario, context, options, city);
}

/** Watches the invoices of wallet taps and runs the auditor's exports during a city scenario. */
class CityWatchers {
  readonly #scenario: CityScenario;
  readonly #context: DriverContext;
  #measuring = false;
  #stopped = false;
  readonly #latenciesMs: number[] = [];
  readonly #ackToSealedMs: number[] = [];
  readonly #sealedToAvailableMs: number[] = [];
  readonly #statusCounts: Record<string, number> = {};
  #unavailable = 0;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #exports: { ms: number; entries: number; bytes: number }[] = [];
  #auditor: Promise<void> | undefined;
  #exportFailures = 0;

  constructor(scenario: CityScenario, context: DriverContext) {
    this.#scenario = scenario;
    this.#context = context;
  }

  measure(on: boolean): void {
    this.#measuring = on;
  }

  acknowledged(batch: TrafficBatch): void {
    if (this.#stopped) return;
    const ackAtMs = performance.now();
    const ackAtWallMs = Date.now();
    for (const tap of batch.walletTaps) {
      const work = this.#watch(tap.tapId, this.#context.walletTokens[passengerOf(tap.account)]!, ackAtMs, ackAtWallMs, this.#measuring);
      this.#inFlight.add(work);
      void work.finally(() => this.#inFlight.delete(work));
    }
  }

  /** Polls the wallet door until the tap's invoice answers 200, for up to 30 s after the 202. */
  async #watch(tapId: string, token: string, ackAtMs: number, ackAtWallMs: number, counted: boolean): Promise<void> {
    const deadlineMs = ackAtMs + 30_000;
    while (performance.now() < deadlineMs) {
      const response = await fetch(`${this.#context.system.invoicesUrl}/v1/taps/${tapId}/invoice?waitMs=10000`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      const status = response === undefined ? 'network' : String(response.status);
      if (counted) this.#statusCounts[status] = (this.#statusCounts[status] ?? 0) + 1;
      if (response?.status === 200) {
        const latencyMs = performance.now() - ackAtMs;
        const answeredAtWallMs = Date.now();
        const { number, issuedAt } = (await response.json()) as { number: string; issuedAt: string };
        if (counted) {
          this.#latenciesMs.push(latencyMs);
          const sealedAtMs = Date.parse(issuedAt);
          this.#ackToSealedMs.push(sealedAtMs - ackAtWallMs);
          this.#sealedToAvailableMs.push(answeredAtWallMs - sealedAtMs);
        }
        if (this.#context.invoices.length < 200_000) this.#context.invoices.push({ number, token });
        return;
      }
      await response?.arrayBuffer().catch(() => undefined);
      if (response !== undefined && response.status !== 404) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (counted) this.#unavailable += 1;
  }

  startAuditor(): void {
    this.#auditor = this.#audit();
  }

  async #audit(): Promise<void> {
    for (let round = 0; !this.#stopped; round++) {
      await this.#exportOnce(round).catch(() => {
        if (this.#measuring) this.#exportFailures += 1;
      });
      await sleepUnless(() => this.#stopped, this.#scenario.auditExportPauseSeconds * 1000);
    }
  }

  /** The latest auditExportEntries of one chain (round-robin), read to the end. */
  async #exportOnce(round: number): Promise<void> {
    const { invoicesUrl, auditorToken } = this.#context.system;
    const { chains } = (await (await fetch(`${invoicesUrl}/v1/chains`)).json()) as { chains: { chain: number; treeSize: number }[] };
    const sized = chains.filter((chain) => chain.treeSize > 0);
    if (sized.length === 0) return;
    const { chain, treeSize } = sized[round % sized.length]!;
    const from = Math.max(0, treeSize - this.#scenario.auditExportEntries);
    const startedMs = performance.now();
    const response = await fetch(`${invoicesUrl}/v1/audit/chains/${chain}/export?from=${from}&to=${treeSize}`, { headers: { authorization: `Bearer ${auditorToken}` } });
    const bytes = (await response.arrayBuffer()).byteLength;
    if (response.status !== 200) throw new Error(`audit export of chain ${chain} answered ${response.status}`);
    if (this.#measuring) this.#exports.push({ ms: performance.now() - startedMs, entries: treeSize - from, bytes });
  }

  /** Stops new watches, waits for those in flight (each ends by its 30 s deadline) and the auditor's export. */
  async finish(): Promise<Pick<ScenarioFigures, 'invoiceLatencyMs' | 'invoiceStagesMs' | 'audit'>> {
    this.#stopped = true;
    await Promise.all([...this.#inFlight, this.#auditor]);
    const exportMs = this.#exports.reduce((sum, e) => sum + e.ms, 0);
    return {
      invoiceLatencyMs: { count: this.#latenciesMs.length, unavailable: this.#unavailable, statusCounts: this.#statusCounts, ...percentiles(this.#latenciesMs) },
      invoiceStagesMs: { ackToSealed: percentiles(this.#ackToSealedMs), sealedToAvailable: percentiles(this.#sealedToAvailableMs) },
      audit: {
        exports: this.#exports.length,
        failures: this.#exportFailures,
        entriesPerS: exportMs === 0 ? 0 : this.#exports.reduce((sum, e) => sum + e.entries, 0) / (exportMs / 1000),
        mbPerS: exportMs === 0 ? 0 : this.#exports.reduce((sum, e) => sum + e.bytes, 0) / 1e6 / (exportMs / 1000),
        latencyMs: percentiles(this.#exports.map((e) => e.ms)),
      },
    };
  }
}

/** Runs the warm-up, then the measured part with the counters read at both ends. */
async function measured(scenario: Scenario, context: DriverContext, options: autocannon.Options, city?: CityWatchers): Promise<ScenarioFigures> {
  const { sampler } = context;
  sampler.scenario = `${scenario.name} (warm-up)`;
  const total = scenario.warmupSeconds + scenario.seconds;
  const ticker = progressTicker(scenario, context, total);
  try {
    if (scenario.warmupSeconds > 0) await autocannon({ ...options, duration: scenario.warmupSeconds });
    sampler.scenario = scenario.name;
    city?.measure(true);
    const before = await sampler.counters();
    const fromS = sampler.elapsedS;
    const result = await autocannon({ ...options, duration: scenario.seconds });
    const after = await sampler.counters();
    const toS = sampler.elapsedS;
    city?.measure(false);
    const seconds = toS - fromS;
    const statusCounts: Record<string, number> = {};
    for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) statusCounts[status] = stats.count ?? 0;
    const taps = scenario.kind === 'ingest' || scenario.kind === 'city';
    const watched: Partial<ScenarioFigures> = city === undefined ? {} : await city.finish();
    return {
      name: scenario.name, kind: scenario.kind, description: scenario.description, fromS, toS,
      requestsPerS: result['2xx'] / result.duration,
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      statusCounts, errors: result.errors + result.timeouts,
      ...(taps ? {
        tapsAckedPerS: (after.tapsAcceptedTotal - before.tapsAcceptedTotal) / seconds,
        tapsSealedPerS: (after.tapsSealedTotal - before.tapsSealedTotal) / seconds,
        entriesSealedPerS: (after.entriesSealedTotal - before.entriesSealedTotal) / seconds,
        backlogTaps: Math.max(0, after.tapsAcceptedTotal - after.tapsSealedTotal),
        indexLagEntries: after.indexLagEntries,
      } : {}),
      ...(scenario.kind === 'city' ? { offeredTapsPerS: scenario.tapsPerS } : {}),
      ...watched,
    };
  } finally {
    clearInterval(ticker);
    sampler.scenario = '';
  }
}

function progressTicker(scenario: Scenario, context: DriverContext, totalS: number): NodeJS.Timeout {
  const startedMs = Date.now();
  let last = context.sampler.latest;
  let detail = '';
  return setInterval(() => {
    const latest = context.sampler.latest;
    // A second without a new sample (a slow /metrics) keeps the last rates shown.
    if (latest !== undefined && last !== undefined && latest !== last && (scenario.kind === 'ingest' || scenario.kind === 'city')) {
      const rate = (key: 'tapsAcceptedTotal' | 'tapsSealedTotal') => Math.round(tapRate(last!, latest, key)).toLocaleString('en-US');
      detail = `acked ${rate('tapsAcceptedTotal')}/s sealed ${rate('tapsSealedTotal')}/s`;
    }
    last = latest;
    context.progress(scenario.name, (Date.now() - startedMs) / 1000, totalS, detail);
  }, 1000);
}

/** GET scenarios: the requests given, in turn, as fast as the connections go. */
async function runGets(scenario: Scenario, context: DriverContext, requests: (() => { path: string; headers?: Record<string, string> }) | undefined): Promise<ScenarioFigures | undefined> {
  if (requests === undefined) return undefined;
  const options = {
    url: context.system.invoicesUrl, connections: scenario.connections,
    requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, method: 'GET', ...requests() }) }],
  } as unknown as autocannon.Options;
  return measured(scenario, context, options);
}

/** The wallets' own invoices, each with its account's token; undefined when no city scenario issued any. */
function walletFetches(context: DriverContext): (() => { path: string; headers: Record<string, string> }) | undefined {
  const { invoices } = context;
  if (invoices.length === 0) return undefined;
  let next = 0;
  return () => {
    const { number, token } = invoices[(next = (next + 7919) % invoices.length)]!;
    return { path: `/v1/invoices/${number}`, headers: { authorization: `Bearer ${token}` } };
  };
}

/** Totals over the last two days, an invoice by number, a chain's checkpoint, a consistency proof: in turn. */
async function auditQueries(context: DriverContext): Promise<() => { path: string; headers: Record<string, string> }> {
  const { invoicesUrl, auditorToken } = context.system;
  const { chains } = (await (await fetch(`${invoicesUrl}/v1/chains`)).json()) as { chains: { chain: number; treeSize: number }[] };
  const cstDay = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
  const headers = { authorization: `Bearer ${auditorToken}` };
  const sized = chains.filter((chain) => chain.treeSize > 1);
  const paths = (i: number): string => {
    const { chain, treeSize } = sized[i % sized.length] ?? { chain: 0, treeSize: 0 };
    switch (i % 4) {
      case 0:
        return `/v1/audit/totals?from=${cstDay(Date.now() - 86_400_000)}&to=${cstDay(Date.now())}`;
      case 1:
        return context.invoices.length > 0 ? `/v1/audit/invoices/${context.invoices[(i * 7919) % context.invoices.length]!.number}` : `/v1/chains/${chain}/checkpoint`;
      case 2:
        return `/v1/chains/${chain}/checkpoint`;
      default:
        return treeSize > 1 ? `/v1/chains/${chain}/proofs/consistency?from=${1 + ((i * 7919) % (treeSize - 1))}&to=${treeSize}` : `/v1/chains/${chain}/checkpoint`;
    }
  };
  let next = 0;
  return () => ({ path: paths(next++), headers });
}

function pickDevice(context: DriverContext, busShare: number): Device {
  const pool = Math.random() < busShare ? context.validators : context.gates;
  return pool[Math.floor(Math.random() * pool.length)]!;
}

function signedTaps(request: Record<string, unknown>, device: Device, batch: TrafficBatch): Record<string, unknown> {
  return signedPost(request, device, '/v1/taps', Buffer.from(JSON.stringify(batch.taps.length === 1 ? batch.taps[0] : { taps: batch.taps })));
}

/** The passenger number of a benchmark account (`wa_<run>_<n>`). */
function passengerOf(account: string): number {
  return Number(account.slice(account.lastIndexOf('_') + 1));
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)! };
}

async function sleepUnless(stopped: () => boolean, ms: number): Promise<void> {
  const endMs = Date.now() + ms;
  while (!stopped() && Date.now() < endMs) await new Promise((resolve) => setTimeout(resolve, Math.min(200, endMs - Date.now())));
}
