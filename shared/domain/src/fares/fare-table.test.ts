import { describe, expect, it } from 'vitest';
import szm2026v1 from '../../data/fares/szm-2026.1.json' with { type: 'json' };
import { FareDataError } from './errors.js';
import { parseFareTable } from './fare-table.js';
import { FareTables } from './fare-tables.js';
import { loadSzmFareTables, szmFareTableFiles } from './node-data.js';

const file = 'data/fares/szm-2026.1.json';
const clone = (): Record<string, unknown> => structuredClone(szm2026v1) as Record<string, unknown>;
/** 2026-01-01T00:00:00+08:00 and 2026-12-01T00:00:00+08:00. */
const v1FromMs = Date.UTC(2025, 11, 31, 16, 0, 0);
const v2FromMs = Date.UTC(2026, 10, 30, 16, 0, 0);

describe('the shipped fare tables', () => {
  const tables = loadSzmFareTables();

  it('hold two versions, oldest first, each from local midnight', () => {
    expect(tables.tables.map((t) => [t.version, t.effectiveFromMs, t.dailyCapFen, t.source])).toEqual([
      ['szm-2026.1', v1FromMs, undefined, szmFareTableFiles[0]],
      ['szm-2026.2', v2FromMs, 1500, szmFareTableFiles[1]],
    ]);
  });

  it('parse szm-2026.1 to these rules', () => {
    const v1 = tables.tables[0];
    expect(v1?.metro).toEqual({
      baseFen: 200, baseDistanceM: 4000,
      bands: [
        { fromM: 4000, toM: 12000, stepM: 4000, stepFen: 100 },
        { fromM: 12000, toM: 24000, stepM: 6000, stepFen: 100 },
        { fromM: 24000, toM: Number.POSITIVE_INFINITY, stepM: 8000, stepFen: 100 },
      ],
    });
    expect(v1?.bus).toEqual({
      defaultFen: 200, routes: new Map([['B101', 200], ['M375', 200], ['N6', 250], ['E11', 400], ['K105', 150], ['10', 200]]),
      transferWindowMs: 5_400_000, transferDiscountFen: 100,
    });
    expect(v1?.taxi).toEqual({
      flagFen: 1000, flagDistanceM: 2000, distanceStepM: 500, distanceStepFen: 135, waitingStepS: 60, waitingStepFen: 80,
      nightFromMin: 23 * 60, nightToMin: 6 * 60, nightSurchargePercent: 30,
    });
  });

  it.each([
    ['1 ms before szm-2026.1', v1FromMs - 1, undefined],
    ['at szm-2026.1', v1FromMs, 'szm-2026.1'],
    ['1 ms before szm-2026.2', v2FromMs - 1, 'szm-2026.1'],
    ['at szm-2026.2', v2FromMs, 'szm-2026.2'],
    ['years later', Date.UTC(2030, 0, 1), 'szm-2026.2'],
  ])('tableAt %s', (_name, startMs, version) => {
    expect(tables.tableAt(startMs)?.version).toBe(version);
  });
});

