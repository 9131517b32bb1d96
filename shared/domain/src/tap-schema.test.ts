import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AssertionError } from './assert.js';
import { looksLikeCardNumber } from './card-number.js';
import { ValidationError } from './errors.js';
import { formatEventTime, parseEventTime } from './event-time.js';
import { busTap, metroTapIn, metroTapOut, taxiTap } from './examples.js';
import {
  accountLengthMax,
  distanceMMax,
  durationSMax,
  idLengthMax,
  timeMsMax,
  timeMsMin,
  utcOffsetMinMax,
  utcOffsetMinMin,
} from './limits.js';
import { type Mode, modes, tapKinds } from './mode.js';
import { parseTap, type Tap } from './tap.js';
import {
  fieldIssues,
  safeParseTapRequest,
  tapAcceptedSchema,
  tapBatchSchema,
  type TapInput,
  tapInputSchema,
  tapRequestSchema,
  toTap,
} from './tap-schema.js';

type Wire = Record<string, unknown>;

/** The wire form of a domain tap: eventTime text in place of the three times. */
function wireOf(tap: Tap): Wire {
  const { eventTimeMs, utcOffsetMin, receivedAtMs: _receivedAtMs, ...rest } = tap;
  return { ...rest, eventTime: formatEventTime(eventTimeMs, utcOffsetMin) };
}

/** [path, message] of every issue of a request body, one per field. */
function issuesOf(body: unknown): [readonly (string | number)[], string][] {
  const result = safeParseTapRequest(body);
  if (result.success) return [];
  return fieldIssues(result.error).map((issue) => [issue.path, issue.message]);
}

const metroWire = wireOf(metroTapIn);
const busWire = wireOf(busTap);
const taxiWire = wireOf(taxiTap);

describe('tapInputSchema and toTap', () => {
  it.each([metroTapIn, metroTapOut, busTap, taxiTap])('accept the $mode $kind example and give back the domain tap', (tap) => {
    const wire = wireOf(tap);
    const parsed = tapInputSchema.parse(wire);
    expect(parsed).toEqual(wire);
    expect(parsed).not.toBe(wire);
    const converted = toTap(parsed, tap.receivedAtMs);
    expect(converted).toEqual(tap);
    expect(Object.keys(converted)).toEqual(Object.keys(tap));
  });

  it('reads the device offset from eventTime', () => {
    const wire = { ...busWire, eventTime: '2026-03-01T16:02:11-09:00' };
    expect(toTap(tapInputSchema.parse(wire), busTap.receivedAtMs)).toEqual({ ...busTap, utcOffsetMin: -540 });
  });

  it('turns -0 into 0, as parseTap does', () => {
    const tap = toTap(tapInputSchema.parse({ ...taxiWire, distanceM: -0, waitingS: -0 }), 1_772_446_800_500);
    expect(tap).toEqual(parseTap(tap));
    expect(tap.mode === 'taxi' && Object.is(tap.distanceM, 0) && Object.is(tap.waitingS, 0)).toBe(true);
  });

  it('accepts the bounds', () => {
    const edge = {
      ...taxiWire, tapId: 'x'.repeat(idLengthMax), account: '~'.repeat(accountLengthMax),
      distanceM: distanceMMax, durationS: durationSMax, waitingS: durationSMax, eventTime: '2200-01-01T13:59:59.999+14:00',
    };
    const tap = toTap(tapInputSchema.parse(edge), timeMsMin);
    expect(tap).toMatchObject({ eventTimeMs: timeMsMax, utcOffsetMin: utcOffsetMinMax, receivedAtMs: timeMsMin, waitingS: durationSMax });
  });

  it('asserts on a receivedAtMs outside the time rule, and on a TapInput not from the schema', () => {
    const parsed = tapInputSchema.parse(busWire);
    expect(() => toTap(parsed, timeMsMin - 1)).toThrow(AssertionError);
    expect(() => toTap(parsed, 1_772_413_331_000.5)).toThrow(AssertionError);
    expect(() => toTap({ ...parsed, eventTime: '2026-03-02' }, busTap.receivedAtMs)).toThrow(AssertionError);
  });
});

