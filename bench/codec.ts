// Ledger entry codec micro-benchmark: µs per op of decodeEntry and encodeEntry on entries
// built as the batcher builds them: city taps parsed by ingest's schema (toTap), and the
// trips a TripBuilder pairs and prices from them with the shipped Shenzhen tables.
//
//   npm run bench:codec [-- --taps 200000] [--ops 200000] [--runs 3]
//
// Goals on this 2-core machine (the batcher seals 80,000 taps/s in all): decode tap
// ≤ 2.5 µs, encode tap ≤ 1.5 µs, encode trip ≤ 2 µs (means, warm).
//
// Each figure is the best of --runs runs of --ops ops that go through the entries in turn
// (200,000 taps, about 120,000 trips: tens of MB, so most objects an op reads are out of
// the CPU caches), after one untimed pass over all of them; in wall time, and in this
// thread's CPU time (Linux), which leaves out the time other processes took the core on a
// busy machine (and the GC's helper threads).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeEntry, encodeEntry } from '@fareledger/codecs';
import { type Entry, tapEntry, tripEntry } from '@fareledger/domain';
import { loadSzmFareTables, loadSzmNetwork } from '@fareledger/domain/node-data';
import { TripBuilder } from '@fareledger/domain/pairing';
import { tapInputSchema, toTap } from '@fareledger/domain/tap-schema';
import { cityTaps } from '../services/batcher/test/city-taps.js';

const usage = 'usage: npx tsx bench/codec.ts [--taps 200000] [--ops 200000] [--runs 3]';
const { values: args } = parseArgs({
  options: {
    taps: { type: 'string', default: '200000' },
    ops: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(usage);
  process.exit(0);
}
function intArg(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`bench/codec: --${name} must be an integer of at least ${min}, got '${raw}'\n${usage}`);
    process.exit(2);
  }
  return value;
}
const tapCount = intArg('taps', args.taps, 1000);
const opsPerRun = intArg('ops', args.ops, 1000);
const runCount = intArg('runs', args.runs, 1);

// A fixed clock, so every run measures the same entries (2026-03-02 10:00 +08:00: the
// 2026.1 fare table is in force).
const endMs = Date.parse('2026-03-02T10:00:00+08:00');
const devices = { gate: 'szm-l1-g042', bus: 'bv-0457', taxi: 'tx-pos-88' };

function buildEntries(): { taps: Entry[]; trips: Entry[] } {
  const builder = new TripBuilder({ tables: loadSzmFareTables(), network: loadSzmNetwork() });
  const taps: Entry[] = [];
  const trips: Entry[] = [];
  for (const { tap } of cityTaps(tapCount, Math.max(1000, Math.floor(tapCount / 10)), endMs, devices)) {
    const parsed = toTap(tapInputSchema.parse(tap), endMs + 250);
    taps.push(tapEntry(parsed));
    for (const trip of builder.accept(parsed)) trips.push(tripEntry(trip));
  }
  return { taps, trips };
}

/** CPU time of this process's main thread, ms, where Linux tells it; else NaN. */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerS;
  } catch {
    return Number.NaN;
  }
}
const clockTicksPerS = 100; // USER_HZ on Linux (getconf CLK_TCK)

interface Figure {
  readonly wallUs: number;
  readonly cpuUs: number;
}

let sink = 0;

/** µs per op; `op(i)` returns a number so that the work is not dropped. */
function measure(count: number, op: (index: number) => number): Figure {
  for (let i = 0; i < count; i++) sink += op(i);
  let wallUs = Number.POSITIVE_INFINITY;
  let cpuUs = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runCount; run++) {
    const cpuStartMs = mainThreadCpuMs();
    const started = process.hrtime.bigint();
    for (let i = 0; i < opsPerRun; i++) sink += op(i % count);
    wallUs = Math.min(wallUs, Number(process.hrtime.bigint() - started) / 1000 / opsPerRun);
    cpuUs = Math.min(cpuUs, ((mainThreadCpuMs() - cpuStartMs) * 1000) / opsPerRun);
  }
  return { wallUs, cpuUs };
}

const { taps, trips } = buildEntries();
const tapBytes = taps.map(encodeEntry);
const tripBytes = trips.map(encodeEntry);
const meanBytes = (all: Uint8Array[]) => (all.reduce((sum, bytes) => sum + bytes.length, 0) / all.length).toFixed(0);

const figures: [string, Figure, number][] = [
  ['decode tap', measure(tapBytes.length, (i) => (decodeEntry(tapBytes[i] as Uint8Array).type === 'tap' ? 1 : 0)), 2.5],
  ['encode tap', measure(taps.length, (i) => encodeEntry(taps[i] as Entry).length), 1.5],
  ['encode trip', measure(trips.length, (i) => encodeEntry(trips[i] as Entry).length), 2],
  ['decode trip', measure(tripBytes.length, (i) => (decodeEntry(tripBytes[i] as Uint8Array).type === 'trip' ? 1 : 0)), Number.NaN],
];

const load = loadavg().map((value) => value.toFixed(1)).join(' ');
console.log(`bench/codec: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load}`);
console.log(`${taps.length} tap entries (${meanBytes(tapBytes)} B mean), ${trips.length} trip entries (${meanBytes(tripBytes)} B mean)`);
console.log(`µs per op, best of ${runCount} × ${opsPerRun}      wall   main-thread CPU   goal`);
for (const [name, { wallUs, cpuUs }, goalUs] of figures) {
  const goal = Number.isNaN(goalUs) ? '' : `≤ ${goalUs}${wallUs <= goalUs ? ', met' : ''}`;
  console.log(`  ${name.padEnd(30)} ${wallUs.toFixed(2).padStart(6)} ${cpuUs.toFixed(2).padStart(17)}   ${goal}`);
}
if (sink === -1) console.log('unreachable');
