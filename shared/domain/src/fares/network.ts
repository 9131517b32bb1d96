import { assert } from '../assert.js';
import { ValidationError } from '../errors.js';
import { checkId, checkInt, fieldOf, RecordReader } from '../fields.js';
import { distanceMMax } from '../limits.js';
import { withSource } from './errors.js';

// The metro network: lines of stations with the track length between neighbours, and
// transfer links (0 m) between the stations of one interchange. Shenzhen prices a metro trip
// by the shortest route, whatever the passenger rode, so the distance between two stations
// is the shortest path over segments and transfers.
//
// File shape (data/network/szm.json):
// {
//   "network": "szm", "name": "...",
//   "lines": [{ "id": "L1", "name": "...", "stations": [{ "id": "L1-S01", "name": "Luohu" }, ...],
//               "segmentsM": [1170, ...] }, ...],        segmentsM[i]: stations[i] to stations[i+1]
//   "transfers": [["L1-S03", "L3-S19"], ...]              stations of one interchange
// }
// Station ids are `<line id>-S<nn>`, numbered 01, 02, ... along the line.
//
// All-pairs distances are computed once at load (Dijkstra from every station, binary heap)
// into one Int32Array. Measured on the shipped 164-station network (Node 20.20, AMD EPYC,
// 2 cores; npm run bench:pairing): parseNetwork 2.2 ms (median of 30) including the 26,896
// distances and the farthest-station table; distanceM(from, to) by id 0.045 µs;
// metroFareFen(rules, distanceAt(i, j)) 0.036 µs.

export const linesMax = 32;
export const stationsPerLineMax = 99;
export const transfersMax = 1_000;
/** A segment between neighbours: a short urban hop to a long suburban one. */
export const segmentMMin = 100;
export const segmentMMax = 20_000;
export const stationNameLengthMax = 100;

const lineIdPattern = /^L[0-9]{1,3}$/;

export interface MetroStation {
  readonly id: string;
  readonly name: string;
  readonly lineId: string;
}

export interface MetroLine {
  readonly id: string;
  readonly name: string;
  readonly stationIds: readonly string[];
  /** segmentsM[i] is the track from stationIds[i] to stationIds[i + 1]. */
  readonly segmentsM: readonly number[];
}

export class MetroNetwork {
  readonly network: string;
  readonly name: string;
  readonly lines: readonly MetroLine[];
  /** In file order; a station's index is its place here. */
  readonly stations: readonly MetroStation[];
  readonly transfers: readonly (readonly [string, string])[];
  private readonly indexById: ReadonlyMap<string, number>;
  /** n × n shortest distances, row-major. */
  private readonly distancesM: Int32Array;
  /** Per station: the longest shortest-distance to any station of a line serving it. */
  private readonly farthestByIndexM: Int32Array;

  constructor(parts: {
    network: string; name: string; lines: readonly MetroLine[]; stations: readonly MetroStation[];
    transfers: readonly (readonly [string, string])[]; distancesM: Int32Array; farthestByIndexM: Int32Array;
  }) {
    this.network = parts.network;
    this.name = parts.name;
    this.lines = parts.lines;
    this.stations = parts.stations;
    this.transfers = parts.transfers;
    this.indexById = new Map(parts.stations.map((station, index) => [station.id, index]));
    this.distancesM = parts.distancesM;
    this.farthestByIndexM = parts.farthestByIndexM;
  }

  /** The station's index, or -1 when the network has no such station. */
  stationIndex(stationId: string): number {
    return this.indexById.get(stationId) ?? -1;
  }

  hasStation(stationId: string): boolean {
    return this.indexById.has(stationId);
  }

  /** Shortest distance in metres between two stations (0 for the same station). */
  distanceM(fromStationId: string, toStationId: string): number {
    return this.distanceAt(this.knownIndex(fromStationId), this.knownIndex(toStationId));
  }

  distanceAt(fromIndex: number, toIndex: number): number {
    return this.distancesM[fromIndex * this.stations.length + toIndex] as number;
  }

  /**
   * The distance that prices an incomplete trip at this station: the longest shortest-route
   * distance from it to any station of any line serving it (its own line and, at an
   * interchange, the lines of the stations joined to it by transfers).
   */
  farthestM(stationId: string): number {
    return this.farthestAt(this.knownIndex(stationId));
  }

  farthestAt(index: number): number {
    return this.farthestByIndexM[index] as number;
  }

  private knownIndex(stationId: string): number {
    const index = this.indexById.get(stationId);
    if (index === undefined) assert(false, `unknown station ${stationId}: check stationIndex first`);
    return index;
  }
}