describe('errors', () => {
  it.each<[string, unknown, [(string | number)[], string][]]>([
    ['a string', 'tap', [[[], 'must be an object (one tap)']]],
    ['null', null, [[[], 'must be an object (one tap)']]],
    ['an array', [busWire], [[[], 'must be an object (one tap)']]],
    ['no mode', { ...busWire, mode: undefined }, [[['mode'], 'is required: metro, bus or taxi']]],
    ['an unknown mode', { ...busWire, mode: 'ferry' }, [[['mode'], 'must be metro, bus or taxi']]],
    ['a bus tap of kind in', { ...busWire, kind: 'in' }, [[['kind'], "a bus tap cannot be 'in'; its kind is 'single'"]]],
    ['a metro tap of kind single', { ...metroWire, kind: 'single' }, [[['kind'], "a metro tap cannot be 'single'; its kind is 'in' or 'out'"]]],
    ['a taxi tap of kind exit', { ...taxiWire, kind: 'exit' }, [[['kind'], "must be 'metered' for a taxi tap"]]],
    ['a metro tap without kind', { ...metroWire, kind: undefined }, [[['kind'], "is required: 'in' or 'out' for a metro tap"]]],
    ['a typo in a field name', { ...metroWire, stationId: undefined, stationID: 'L1-S07' }, [
      [['stationId'], 'is required'],
      [['stationID'], '"stationID" is not a field of this object (did you mean "stationId"?)'],
    ]],
    ['a field of another mode', { ...busWire, stationId: 'L1-S07' }, [[['stationId'], '"stationId" is not a field of this object']]],
    ['two unknown fields', { ...busWire, zone: 'A', Account: 'x' }, [
      [['zone'], '"zone" is not a field of this object'],
      [['Account'], '"Account" is not a field of this object (did you mean "account"?)'],
    ]],
    ['an empty tapId', { ...busWire, tapId: '' }, [[['tapId'], 'must be 1..64 characters']]],
    ['a tapId of 65 characters', { ...busWire, tapId: 'x'.repeat(65) }, [[['tapId'], 'must be 1..64 characters']]],
    ['a tapId with a slash', { ...busWire, tapId: 'a/b' }, [[['tapId'], 'may hold only A-Z a-z 0-9 . _ : -']]],
    ['a numeric operatorId', { ...busWire, operatorId: 7 }, [[['operatorId'], 'must be a string']]],
    ['no deviceId', { ...busWire, deviceId: undefined }, [[['deviceId'], 'is required']]],
    ['an account with a space', { ...busWire, account: 'wa 1' }, [[['account'], 'must be printable ASCII without spaces']]],
    ['an account of 129 characters', { ...busWire, account: 'a'.repeat(129) }, [[['account'], 'must be 1..128 characters']]],
    ['a card number as account', { ...busWire, account: '4111-1111-1111-1111' }, [
      [['account'], 'looks like a payment card number; send the wallet account token, never card data'],
    ]],
    ['a card number as printed on the card, in groups of four', { ...busWire, account: '4111 1111 1111 1111' }, [
      [['account'], 'looks like a payment card number; send the wallet account token, never card data'],
    ]],
    ['a 15-digit Amex number in its printed groups', { ...busWire, account: '3782 822463 10005' }, [
      [['account'], 'looks like a payment card number; send the wallet account token, never card data'],
    ]],
    ['digits in groups of four that fail the Luhn check', { ...busWire, account: '4111 1111 1111 1112' }, [[['account'], 'must be printable ASCII without spaces']]],
    ['eventTime without offset', { ...busWire, eventTime: '2026-03-02T09:02:11' }, [
      [['eventTime'], 'must end with an offset, Z or ±hh:mm, as in 2026-03-02T08:15:30.250+08:00'],
    ]],
    ['eventTime in microseconds', { ...busWire, eventTime: '2026-03-02T09:02:11.000001+08:00' }, [
      [['eventTime'], 'has 6 fractional-second digits; send at most 3 (milliseconds)'],
    ]],
    ['eventTime as ms', { ...busWire, eventTime: busTap.eventTimeMs }, [[['eventTime'], 'must be a string']]],
    ['distance in km', { ...taxiWire, distanceM: 8.35 }, [[['distanceM'], 'must be an integer in 0..1000000']]],
    ['distance as a string', { ...taxiWire, distanceM: '8350' }, [[['distanceM'], 'must be an integer in 0..1000000']]],
    ['a negative duration', { ...taxiWire, durationS: -1 }, [[['durationS'], 'must be an integer in 0..86400']]],
    ['no waiting time', { ...taxiWire, waitingS: undefined }, [[['waitingS'], 'is required']]],
    ['waiting longer than the ride', { ...taxiWire, durationS: 60, waitingS: 61 }, [[['waitingS'], 'must not exceed durationS (60)']]],
    ['several bad fields', { ...taxiWire, tapId: 7, vehicleId: '', distanceM: -1 }, [
      [['tapId'], 'must be a string'],
      [['vehicleId'], 'must be 1..64 characters'],
      [['distanceM'], 'must be an integer in 0..1000000'],
    ]],
  ])('name the field of %s', (_name, input, expected) => {
    const body = input !== null && typeof input === 'object' && !Array.isArray(input)
      ? Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined))
      : input;
    expect(issuesOf(body)).toEqual(expected);
  });

  it('names a tap in a batch by its index', () => {
    const taps = [metroWire, busWire, taxiWire, { ...busWire, eventTime: '2026-02-30T09:02:11+08:00' }];
    expect(issuesOf({ taps })).toEqual([[['taps', 3, 'eventTime'], '2026-02-30 is not a date in the calendar']]);
    const result = tapBatchSchema.safeParse({ taps });
    expect(result.success || result.error.issues.map((issue) => issue.path)).toEqual([['taps', 3, 'eventTime']]);
    expect(issuesOf({ taps: [busWire, { ...busWire, Kind: 'single' }] })).toEqual([
      [['taps', 1, 'Kind'], '"Kind" is not a field of this object (did you mean "kind"?)'],
    ]);
  });

  it.each<[string, unknown, [(string | number)[], string][]]>([
    ['an empty batch', { taps: [] }, [[['taps'], 'must hold at least 1 tap']]],
    ['taps not a list', { taps: 'x' }, [[['taps'], 'must be a list of taps']]],
    ['a batch with another field', { taps: [busWire], deviceId: 'bv-0457' }, [[['deviceId'], '"deviceId" is not a field of this object']]],
  ])('name the field of %s', (_name, body, expected) => {
    expect(issuesOf(body)).toEqual(expected);
  });

  it('keeps a plain union\'s vaguer error, which is why safeParseTapRequest exists', () => {
    const body = { ...busWire, tapId: 7 };
    const result = tapRequestSchema.safeParse(body);
    expect(result.success || result.error.issues.map((issue) => [issue.path, issue.code])).toEqual([[[], 'invalid_union']]);
    expect(issuesOf(body)).toEqual([[['tapId'], 'must be a string']]);
  });

  it('reports an own __proto__ key (as JSON.parse makes it) as an unknown field', () => {
    const body: unknown = JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(busWire).slice(1)}`);
    expect(issuesOf(body)).toEqual([[['__proto__'], '"__proto__" is not a field of this object']]);
  });

  it('never puts the value in an issue, so a card number cannot leak into a response or log', () => {
    const result = tapInputSchema.safeParse({ ...busWire, account: 'acct-4111111111111111' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error)).not.toContain('4111');
    expect(JSON.stringify(result.error?.issues)).not.toContain('4111');
  });

  it('carries parseEventTime\'s reason in the issue params', () => {
    const result = tapInputSchema.safeParse({ ...busWire, eventTime: '2026-03-02T09:02:11-00:00' });
    expect(result.error?.issues).toEqual([{
      code: 'custom', path: ['eventTime'], params: { reason: 'offset-unknown' },
      message: '-00:00 means "local offset unknown"; send the device\'s offset (+08:00), or Z for UTC',
    }]);
  });
});

describe('the package entry', () => {
  it('does not reach zod: index.ts and everything it imports stay zod-free', () => {
    const visited = new Set<string>();
    const imported = new Set<string>();
    const visit = (file: string) => {
      if (visited.has(file)) return;
      visited.add(file);
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      for (const [, specifier] of source.matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gm)) {
        if (specifier!.startsWith('./')) visit(specifier!.replace(/\.js$/, '.ts'));
        else imported.add(specifier!);
      }
    };
    visit('./index.ts');
    expect(visited.has('./event-time.ts') && visited.has('./card-number.ts') && visited.has('./tap.ts')).toBe(true);
    expect(visited.has('./tap-schema.ts')).toBe(false);
    expect([...imported]).toEqual([]);
  });
});

describe('tapRequestSchema and safeParseTapRequest', () => {
  it('accept one tap or a batch, and give back fresh values', () => {
    for (const body of [busWire, { taps: [metroWire, taxiWire] }]) {
      const result = safeParseTapRequest(body);
      expect(result).toEqual({ success: true, data: body });
      expect(result.data).not.toBe(body);
      expect(tapRequestSchema.parse(body)).toEqual(body);
    }
  });
});

describe('tapAcceptedSchema', () => {
  it('is { accepted } and nothing else', () => {
    expect(tapAcceptedSchema.parse({ accepted: 3 })).toEqual({ accepted: 3 });
    expect(tapAcceptedSchema.safeParse({ accepted: 0 }).success).toBe(false);
    expect(tapAcceptedSchema.safeParse({ accepted: 1, taps: [] }).success).toBe(false);
  });
});

describe('z.toJSONSchema', () => {
  const schema = z.toJSONSchema(tapRequestSchema, { target: 'draft-2020-12' }) as JsonObject;
  type JsonObject = { [key: string]: any };
  const [single, batch] = schema['anyOf'] as JsonObject[];
  const options = single!['oneOf'] as JsonObject[];
  const byMode = Object.fromEntries(options.map((option) => [option['properties']['mode']['const'], option]));

  it('is draft 2020-12, one tap (by mode) or a batch, both described', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(byMode)).toEqual(['metro', 'bus', 'taxi']);
    expect(batch!['properties']['taps']['items']).toEqual(single);
    for (const described of [schema, single!, batch!, ...options]) expect(described['description']).toMatch(/^[A-Z].{30,}/);
  });

  it('describes every field, with an example', () => {
    const fields: Record<Mode, string[]> = {
      metro: ['tapId', 'deviceId', 'operatorId', 'account', 'mode', 'kind', 'stationId', 'eventTime'],
      bus: ['tapId', 'deviceId', 'operatorId', 'account', 'mode', 'kind', 'routeId', 'vehicleId', 'eventTime'],
      taxi: ['tapId', 'deviceId', 'operatorId', 'account', 'mode', 'kind', 'vehicleId', 'eventTime', 'distanceM', 'durationS', 'waitingS'],
    };
    for (const mode of modes) {
      const option = byMode[mode]!;
      expect(Object.keys(option['properties'])).toEqual(fields[mode]);
      expect(option['required']).toEqual(fields[mode]);
      expect(option['additionalProperties']).toBe(false);
      for (const field of fields[mode]) {
        const { description, examples } = option['properties'][field];
        expect([mode, field, description]).toEqual([mode, field, expect.stringMatching(/^.{20,}/)]);
        expect([mode, field, Array.isArray(examples) && examples.length >= 1]).toEqual([mode, field, true]);
      }
    }
    expect(batch!['properties']['taps']['description']).toMatch(/at least 1/);
  });

  it('carries the enums and limits', () => {
    expect(byMode['metro']!['properties']['kind']).toMatchObject({ type: 'string', enum: ['in', 'out'] });
    expect(byMode['bus']!['properties']['kind']).toMatchObject({ enum: ['single'] });
    expect(byMode['taxi']!['properties']['distanceM']).toMatchObject({ type: 'integer', minimum: 0, maximum: distanceMMax });
    expect(byMode['taxi']!['properties']['waitingS']).toMatchObject({ type: 'integer', minimum: 0, maximum: durationSMax });
    expect(byMode['bus']!['properties']['tapId']).toMatchObject({ minLength: 1, maxLength: idLengthMax, pattern: '^[A-Za-z0-9._:-]+$' });
    expect(byMode['bus']!['properties']['account']).toMatchObject({ minLength: 1, maxLength: accountLengthMax });
    expect(byMode['bus']!['properties']['eventTime']).toMatchObject({ type: 'string', format: 'date-time' });
    expect(batch).toMatchObject({ required: ['taps'], additionalProperties: false });
    expect(batch!['properties']['taps']).toMatchObject({ type: 'array', minItems: 1 });
    expect(batch!['properties']['taps']['maxItems']).toBeUndefined();
  });

  it('is the same for the compiled schema and the runtime one', () => {
    expect(z.toJSONSchema(tapRequestSchema.clone(), { target: 'draft-2020-12' })).toEqual(schema);
    expect(z.toJSONSchema(tapAcceptedSchema, { target: 'draft-2020-12' })).toMatchObject({
      properties: { accepted: { type: 'integer', minimum: 1 } }, required: ['accepted'], additionalProperties: false,
    });
  });

  it('has an eventTime pattern that every accepted time matches and shapes parseEventTime refuses do not', () => {
    const pattern = new RegExp(byMode['bus']!['properties']['eventTime']['pattern'] as string);
    for (const text of ['2026-03-02T08:15:30.250+08:00', '2026-03-02t00:15:30z', '2026-03-02T08:15:30.5-09:30', '2000-01-01T00:00:00Z']) {
      expect([text, parseEventTime(text).ok, pattern.test(text)]).toEqual([text, true, true]);
    }
    for (const text of ['2026-03-02T08:15:30', '2026-03-02T08:15:30+0800', '2026-03-02 08:15:30Z', '2026-03-02T08:15:30.1234Z', '2026-03-02T08:15:30.Z']) {
      expect([text, parseEventTime(text).ok, pattern.test(text)]).toEqual([text, false, false]);
    }
  });
});

// Differential tests: generated wire taps against the domain's own validator (parseTap),
// and the compiled schema against zod's runtime parser.

/** mulberry32: small and seeded, so every run checks the same cases. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A generated tap: its fields (without times), its times, and both of its forms. */
interface Case {
  readonly fields: Wire;
  readonly eventTimeMs: number;
  readonly utcOffsetMin: number;
  readonly eventTime: string;
  readonly receivedAtMs: number;
}

const wireOfCase = (c: Case): Wire => ({ ...c.fields, eventTime: c.eventTime });
const domainOfCase = (c: Case): Wire => ({ ...c.fields, eventTimeMs: c.eventTimeMs, utcOffsetMin: c.utcOffsetMin, receivedAtMs: c.receivedAtMs });

function generator(seed: number) {
  const random = randomFrom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(values: readonly T[]): T => values[int(0, values.length - 1)]!;
  const edgeInt = (min: number, max: number) => pick([min, max, int(min, max), int(min, max)]);
  const text = (alphabet: string, lengthMax: number) => {
    let value = '';
    for (let length = edgeInt(1, lengthMax); value.length < length;) value += alphabet[int(0, alphabet.length - 1)];
    return value;
  };
  const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-';
  const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, index) => String.fromCharCode(0x21 + index)).join('');
  const id = () => text(idAlphabet, idLengthMax);
  const account = (): string => {
    const value = text(printable, accountLengthMax);
    return looksLikeCardNumber(value) ? account() : value;
  };

  return (): Case => {
    const mode = pick(modes);
    const common = { tapId: id(), deviceId: id(), operatorId: id(), account: account(), mode };
    const durationS = edgeInt(0, durationSMax);
    const fields: Wire =
      mode === 'metro' ? { ...common, kind: pick(['in', 'out']), stationId: id() }
      : mode === 'bus' ? { ...common, kind: 'single', routeId: id(), vehicleId: id() }
      : { ...common, kind: 'metered', vehicleId: id(), distanceM: edgeInt(0, distanceMMax), durationS, waitingS: edgeInt(0, durationS) };
    // 0..3 fraction digits: the instant is a whole number of 10^(3 - digits) ms.
    const fractionDigits = int(0, 3);
    const utcOffsetMin = pick([0, utcOffsetMinMin, utcOffsetMinMax, int(utcOffsetMinMin, utcOffsetMinMax)]);
    const rawMs = edgeInt(timeMsMin, timeMsMax);
    const eventTimeMs = rawMs - (rawMs % 10 ** (3 - fractionDigits));
    const canonical = formatEventTime(eventTimeMs, utcOffsetMin);
    let eventTime = canonical.slice(0, 19) + (fractionDigits === 0 ? '' : canonical.slice(19, 20 + fractionDigits)) + canonical.slice(23);
    if (random() < 0.2) eventTime = eventTime.replace('T', 't').replace('Z', 'z');
    if (utcOffsetMin === 0 && random() < 0.3) eventTime = eventTime.replace(/[Zz]$/, '+00:00');
    return { fields, eventTimeMs, utcOffsetMin, eventTime, receivedAtMs: edgeInt(timeMsMin, timeMsMax) };
  };
}

/** RFC 3339 text of any instant and offset, unchecked, for times the rules refuse. */
function rawEventTime(eventTimeMs: number, utcOffsetMin: number): string {
  const local = new Date(eventTimeMs + utcOffsetMin * 60_000).toISOString().slice(0, 23);
  const offsetAbs = Math.abs(utcOffsetMin);
  const hhmm = `${String(Math.trunc(offsetAbs / 60)).padStart(2, '0')}:${String(offsetAbs % 60).padStart(2, '0')}`;
  return `${local}${utcOffsetMin < 0 ? '-' : '+'}${hhmm}`;
}

/** One-field mutations of a case that both validators must refuse: [label, mutated case]. */
function mutations(c: Case): [string, Case][] {
  const mode = c.fields['mode'] as Mode;
  const withField = (key: string, value: unknown): Case => ({ ...c, fields: { ...c.fields, [key]: value } });
  const without = (key: string): Case => {
    const { [key]: _removed, ...fields } = c.fields;
    return { ...c, fields };
  };
  const withTime = (eventTimeMs: number, utcOffsetMin: number): Case => ({
    ...c, eventTimeMs, utcOffsetMin, eventTime: rawEventTime(eventTimeMs, utcOffsetMin),
  });
  const out: [string, Case][] = [];
  const ids = ['tapId', 'deviceId', 'operatorId', ...{ metro: ['stationId'], bus: ['routeId', 'vehicleId'], taxi: ['vehicleId'] }[mode]];
  for (const key of ids) {
    for (const value of ['', 'x'.repeat(idLengthMax + 1), 'a/b', 'a b', 'é', 'a\u0000', 7, null, true, ['a'], {}]) {
      out.push([`${key}=${JSON.stringify(value)}`, withField(key, value)]);
    }
    out.push([`no ${key}`, without(key)]);
  }
  for (const value of ['', 'a'.repeat(accountLengthMax + 1), 'wa 1', 'wa_账户', 'wa\u007f', 7, null]) {
    out.push([`account=${JSON.stringify(value)}`, withField('account', value)]);
  }
  out.push(['no account', without('account')]);
  for (const value of ['ferry', 'Metro', 7, null]) out.push([`mode=${JSON.stringify(value)}`, withField('mode', value)]);
  out.push(['no mode', without('mode')]);
  for (const kind of [...tapKinds, 'exit', 'IN', 7]) {
    if (kind !== c.fields['kind'] && !(mode === 'metro' && (kind === 'in' || kind === 'out'))) {
      out.push([`kind=${JSON.stringify(kind)}`, withField('kind', kind)]);
    }
  }
  out.push(['no kind', without('kind')]);
  const foreign = { metro: ['routeId', 'vehicleId', 'distanceM'], bus: ['stationId', 'durationS'], taxi: ['stationId', 'routeId'] }[mode];
  for (const key of [...foreign, 'zone', 'StationId']) out.push([`extra ${key}`, withField(key, key.endsWith('S') || key.endsWith('M') ? 1 : 'x')]);
  if (mode === 'taxi') {
    for (const [key, max] of [['distanceM', distanceMMax], ['durationS', durationSMax], ['waitingS', durationSMax]] as const) {
      for (const value of [-1, max + 1, 1.5, '3', null, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        out.push([`${key}=${String(value)}`, withField(key, value)]);
      }
      out.push([`no ${key}`, without(key)]);
    }
    const durationS = c.fields['durationS'] as number;
    if (durationS < durationSMax) out.push(['waitingS > durationS', withField('waitingS', durationS + 1)]);
  }
  out.push(['eventTime before 2000', withTime(timeMsMin - 1 - Math.floor(c.eventTimeMs % 1_000_000), c.utcOffsetMin)]);
  out.push(['eventTime after 2199', withTime(timeMsMax + 1 + Math.floor(c.eventTimeMs % 1_000_000), c.utcOffsetMin)]);
  out.push(['offset past +14:00', withTime(c.eventTimeMs, utcOffsetMinMax + 1 + (c.eventTimeMs % 60))]);
  out.push(['offset before -12:00', withTime(c.eventTimeMs, utcOffsetMinMin - 1 - (c.eventTimeMs % 60))]);
  return out;
}

/** The field parseTap names, or null when it accepts. */
function domainRejection(input: Wire): string | null {
  try {
    parseTap(input);
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
}

/** The wire fields the schema names, with eventTime spelt as the domain field it becomes. */
function wireRejection(input: Wire, domainField: string | null): string[] | null {
  const result = tapInputSchema.safeParse(input);
  if (result.success) return null;
  return fieldIssues(result.error).map((issue) => {
    const field = String(issue.path[0] ?? '');
    return field === 'eventTime' && (domainField === 'eventTimeMs' || domainField === 'utcOffsetMin') ? domainField : field;
  });
}

describe('differential: the wire schema and parseTap', () => {
  const cases = Array.from({ length: 3_000 }, generator(20_260_302));

  it('generates every mode, offset bounds and fraction lengths', () => {
    const seen = new Set(cases.map((c) => c.fields['mode']));
    expect([...seen].sort()).toEqual(['bus', 'metro', 'taxi']);
    const fractions = new Set(cases.map((c) => /\.(\d+)/.exec(c.eventTime)?.[1]?.length ?? 0));
    expect([...fractions].sort()).toEqual([0, 1, 2, 3]);
    expect(cases.some((c) => c.utcOffsetMin === utcOffsetMinMin) && cases.some((c) => c.utcOffsetMin === utcOffsetMinMax)).toBe(true);
  });

  it('parseTap(toTap(x)) equals toTap(x) for valid generated taps', () => {
    for (const c of cases) {
      const wire = wireOfCase(c);
      const result = tapInputSchema.safeParse(wire);
      if (!result.success) expect([wire, fieldIssues(result.error)]).toEqual([wire, []]);
      const tap = toTap(result.data as TapInput, c.receivedAtMs);
      const again = parseTap(tap);
      if (JSON.stringify(again) !== JSON.stringify(tap)) expect(again).toEqual(tap);
      expect([tap.eventTimeMs, tap.utcOffsetMin]).toEqual([c.eventTimeMs, c.utcOffsetMin]);
      expect(parseTap(domainOfCase(c))).toEqual(tap);
    }
  });

  it('both refuse every one-field mutation, naming the same field', () => {
    let checked = 0;
    for (const c of cases.slice(0, 600)) {
      for (const [label, mutated] of mutations(c)) {
        const domainField = domainRejection(domainOfCase(mutated));
        const wireFields = wireRejection(wireOfCase(mutated), domainField);
        const agrees = domainField !== null && wireFields !== null && wireFields.includes(domainField);
        if (!agrees) expect({ label, mutated: wireOfCase(mutated), domainField, wireFields }).toBe('both refusing');
        checked += 1;
      }
    }
    expect(checked).toBe(53_835); // mutations of the first 600 seeded cases
  });

  it.each<[string, Wire]>([
    ['an account that looks like a card number', { ...busWire, account: '4111111111111111' }],
    ['an unknown field set to undefined (msgpackr can decode one)', { ...busWire, zone: undefined }],
  ])('only the wire refuses %s', (_name, wire) => {
    expect(tapInputSchema.safeParse(wire).success).toBe(false);
    const { eventTime: _eventTime, ...rest } = wire;
    expect(domainRejection({ ...rest, eventTimeMs: busTap.eventTimeMs, utcOffsetMin: 480, receivedAtMs: busTap.receivedAtMs })).toBeNull();
  });
});

describe('differential: the compiled schemas and zod\'s runtime parser', () => {
  const runtime = tapInputSchema.clone();

  it('compares a compiled schema with a runtime one', () => {
    expect('fallbackRun' in tapInputSchema._zod.bag).toBe(true);
    expect('fallbackRun' in runtime._zod.bag).toBe(false);
    expect(() => z.compile(tapRequestSchema.clone(), { strict: true })).not.toThrow();
  });

  it('give the same result for valid and invalid generated taps', () => {
    const cases = Array.from({ length: 300 }, generator(7));
    for (const c of cases) {
      for (const wire of [wireOfCase(c), ...mutations(c).map(([, mutated]) => wireOfCase(mutated))]) {
        const fast = tapInputSchema.safeParse(wire);
        const slow = runtime.safeParse(wire);
        if (fast.success !== slow.success || JSON.stringify(fast) !== JSON.stringify(slow)) expect(fast).toEqual(slow);
      }
    }
    const batch = { taps: cases.map(wireOfCase) };
    expect(tapBatchSchema.parse(batch)).toEqual(tapBatchSchema.clone().parse(batch));
  });
});

// Opt-in measurement, never a timing assertion:
// FARELEDGER_MEASURE=1 npx vitest run shared/domain/src/tap-schema.test.ts
describe.runIf(process.env['FARELEDGER_MEASURE'] === '1')('measures', () => {
  it('the parse cost of one valid tap', () => {
    const runtime = tapInputSchema.clone();
    const measure = (name: string, parse: () => boolean, rounds = 200_000) => {
      for (let round = 0; round < rounds / 10; round += 1) parse();
      const started = process.hrtime.bigint();
      let ok = 0;
      for (let round = 0; round < rounds; round += 1) ok += parse() ? 1 : 0;
      const perParseNs = Number(process.hrtime.bigint() - started) / rounds;
      console.log(`${name}: ${(perParseNs / 1000).toFixed(2)} µs`);
      expect(ok).toBe(rounds);
    };
    measure('compiled safeParse, taxi', () => tapInputSchema.safeParse(taxiWire).success);
    measure('compiled safeParse, metro', () => tapInputSchema.safeParse(metroWire).success);
    measure('runtime safeParse, taxi', () => runtime.safeParse(taxiWire).success);
    const parsed = tapInputSchema.parse(taxiWire);
    measure('toTap, taxi', () => toTap(parsed, taxiTap.receivedAtMs).mode === 'taxi');
    const batch = { taps: Array.from({ length: 100 }, () => taxiWire) };
    measure('compiled safeParse, batch of 100 taxi taps', () => tapBatchSchema.safeParse(batch).success, 5_000);
  });
});
