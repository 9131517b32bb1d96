import { describe, expect, it } from 'vitest';
import szmNetworkJson from '../../data/network/szm.json' with { type: 'json' };
import { FareDataError } from './errors.js';
import { type MetroNetwork, parseNetwork } from './network.js';
import { loadSzmNetwork, szmNetworkFile } from './node-data.js';

const network = loadSzmNetwork();
const file = szmNetworkFile;

/** A second implementation for a differential test: Floyd–Warshall over the same file. */
function floydWarshall(json: typeof szmNetworkJson): { ids: string[]; distancesM: number[][] } {
  const ids = json.lines.flatMap((line) => line.stations.map((station) => station.id));
  const index = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;
  const d = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0 : Number.POSITIVE_INFINITY)));
  const link = (a: string, b: string, m: number): void => {
    const i = index.get(a) as number;
    const j = index.get(b) as number;
    (d[i] as number[])[j] = Math.min((d[i] as number[])[j] as number, m);
    (d[j] as number[])[i] = Math.min((d[j] as number[])[i] as number, m);
  };
  for (const line of json.lines) line.segmentsM.forEach((m, k) => link((line.stations[k] as { id: string }).id, (line.stations[k + 1] as { id: string }).id, m));
  for (const [a, b] of json.transfers) link(a as string, b as string, 0);
  for (let k = 0; k < n; k += 1) {
    for (let i = 0; i < n; i += 1) {
      for (let j = 0; j < n; j += 1) {
        const through = (d[i] as number[])[k] as number + ((d[k] as number[])[j] as number);
        if (through < ((d[i] as number[])[j] as number)) (d[i] as number[])[j] = through;
      }
    }
  }
  return { ids, distancesM: d };
}

describe('the shipped network, data/network/szm.json', () => {
  it('has 6 lines, 164 stations numbered along each line, 16 transfer links', () => {
    expect(network.lines.map((line) => [line.id, line.stationIds.length])).toEqual([
      ['L1', 30], ['L2', 30], ['L3', 28], ['L4', 21], ['L5', 27], ['L7', 28],
    ]);
    expect(network.stations.length).toBe(164);
    expect(network.transfers.length).toBe(16);
    for (const line of network.lines) {
      line.stationIds.forEach((id, index) => expect(id).toBe(`${line.id}-S${String(index + 1).padStart(2, '0')}`));
    }
  });

  it('has realistic segments, 0.8 to 2.5 km', () => {
    const segmentsM = network.lines.flatMap((line) => line.segmentsM);
    expect([Math.min(...segmentsM), Math.max(...segmentsM), segmentsM.length]).toEqual([800, 2490, 158]);
  });

  it('puts L1-S07 Gangxia 14,200 m from L1-S19 Taoyuan, as examples.ts prices it', () => {
    expect(network.distanceM('L1-S07', 'L1-S19')).toBe(14_200);
    expect([network.stations[6]?.name, network.stations[18]?.name]).toEqual(['Gangxia', 'Taoyuan']);
  });

  it('agrees with Floyd–Warshall on all 26,896 distances', () => {
    const { ids, distancesM } = floydWarshall(szmNetworkJson);
    const mismatches: string[] = [];
    ids.forEach((from, i) => ids.forEach((to, j) => {
      if (network.distanceM(from, to) !== (distancesM[i] as number[])[j]) mismatches.push(`${from}>${to}`);
    }));
    expect(mismatches).toEqual([]);
  });

  it('is symmetric, 0 on the diagonal and across each transfer', () => {
    for (const a of network.stations) {
      expect(network.distanceM(a.id, a.id)).toBe(0);
      for (const b of network.stations) expect(network.distanceM(a.id, b.id)).toBe(network.distanceM(b.id, a.id));
    }
    for (const [a, b] of network.transfers) expect(network.distanceM(a, b)).toBe(0);
  });

  it('prices an incomplete trip by the farthest station of the lines serving its station', () => {
    expect(farthestByHand(network, 'L5-S02')).toBe(network.farthestM('L5-S02'));
    for (const station of network.stations) expect(network.farthestM(station.id)).toBe(farthestByHand(network, station.id));
    // L1-S01 Luohu is on L1 alone; L1-S03 Laojie is also on L3, so its farthest can only be as far or farther.
    expect([network.farthestM('L1-S01'), network.farthestM('L1-S03'), network.farthestM('L3-S19')]).toEqual([
      network.distanceM('L1-S01', 'L1-S30'), farthestByHand(network, 'L1-S03'), farthestByHand(network, 'L1-S03'),
    ]);
  });

  it('tells unknown stations apart', () => {
    expect([network.stationIndex('L1-S01'), network.stationIndex('L1-S31'), network.hasStation('L9-S01')]).toEqual([0, -1, false]);
    expect(() => network.distanceM('L1-S01', 'L1-S31')).toThrow('unknown station L1-S31');
  });
});

