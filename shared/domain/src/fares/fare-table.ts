import { ValidationError } from '../errors.js';
import { parseEventTime } from '../event-time.js';
import { checkId, checkInt, fieldOf, isPlainRecord, RecordReader } from '../fields.js';
import { distanceMMax, durationSMax, fenMax, reasonLengthMax } from '../limits.js';
import { withSource } from './errors.js';
import { hourMs } from './local-time.js';
import { metroFareFen } from './metro-fare.js';
import type { BusFareRules, FareTable, MetroFareBand, MetroFareRules, TaxiFareRules } from './rules.js';
import { taxiFare } from './taxi-fare.js';

// A fare table file, read strictly: every field required unless marked optional, no field
// unknown, every number a whole number within bounds, and whole-table checks (bands that
// tile, fares that fit in fenMax). A data bug stops start-up with the file and the field.
//
// {
//   "version": "szm-2026.1",                      identifier, unique among the tables
//   "effectiveFrom": "2026-01-01T00:00:00+08:00", RFC 3339 with offset (parseEventTime)
//   "note": "...",                                optional text
//   "dailyCapFen": 1500,                          optional; absent = no cap
//   "metro": { "baseFen", "baseDistanceM", "bands": [{ "toM"?, "stepM", "stepFen" }, ...] },
//   "bus":   { "defaultFen", "routes": { "<routeId>": fen, ... }, "transferWindowMs", "transferDiscountFen" },
//   "taxi":  { "flagFen", "flagDistanceM", "distanceStepM", "distanceStepFen", "waitingStepS",
//              "waitingStepFen", "nightFrom": "23:00", "nightTo": "06:00", "nightSurchargePercent" }
// }

/** The longest transfer window a table may set. It bounds how long trip ends are kept. */
export const transferWindowMsMax = 6 * hourMs;
/** Bands and routes per table: far more than any real tariff. */
export const metroBandsMax = 32;
export const busRoutesMax = 10_000;

const fenBounds = { min: 0, max: fenMax };
const distanceBounds = { min: 0, max: distanceMMax };
const stepMBounds = { min: 1, max: distanceMMax };
const timeOfDayPattern = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Checks one fare table file's parsed JSON; `source` names the file in errors. */
export function parseFareTable(json: unknown, source: string): FareTable {
  return withSource(source, () => {
    const r = new RecordReader(json, '');
    const version = r.id('version');
    const effectiveFromMs = r.value('effectiveFrom', checkInstant);
    if (r.has('note')) r.text('note', reasonLengthMax);
    const dailyCapFen = r.intOptional('dailyCapFen', fenBounds);
    const metro = r.value('metro', parseMetro);
    const bus = r.value('bus', parseBus);
    const taxi = r.value('taxi', parseTaxi);
    r.finish();
    return { version, effectiveFromMs, dailyCapFen, metro, bus, taxi, source };
  });
}

function checkInstant(field: string, value: unknown): number {
  if (typeof value !== 'string') throw new ValidationError(field, 'type', 'must be an RFC 3339 date-time string');
  const parsed = parseEventTime(value);
  if (!parsed.ok) throw new ValidationError(field, 'range', parsed.message);
  return parsed.eventTimeMs;
}