/** Checks a network file's parsed JSON and computes its distances; `source` names the file in errors. */
export function parseNetwork(json: unknown, source: string): MetroNetwork {
  return withSource(source, () => {
    const r = new RecordReader(json, '');
    const network = r.id('network');
    const name = r.text('name', stationNameLengthMax);
    const lines = r.list('lines', linesMax, parseLine);
    const stations = lines.flatMap((line) => line.stationIds.map((id, index) => ({ id, name: line.stationNames[index] as string, lineId: line.id })));
    const indexById = new Map(stations.map((station, index) => [station.id, index]));
    lines.forEach((line, index) => {
      if (lines.findIndex((other) => other.id === line.id) !== index) {
        throw new ValidationError(`lines[${index}].id`, 'invariant', `line ${line.id} appears twice`);
      }
    });
    const transfers = r.has('transfers') ? r.value('transfers', (field, value) => parseTransfers(field, value, indexById, stations)) : [];
    r.finish();
    const distancesM = allPairsDistances(lines, transfers, indexById);
    checkConnected(distancesM, stations);
    const farthestByIndexM = farthestDistances(distancesM, stations, transfers, indexById);
    const publicLines = lines.map(({ id, name: lineName, stationIds, segmentsM }) => ({ id, name: lineName, stationIds, segmentsM }));
    return new MetroNetwork({ network, name, lines: publicLines, stations, transfers, distancesM, farthestByIndexM });
  });
}

interface ParsedLine extends MetroLine {
  readonly stationNames: readonly string[];
}

function parseLine(field: string, value: unknown): ParsedLine {
  const r = new RecordReader(value, field);
  const id = r.id('id');
  if (!lineIdPattern.test(id)) throw new ValidationError(fieldOf(field, 'id'), 'charset', 'must be L and 1..3 digits, as L1');
  const name = r.text('name', stationNameLengthMax);
  const stations = r.list('stations', stationsPerLineMax, (stationField, stationValue) => {
    const s = new RecordReader(stationValue, stationField);
    const station = { id: s.id('id'), name: s.text('name', stationNameLengthMax) };
    s.finish();
    return station;
  });
  stations.forEach((station, index) => {
    const expected = `${id}-S${String(index + 1).padStart(2, '0')}`;
    if (station.id !== expected) {
      throw new ValidationError(`${fieldOf(field, 'stations')}[${index}].id`, 'invariant', `must be ${expected}: stations are numbered along the line from S01`);
    }
  });
  if (stations.length < 2) throw new ValidationError(fieldOf(field, 'stations'), 'length', 'a line has at least 2 stations');
  const segmentBounds = { min: segmentMMin, max: segmentMMax };
  const segmentsM = r.list('segmentsM', stationsPerLineMax, (segmentField, segmentValue) => checkInt(segmentField, segmentValue, segmentBounds));
  if (segmentsM.length !== stations.length - 1) {
    throw new ValidationError(fieldOf(field, 'segmentsM'), 'length', `must hold ${stations.length - 1} lengths, one between each pair of neighbours`);
  }
  r.finish();
  return { id, name, stationIds: stations.map((station) => station.id), stationNames: stations.map((station) => station.name), segmentsM };
}

function parseTransfers(
  field: string, value: unknown, indexById: ReadonlyMap<string, number>, stations: readonly MetroStation[],
): (readonly [string, string])[] {
  if (!Array.isArray(value)) throw new ValidationError(field, 'type', 'must be a list of [stationId, stationId]');
  if (value.length > transfersMax) throw new ValidationError(field, 'length', `must hold at most ${transfersMax} links`);
  const seen = new Set<string>();
  return value.map((pair: unknown, index) => {
    const pairField = `${field}[${index}]`;
    if (!Array.isArray(pair) || pair.length !== 2) throw new ValidationError(pairField, 'type', 'must be a pair [stationId, stationId]');
    const ids = pair.map((id: unknown, side) => {
      const stationId = checkId(`${pairField}[${side}]`, id);
      if (!indexById.has(stationId)) throw new ValidationError(`${pairField}[${side}]`, 'invariant', `no station ${stationId} on any line`);
      return stationId;
    });
    const [a, b] = ids as [string, string];
    const lineOf = (id: string): string => (stations[indexById.get(id) as number] as MetroStation).lineId;
    if (lineOf(a) === lineOf(b)) throw new ValidationError(pairField, 'invariant', 'a transfer joins stations of two different lines');
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    if (seen.has(key)) throw new ValidationError(pairField, 'invariant', 'this link appears twice');
    seen.add(key);
    return [a, b] as const;
  });
}

