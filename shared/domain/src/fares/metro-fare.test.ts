import { describe, expect, it } from 'vitest';
import { loadSzmFareTables } from './node-data.js';
import { metroFareFen } from './metro-fare.js';
import type { FareTable } from './rules.js';

const tables = loadSzmFareTables();
const v1 = tables.byVersion('szm-2026.1') as FareTable;
const v2 = tables.byVersion('szm-2026.2') as FareTable;

/** Shenzhen's published rule, written out a second way, for a differential test. */
function shenzhenFen(distanceM: number, baseFen: number): number {
  const steps = (m: number, stepM: number): number => Math.ceil(m / stepM);
  if (distanceM <= 4000) return baseFen;
  if (distanceM <= 12000) return baseFen + 100 * steps(distanceM - 4000, 4000);
  if (distanceM <= 24000) return baseFen + 200 + 100 * steps(distanceM - 12000, 6000);
  return baseFen + 400 + 100 * steps(distanceM - 24000, 8000);
}

describe('metroFareFen, szm-2026.1: each boundary belongs to the band below it', () => {
  it.each([
    [0, 200], [1, 200], [3999, 200], [4000, 200], [4001, 300],
    [8000, 300], [8001, 400], [12000, 400], [12001, 500],
    [14200, 500], [18000, 500], [18001, 600], [24000, 600], [24001, 700],
    [32000, 700], [32001, 800], [40000, 800], [40001, 900], [44810, 900], [48001, 1000],
  ])('%i m → %i fen', (distanceM, fen) => {
    expect(metroFareFen(v1.metro, distanceM)).toBe(fen);
  });
});

describe('metroFareFen, szm-2026.2 (base 250, same bands)', () => {
  it.each([[0, 250], [4000, 250], [4001, 350], [12000, 450], [12001, 550], [24001, 750]])('%i m → %i fen', (distanceM, fen) => {
    expect(metroFareFen(v2.metro, distanceM)).toBe(fen);
  });
});

describe('metroFareFen against the rule written out', () => {
  it('agrees at every metre from 0 to 100 km, both versions', () => {
    const mismatches: string[] = [];
    for (let distanceM = 0; distanceM <= 100_000; distanceM += 1) {
      if (metroFareFen(v1.metro, distanceM) !== shenzhenFen(distanceM, 200)) mismatches.push(`v1 ${distanceM}`);
      if (metroFareFen(v2.metro, distanceM) !== shenzhenFen(distanceM, 250)) mismatches.push(`v2 ${distanceM}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('asserts on a distance that is not a whole number of metres (a bug in the caller)', () => {
    expect(() => metroFareFen(v1.metro, 1.5)).toThrow('metroFareFen: not a distance');
    expect(() => metroFareFen(v1.metro, -1)).toThrow('metroFareFen: not a distance');
  });
});