describe('parseFareTable refuses a bad file, naming the file and field', () => {
  type Mutation = (json: Record<string, unknown>) => void;
  const at = (json: Record<string, unknown>, path: string): Record<string, unknown> =>
    path.split('.').reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, json);
  const bands = (json: Record<string, unknown>): Record<string, unknown>[] => at(json, 'metro')['bands'] as Record<string, unknown>[];

  it.each<[string, Mutation, string]>([
    ['version', (j) => { j['version'] = 'szm 2026.1'; }, 'version'],
    ['effectiveFrom', (j) => { j['effectiveFrom'] = '2026-01-01T00:00:00'; }, 'effectiveFrom'],
    ['effectiveFrom', (j) => { j['effectiveFrom'] = 1_767_196_800_000; }, 'effectiveFrom'],
    ['note', (j) => { j['note'] = 'line\nbreak'; }, 'note'],
    ['unknown field', (j) => { j['currency'] = 'CNY'; }, 'currency'],
    ['dailyCapFen', (j) => { j['dailyCapFen'] = -1; }, 'dailyCapFen'],
    ['dailyCapFen', (j) => { j['dailyCapFen'] = 15.5; }, 'dailyCapFen'],
    ['metro missing', (j) => { delete j['metro']; }, 'metro'],
    ['baseFen', (j) => { at(j, 'metro')['baseFen'] = '200'; }, 'metro.baseFen'],
    ['band toM missing', (j) => { delete bands(j)[0]?.['toM']; }, 'metro.bands[0].toM'],
    ['last band closed', (j) => { (bands(j)[2] as Record<string, unknown>)['toM'] = 40000; }, 'metro.bands[2].toM'],
    ['band toM not rising', (j) => { (bands(j)[1] as Record<string, unknown>)['toM'] = 12000; }, 'metro.bands[1].toM'],
    ['band not whole steps', (j) => { (bands(j)[0] as Record<string, unknown>)['stepM'] = 3000; }, 'metro.bands[0].stepM'],
    ['stepM 0', (j) => { (bands(j)[2] as Record<string, unknown>)['stepM'] = 0; }, 'metro.bands[2].stepM'],
    ['unknown band field', (j) => { (bands(j)[0] as Record<string, unknown>)['fromM'] = 4000; }, 'metro.bands[0].fromM'],
    ['no bands', (j) => { at(j, 'metro')['bands'] = []; }, 'metro.bands'],
    ['fare overflow', (j) => { (bands(j)[2] as Record<string, unknown>)['stepFen'] = 100_000; }, 'metro'],
    ['route id', (j) => { at(j, 'bus.routes')['B 101'] = 200; }, 'bus.routes.B 101'],
    ['route fare', (j) => { at(j, 'bus.routes')['B101'] = -200; }, 'bus.routes.B101'],
    ['routes list', (j) => { at(j, 'bus')['routes'] = [['B101', 200]]; }, 'bus.routes'],
    ['transfer window > 6 h', (j) => { at(j, 'bus')['transferWindowMs'] = 6 * 3_600_000 + 1; }, 'bus.transferWindowMs'],
    ['night time', (j) => { at(j, 'taxi')['nightFrom'] = '24:00'; }, 'taxi.nightFrom'],
    ['night time', (j) => { at(j, 'taxi')['nightTo'] = '6:00'; }, 'taxi.nightTo'],
    ['empty night', (j) => { at(j, 'taxi')['nightTo'] = '23:00'; }, 'taxi.nightTo'],
    ['surcharge', (j) => { at(j, 'taxi')['nightSurchargePercent'] = 101; }, 'taxi.nightSurchargePercent'],
    ['waiting step', (j) => { at(j, 'taxi')['waitingStepS'] = 0; }, 'taxi.waitingStepS'],
    ['taxi overflow', (j) => { at(j, 'taxi')['distanceStepFen'] = 10_000; }, 'taxi'],
  ])('%s → %s', (_name, mutate, field) => {
    const json = clone();
    mutate(json);
    const error = catchError(() => parseFareTable(json, file));
    expect(error).toBeInstanceOf(FareDataError);
    expect([(error as FareDataError).source, (error as FareDataError).field]).toEqual([file, field]);
    expect((error as FareDataError).message.startsWith(`${file}: ${field}: `)).toBe(true);
  });

  it('accepts the file as shipped (the mutations above are the only faults)', () => {
    expect(parseFareTable(clone(), file).version).toBe('szm-2026.1');
  });
});

describe('FareTables.of', () => {
  const v1 = parseFareTable(clone(), 'a.json');

  it('refuses two tables with one version, two with one effectiveFrom, and none', () => {
    const sameVersion = parseFareTable({ ...clone(), effectiveFrom: '2027-01-01T00:00:00+08:00' }, 'b.json');
    const sameStart = parseFareTable({ ...clone(), version: 'szm-2027.1' }, 'c.json');
    expect(() => FareTables.of([v1, sameVersion])).toThrow('b.json: version: szm-2026.1 is also the version of a.json');
    expect(() => FareTables.of([v1, sameStart])).toThrow('c.json: effectiveFrom: is also the effectiveFrom of a.json');
    expect(() => FareTables.of([])).toThrow(FareDataError);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