/** Dijkstra from every station over segments and 0 m transfers. Unreachable: -1. */
function allPairsDistances(
  lines: readonly MetroLine[], transfers: readonly (readonly [string, string])[], indexById: ReadonlyMap<string, number>,
): Int32Array {
  const n = indexById.size;
  const edges: [number, number][][] = Array.from({ length: n }, () => []);
  const link = (a: number, b: number, m: number): void => {
    (edges[a] as [number, number][]).push([b, m]);
    (edges[b] as [number, number][]).push([a, m]);
  };
  for (const line of lines) {
    line.segmentsM.forEach((m, index) => link(indexById.get(line.stationIds[index] as string) as number, indexById.get(line.stationIds[index + 1] as string) as number, m));
  }
  for (const [a, b] of transfers) link(indexById.get(a) as number, indexById.get(b) as number, 0);
  const distancesM = new Int32Array(n * n).fill(-1);
  const heap = new DistanceHeap(n * 4);
  for (let source = 0; source < n; source += 1) {
    const row = source * n;
    heap.push(0, source);
    while (heap.size > 0) {
      const distanceM = heap.topDistance();
      const node = heap.pop();
      if (distancesM[row + node] !== -1) continue;
      distancesM[row + node] = distanceM;
      for (const [next, m] of edges[node] as [number, number][]) {
        if (distancesM[row + next] === -1) heap.push(distanceM + m, next);
      }
    }
  }
  return distancesM;
}

function checkConnected(distancesM: Int32Array, stations: readonly MetroStation[]): void {
  const n = stations.length;
  for (let index = 0; index < n; index += 1) {
    // The graph is undirected: reaching every station from the first one is enough.
    if (distancesM[index] === -1) {
      throw new ValidationError('transfers', 'invariant', `station ${(stations[index] as MetroStation).id} cannot be reached from ${(stations[0] as MetroStation).id}: add a transfer link`);
    }
  }
  for (let index = 0; index < n * n; index += 1) {
    if ((distancesM[index] as number) > distanceMMax) {
      throw new ValidationError('lines', 'invariant', `a shortest route of ${distancesM[index]} m is longer than ${distanceMMax} m`);
    }
  }
}

/** For each station: the max distance to any station of the lines serving its interchange. */
function farthestDistances(
  distancesM: Int32Array, stations: readonly MetroStation[], transfers: readonly (readonly [string, string])[],
  indexById: ReadonlyMap<string, number>,
): Int32Array {
  const n = stations.length;
  const servingLines = stations.map((station) => new Set([station.lineId]));
  // Transfers chain (A–B, B–C is one interchange of three lines): repeat until nothing grows.
  for (let grew = true; grew;) {
    grew = false;
    for (const [a, b] of transfers) {
      const linesA = servingLines[indexById.get(a) as number] as Set<string>;
      const linesB = servingLines[indexById.get(b) as number] as Set<string>;
      for (const lineId of [...linesA, ...linesB]) {
        if (!linesA.has(lineId)) { linesA.add(lineId); grew = true; }
        if (!linesB.has(lineId)) { linesB.add(lineId); grew = true; }
      }
    }
  }
  const farthestM = new Int32Array(n);
  for (let from = 0; from < n; from += 1) {
    const lines = servingLines[from] as Set<string>;
    let maxM = 0;
    for (let to = 0; to < n; to += 1) {
      if (lines.has((stations[to] as MetroStation).lineId)) maxM = Math.max(maxM, distancesM[from * n + to] as number);
    }
    farthestM[from] = maxM;
  }
  return farthestM;
}

/** A binary min-heap of (distance, node), for Dijkstra. */
class DistanceHeap {
  private distances: Float64Array;
  private nodes: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.distances = new Float64Array(capacity);
    this.nodes = new Int32Array(capacity);
  }

  topDistance(): number {
    return this.distances[0] as number;
  }

  push(distance: number, node: number): void {
    if (this.size === this.nodes.length) this.grow();
    let index = this.size++;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((this.distances[parent] as number) <= distance) break;
      this.distances[index] = this.distances[parent] as number;
      this.nodes[index] = this.nodes[parent] as number;
      index = parent;
    }
    this.distances[index] = distance;
    this.nodes[index] = node;
  }

  pop(): number {
    const top = this.nodes[0] as number;
    const last = --this.size;
    const distance = this.distances[last] as number;
    const node = this.nodes[last] as number;
    let index = 0;
    for (;;) {
      let child = index * 2 + 1;
      if (child >= last) break;
      if (child + 1 < last && (this.distances[child + 1] as number) < (this.distances[child] as number)) child += 1;
      if ((this.distances[child] as number) >= distance) break;
      this.distances[index] = this.distances[child] as number;
      this.nodes[index] = this.nodes[child] as number;
      index = child;
    }
    this.distances[index] = distance;
    this.nodes[index] = node;
    return top;
  }

  private grow(): void {
    const distances = new Float64Array(this.nodes.length * 2);
    const nodes = new Int32Array(this.nodes.length * 2);
    distances.set(this.distances);
    nodes.set(this.nodes);
    this.distances = distances;
    this.nodes = nodes;
  }
}