function parseMetro(field: string, value: unknown): MetroFareRules {
  const r = new RecordReader(value, field);
  const baseFen = r.int('baseFen', fenBounds);
  const baseDistanceM = r.int('baseDistanceM', distanceBounds);
  const bandInputs = r.list('bands', metroBandsMax, (bandField, bandValue) => {
    const b = new RecordReader(bandValue, bandField);
    const band = { toM: b.intOptional('toM', stepMBounds), stepM: b.int('stepM', stepMBounds), stepFen: b.int('stepFen', fenBounds) };
    b.finish();
    return band;
  });
  r.finish();
  const bands: MetroFareBand[] = [];
  let fromM = baseDistanceM;
  bandInputs.forEach((input, index) => {
    const bandField = `${fieldOf(field, 'bands')}[${index}]`;
    const last = index === bandInputs.length - 1;
    if (last !== (input.toM === undefined)) {
      throw new ValidationError(fieldOf(bandField, 'toM'), last ? 'not-allowed' : 'missing', last ? 'the last band is open: leave toM out' : 'is required on every band but the last');
    }
    const toM = input.toM ?? Number.POSITIVE_INFINITY;
    if (toM <= fromM) throw new ValidationError(fieldOf(bandField, 'toM'), 'invariant', `must be above the band's start, ${fromM} m`);
    if (!last && (toM - fromM) % input.stepM !== 0) {
      throw new ValidationError(fieldOf(bandField, 'stepM'), 'invariant', `the band ${fromM}..${toM} m must be a whole number of steps`);
    }
    bands.push({ fromM, toM, stepM: input.stepM, stepFen: input.stepFen });
    fromM = toM;
  });
  const rules = { baseFen, baseDistanceM, bands };
  if (metroFareFen(rules, distanceMMax) > fenMax) {
    throw new ValidationError(field, 'invariant', `the fare for ${distanceMMax} m must not exceed ${fenMax} fen`);
  }
  return rules;
}

function parseBus(field: string, value: unknown): BusFareRules {
  const r = new RecordReader(value, field);
  const defaultFen = r.int('defaultFen', fenBounds);
  const routes = r.value('routes', parseRoutes);
  const transferWindowMs = r.int('transferWindowMs', { min: 0, max: transferWindowMsMax });
  const transferDiscountFen = r.int('transferDiscountFen', fenBounds);
  r.finish();
  return { defaultFen, routes, transferWindowMs, transferDiscountFen };
}

function parseRoutes(field: string, value: unknown): ReadonlyMap<string, number> {
  if (!isPlainRecord(value)) throw new ValidationError(field, 'type', 'must be an object of routeId: fen');
  const keys = Object.keys(value);
  if (keys.length > busRoutesMax) throw new ValidationError(field, 'length', `must list at most ${busRoutesMax} routes`);
  const routes = new Map<string, number>();
  for (const key of keys) {
    const routeField = fieldOf(field, key);
    routes.set(checkId(routeField, key), checkInt(routeField, value[key], fenBounds));
  }
  return routes;
}

function parseTaxi(field: string, value: unknown): TaxiFareRules {
  const r = new RecordReader(value, field);
  const rules: TaxiFareRules = {
    flagFen: r.int('flagFen', fenBounds),
    flagDistanceM: r.int('flagDistanceM', distanceBounds),
    distanceStepM: r.int('distanceStepM', stepMBounds),
    distanceStepFen: r.int('distanceStepFen', fenBounds),
    waitingStepS: r.int('waitingStepS', { min: 1, max: 3600 }),
    waitingStepFen: r.int('waitingStepFen', fenBounds),
    nightFromMin: r.value('nightFrom', checkTimeOfDay),
    nightToMin: r.value('nightTo', checkTimeOfDay),
    nightSurchargePercent: r.int('nightSurchargePercent', { min: 0, max: 100 }),
  };
  r.finish();
  if (rules.nightFromMin === rules.nightToMin) {
    throw new ValidationError(fieldOf(field, 'nightTo'), 'invariant', 'must differ from nightFrom (for no surcharge, set nightSurchargePercent to 0)');
  }
  // Worst case a tap can carry: the longest metered ride, all of it waiting, at night.
  const worst = taxiFare(rules, { distanceM: distanceMMax, waitingS: durationSMax, startMs: 0, utcOffsetMin: 0 });
  if (worst.meterFen + Math.ceil((worst.meterFen * rules.nightSurchargePercent) / 100) > fenMax) {
    throw new ValidationError(field, 'invariant', `the fare for ${distanceMMax} m and ${durationSMax} s waiting must not exceed ${fenMax} fen`);
  }
  return rules;
}

/** `HH:MM`, 00:00 ..= 23:59, as minutes after midnight. */
function checkTimeOfDay(field: string, value: unknown): number {
  if (typeof value !== 'string') throw new ValidationError(field, 'type', 'must be a string HH:MM');
  const match = timeOfDayPattern.exec(value);
  if (match === null) throw new ValidationError(field, 'range', 'must be a local time HH:MM, 00:00..23:59');
  return Number(match[1]) * 60 + Number(match[2]);
}
