// Measures the figures quoted in network.ts and trip-builder.ts. Run on an idle machine:
//   npm run bench:pairing
// Prints: network load, price lookup, accept() per tap on a mixed workload of 100,000
// accounts, and snapshot size and cost with 100,000 open journeys. Performance is never
// asserted in a test (house style); this script is the record.
import { metroFareFen } from '../shared/domain/src/fares/metro-fare.js';
import { loadSzmFareTables, loadSzmNetwork } from '../shared/domain/src/fares/node-data.js';
import type { FareTable } from '../shared/domain/src/fares/rules.js';
import type { Tap } from '../shared/domain/src/tap.js';
import { busTap, metroTap, taxiTap } from '../shared/domain/src/pairing/test-kit.js';
import { TripBuilder } from '../shared/domain/src/pairing/trip-builder.js';
import { mulberry32 } from '../shared/domain/src/seeded-random.js';

const accountsN = 100_000;
const tables = loadSzmFareTables();

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

const accountName = (index: number): string => `wa_${index.toString(36).padStart(8, '0')}`;

function measureNetwork(): void {
  loadSzmNetwork();
  const loadMs = median(Array.from({ length: 30 }, () => time(() => loadSzmNetwork())));
  const network = loadSzmNetwork();
  const table = tables.tableAt(Date.UTC(2026, 5, 1)) as FareTable;
  const ids = network.stations.map((station) => station.id);
  const n = ids.length;
  const calls = 5_000_000;
  let sink = 0;
  const byIdMs = time(() => {
    for (let i = 0; i < calls; i += 1) sink += network.distanceM(ids[i % n] as string, ids[(i * 7) % n] as string);
  });
  const fareMs = time(() => {
    for (let i = 0; i < calls; i += 1) sink += metroFareFen(table.metro, network.distanceAt(i % n, (i * 7) % n));
  });
  console.log(`network: ${n} stations, parseNetwork + all-pairs ${loadMs.toFixed(2)} ms (median of 30)`);
  console.log(`lookup: distanceM by id ${((byIdMs * 1000) / calls).toFixed(3)} µs; metroFareFen(distanceAt) ${((fareMs * 1000) / calls).toFixed(3)} µs  (${sink > 0})`);
}

/**
 * A mixed stream, made in chunks of 100,000 taps (as a batcher decodes a batch) so the
 * stream itself does not sit in the heap: each tap picks an account at random; one with an
 * open journey taps out (2% of tap-outs are lost: it taps in again), else 60% tap in, 30%
 * bus, 10% taxi. In all: 39% metro tap-ins, 36% tap-outs, 19% bus, 6% taxi. The clock
 * steps 20 ms a tap, so an account's journey lasts about 30 min; 1% of taps are late by up
 * to 10 min.
 */
function mixedStream(seed: number): (count: number) => Tap[] {
  const random = mulberry32(seed);
  const ids = loadSzmNetwork().stations.map((station) => station.id);
  const open = new Uint8Array(accountsN);
  let clockMs = Date.UTC(2026, 2, 2, 0, 0, 0);
  let serial = 0;
  return (count) => {
    const taps: Tap[] = [];
    for (let index = 0; index < count; index += 1) {
      clockMs += 20;
      const eventTimeMs = random() < 0.01 ? clockMs - Math.floor(random() * 600_000) : clockMs;
      const accountIndex = Math.floor(random() * accountsN);
      const account = accountName(accountIndex);
      const station = ids[Math.floor(random() * ids.length)] as string;
      const id = `g042-${(serial += 1).toString().padStart(8, '0')}`;
      const roll = random();
      if (open[accountIndex] === 1 && roll >= 0.02) {
        taps.push(metroTap('out', account, station, eventTimeMs, id));
        open[accountIndex] = 0;
      } else if (open[accountIndex] === 1 || roll < 0.6) {
        taps.push(metroTap('in', account, station, eventTimeMs, id));
        open[accountIndex] = 1;
      } else if (roll < 0.9) {
        taps.push(busTap(account, 'M375', eventTimeMs, id));
      } else {
        taps.push(taxiTap(account, eventTimeMs, id, { distanceM: 8350, durationS: 1260, waitingS: 95 }));
      }
    }
    // Through JSON, as the batcher gets taps from a decoder: flat strings, not the
    // concatenations made above (a Map lookup would flatten each one first).
    return JSON.parse(JSON.stringify(taps)) as Tap[];
  };
}

function measureAccept(): void {
  const network = loadSzmNetwork();
  const tapsN = 2_000_000;
  const chunkN = 100_000;
  const rounds: number[] = [];
  let trips = 0;
  for (let round = 0; round < 3; round += 1) {
    const builder = new TripBuilder({ tables, network });
    const next = mixedStream(42);
    trips = 0;
    let elapsedMs = 0;
    for (let done = 0; done < tapsN; done += chunkN) {
      const taps = next(chunkN);
      elapsedMs += time(() => {
        for (const tap of taps) trips += builder.accept(tap).length;
      });
    }
    rounds.push(elapsedMs);
  }
  const bestMs = Math.min(...rounds);
  console.log(`accept: ${tapsN} taps, ${trips} trips, ${accountsN} accounts: ${((bestMs * 1000) / tapsN).toFixed(2)} µs per tap (best of 3: ${rounds.map((ms) => ms.toFixed(0)).join(', ')} ms)`);
}

function measureSnapshot(): void {
  const network = loadSzmNetwork();
  const builder = new TripBuilder({ tables, network });
  const startMs = Date.UTC(2026, 2, 2, 0, 0, 0);
  for (let index = 0; index < accountsN; index += 1) {
    builder.accept(metroTap('in', accountName(index), 'L1-S07', startMs + index, `g042-${index.toString().padStart(6, '0')}`));
  }
  let text = '';
  const snapshotMs = time(() => {
    text = JSON.stringify(builder.snapshot());
  });
  let restored: TripBuilder | undefined;
  const restoreMs = time(() => {
    restored = TripBuilder.restore(JSON.parse(text), { tables, network });
  });
  console.log(`snapshot: ${accountsN} open journeys, ${(text.length / 1e6).toFixed(2)} MB JSON (${(text.length / accountsN).toFixed(0)} B each); snapshot + stringify ${snapshotMs.toFixed(0)} ms; parse + restore ${restoreMs.toFixed(0)} ms (${restored?.pendingTapCount})`);
}

measureNetwork();
measureAccept();
measureSnapshot();