/** Max distance to stations of the lines of the station's transfer group, by brute force. */
function farthestByHand(net: MetroNetwork, stationId: string): number {
  const group = new Set([stationId]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [a, b] of net.transfers) {
      if (group.has(a) !== group.has(b)) { group.add(a); group.add(b); grew = true; }
    }
  }
  const lines = new Set(net.stations.filter((s) => group.has(s.id)).map((s) => s.lineId));
  return Math.max(...net.stations.filter((s) => lines.has(s.lineId)).map((s) => net.distanceM(stationId, s.id)));
}

describe('parseNetwork refuses a bad file, naming the file and field', () => {
  type Json = { lines: { id: string; stations: { id: string; name: string }[]; segmentsM: number[] }[]; transfers: string[][] } & Record<string, unknown>;
  const clone = (): Json => structuredClone(szmNetworkJson) as unknown as Json;
  const line = (json: Json, index: number): Json['lines'][number] => json.lines[index] as Json['lines'][number];

  it.each<[string, (json: Json) => void, string]>([
    ['station numbering', (j) => { (line(j, 0).stations[6] as { id: string }).id = 'L1-S7'; }, 'lines[0].stations[6].id'],
    ['station on the wrong line', (j) => { (line(j, 1).stations[0] as { id: string }).id = 'L1-S01'; }, 'lines[1].stations[0].id'],
    ['station name', (j) => { (line(j, 0).stations[0] as { name: string }).name = ''; }, 'lines[0].stations[0].name'],
    ['line id', (j) => { line(j, 2).id = 'Line3'; }, 'lines[2].id'],
    ['duplicate line', (j) => { line(j, 1).id = 'L1'; line(j, 1).stations.forEach((s, i) => { s.id = `L1-S${String(i + 1).padStart(2, '0')}`; }); }, 'lines[1].id'],
    ['segment count', (j) => { line(j, 0).segmentsM.pop(); }, 'lines[0].segmentsM'],
    ['segment too short', (j) => { line(j, 3).segmentsM[2] = 99; }, 'lines[3].segmentsM[2]'],
    ['segment not whole', (j) => { line(j, 3).segmentsM[2] = 1200.5; }, 'lines[3].segmentsM[2]'],
    ['unknown station in a transfer', (j) => { j.transfers[0] = ['L1-S03', 'L3-S99']; }, 'transfers[0][1]'],
    ['transfer on one line', (j) => { j.transfers[0] = ['L1-S03', 'L1-S04']; }, 'transfers[0]'],
    ['transfer twice', (j) => { j.transfers.push(['L3-S19', 'L1-S03']); }, 'transfers[16]'],
    ['transfer not a pair', (j) => { j.transfers[0] = ['L1-S03']; }, 'transfers[0]'],
    ['disconnected', (j) => { j.transfers = j.transfers.filter((pair) => !pair.some((id) => id.startsWith('L4-'))); }, 'transfers'],
    ['unknown field', (j) => { j['stationCount'] = 164; }, 'stationCount'],
    ['one-station line', (j) => { line(j, 0).stations.length = 1; line(j, 0).segmentsM = []; j.transfers = []; }, 'lines[0].stations'],
  ])('%s → %s', (_name, mutate, field) => {
    const json = clone();
    mutate(json);
    let error: unknown;
    try {
      parseNetwork(json, file);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FareDataError);
    expect([(error as FareDataError).source, (error as FareDataError).field]).toEqual([file, field]);
  });

  it('accepts the file as shipped', () => {
    expect(parseNetwork(clone(), file).stations.length).toBe(164);
  });
});
