import { z } from 'zod';
import { assert } from './assert.js';
import { looksLikeCardNumber } from './card-number.js';
import { parseEventTime } from './event-time.js';
import { accountLengthMax, distanceMMax, durationSMax, idLengthMax, timeMsMax, timeMsMin } from './limits.js';
import type { Tap } from './tap.js';

// The wire schema of `POST /v1/taps`: what a gate, validator or POS terminal sends, as JSON
// or MessagePack. The OpenAPI document and its docs page are generated from it
// (`z.toJSONSchema`), so every field's description is written for a device integrator.
// The rules are the domain's (fields.ts, limits.ts) and the differential test in
// tap-schema.test.ts holds the two to agreement; on top of them the wire refuses account
// tokens that look like card numbers and reads eventTime as RFC 3339 text (event-time.ts).
// Messages follow fields.ts ("must be 1..64 characters") and never quote the value, so a
// card number cannot leak into an error response or a log.
//
// Parse cost of one valid taxi tap, Node 20 on this 2-core AMD EPYC, under tsx (best of 5
// runs of 200,000 after warm-up): safeParse 2.8 µs on zod's runtime parser, 0.63 µs with
// z.compile (generated code; invalid input falls back to the runtime parser, so errors are
// the same), so the exported schemas are compiled. toTap adds 0.17 µs (parseEventTime is
// 0.15), a batch of 100 taps parses in 60 µs. At ingest's 20k req/s of single taps that
// is 1.6% of one core. The opt-in "measures" test in tap-schema.test.ts reads 3 to 5
// times higher under vitest on a busy machine (load 3 to 4 while measuring).

// Same patterns as fields.ts, which does not export them.
const idPattern = /^[A-Za-z0-9._:-]+$/;
const accountPattern = /^[\x21-\x7e]+$/;

/** Pattern for docs and generated clients; parseEventTime is stricter (calendar, ranges). */
const eventTimePattern = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?([Zz]|[+-]\\d{2}:\\d{2})$';

const idRule = `1..${idLengthMax} characters of A-Z a-z 0-9 . _ : - (no slash, no spaces)`;

function requiredString(): z.ZodString {
  return z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });
}

/** An identifier by the domain's rule (fields.ts checkId). */
function identifier(description: string, example: string) {
  const lengthMessage = `must be 1..${idLengthMax} characters`;
  return requiredString()
    .min(1, { error: lengthMessage, abort: true })
    .max(idLengthMax, { error: lengthMessage, abort: true })
    .regex(idPattern, { error: 'may hold only A-Z a-z 0-9 . _ : -' })
    .meta({ description: `${description} ${idRule}.`, examples: [example] });
}

/** A whole number by the domain's rule (fields.ts checkInt). */
function integer(min: number, max: number, description: string, example: number) {
  const rangeMessage = `must be an integer in ${min}..${max}`;
  return z
    .int({ error: (issue) => (issue.input === undefined ? 'is required' : rangeMessage) })
    .min(min, { error: rangeMessage })
    .max(max, { error: rangeMessage })
    .meta({ description, examples: [example] });
}

const tapId = identifier(
  'The tap\'s number on this device: never reused by the device, so that a retried request is recognized ' +
    'as the same tap (the ledger\'s key for a tap is deviceId/tapId).',
  'g042-000123',
);
const deviceId = identifier('The gate, bus validator or taxi POS terminal, as registered with Fareledger.', 'szm-l1-g042');
const operatorId = identifier('The transit operator that sells the ride and issues its invoice.', 'szmc');

const account = requiredString()
  .min(1, { error: `must be 1..${accountLengthMax} characters`, abort: true })
  .max(accountLengthMax, { error: `must be 1..${accountLengthMax} characters`, abort: true })
  // Before the alphabet: a card number as printed on the card (4111 1111 1111 1111) is
  // refused for what it is, so the integrator learns the device sends card data, not that
  // it should drop the spaces. Spaces are never in a valid token, so nothing else changes.
  .refine((value) => !looksLikeCardNumber(value.includes(' ') ? value.replaceAll(' ', '-') : value), {
    error: 'looks like a payment card number; send the wallet account token, never card data',
    abort: true,
  })
  .regex(accountPattern, { error: 'must be printable ASCII without spaces' })
  .meta({
    description:
      'The passenger\'s wallet account token, as read from the wallet app (QR code or NFC): opaque, ' +
      `1..${accountLengthMax} printable ASCII characters (0x21..0x7e, no spaces). Never a payment card number: ` +
      'a token holding 13..19 digits, alone or in groups joined by - or . (or spaces, as printed on a card), that start with a major card network\'s ' +
      'prefix (Visa, Mastercard, American Express, UnionPay, Discover, JCB, Diners Club), have a length it issues ' +
      'and pass the Luhn check is refused, so that card data never enters the ledger.',
    examples: ['wa_7Hq2xK9p'],
  });

const eventTime = requiredString()
  .superRefine((value, context) => {
    const parsed = parseEventTime(value);
    if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message, params: { reason: parsed.reason } });
  })
  .meta({
    description:
      'When the tap happened, by the device\'s clock, as an RFC 3339 date-time with the device\'s UTC offset: ' +
      'YYYY-MM-DDTHH:MM:SS, optionally a fraction of 1..3 digits (milliseconds are kept, so more digits are ' +
      'refused rather than cut), then Z or ±HH:MM with a colon. -00:00 (offset unknown) is refused: the offset ' +
      'prints local time on invoices. Offsets -12:00..+14:00; the instant must be from 2000-01-01T00:00:00Z to ' +
      '2199-12-31T23:59:59.999Z, and near ingest\'s clock (the service\'s skew limits).',
    examples: ['2026-03-02T08:15:30.250+08:00', '2026-03-02T00:15:30.250Z'],
    format: 'date-time',
    pattern: eventTimePattern,
  });

/** Builds the mode's `kind` field; its messages name the mode, since the mode chose the rule. */
function kindOf<const K extends readonly [string, ...string[]]>(mode: string, kinds: K, description: string) {
  const allowed = kinds.map((kind) => `'${kind}'`).join(' or ');
  return z
    .enum(kinds, {
      error: (issue) => {
        if (issue.input === undefined) return `is required: ${allowed} for a ${mode} tap`;
        const known = ['in', 'out', 'single', 'metered'].includes(issue.input as string);
        return known ? `a ${mode} tap cannot be '${String(issue.input)}'; its kind is ${allowed}` : `must be ${allowed} for a ${mode} tap`;
      },
    })
    .meta({ description, examples: [kinds[0]] });
}

/** The message of an object's unknown fields, with a hint when only the letter case is wrong. */
function unknownFieldsMessage(keys: readonly string[], known: readonly string[], label: string): string {
  const names = keys.map((key) => JSON.stringify(key)).join(', ');
  const hints = keys.flatMap((key) => {
    const field = known.find((name) => name !== key && name.toLowerCase() === key.toLowerCase());
    return field === undefined ? [] : [`"${field}"`];
  });
  const hint = hints.length === 0 ? '' : ` (did you mean ${hints.join(', ')}?)`;
  return `${names} ${keys.length === 1 ? 'is not a field' : 'are not fields'} of ${label}${hint}`;
}

/** A strict object: an unknown field (a typo such as `stationID`) is an error, never dropped. */
function strictObject<const S extends z.core.$ZodLooseShape>(shape: S, label: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return unknownFieldsMessage(issue.keys, known, label);
      return issue.input === undefined ? 'is required' : 'must be an object';
    },
  });
}

const common = { tapId, deviceId, operatorId, account };

const metroTapInputSchema = strictObject(
  {
    ...common,
    mode: z.literal('metro').meta({ description: 'Transport mode: metro, a station gate.', examples: ['metro'] }),
    kind: kindOf('metro', ['in', 'out'], '\'in\' when the passenger enters through the gate, \'out\' on leaving; the fare is priced from the pair.'),
    stationId: identifier('The gate\'s station, in the operator\'s station codes.', 'L1-S07'),
    eventTime,
  },
  'a metro tap',
).meta({ description: 'A tap at a metro station gate, on entry (kind in) or exit (kind out).' });

const busTapInputSchema = strictObject(
  {
    ...common,
    mode: z.literal('bus').meta({ description: 'Transport mode: bus, a validator on board.', examples: ['bus'] }),
    kind: kindOf('bus', ['single'], '\'single\': one tap on boarding, at the route\'s flat fare.'),
    routeId: identifier('The route the bus is serving when the passenger boards.', 'M375'),
    vehicleId: identifier('The bus, by fleet number or plate.', 'B-75321'),
    eventTime,
  },
  'a bus tap',
).meta({ description: 'A tap on a bus validator when boarding.' });

const taxiTapInputSchema = strictObject(
  {
    ...common,
    mode: z.literal('taxi').meta({ description: 'Transport mode: taxi, a POS terminal in the cab.', examples: ['taxi'] }),
    kind: kindOf('taxi', ['metered'], '\'metered\': one tap at the end of a metered ride, carrying the meter readings.'),
    vehicleId: identifier('The taxi, by plate or fleet number.', 'YB-D12345'),
    eventTime,
    distanceM: integer(0, distanceMMax, `Metered distance of the ride in whole metres, 0..${distanceMMax} (1,000 km).`, 8_350),
    durationS: integer(0, durationSMax, `Duration of the ride in whole seconds, meter start to stop, 0..${durationSMax} (24 h).`, 1_260),
    waitingS: integer(0, durationSMax, 'Part of durationS billed as waiting time (stopped or in slow traffic), whole seconds, 0..durationS.', 95),
  },
  'a taxi tap',
)
  .superRefine((tap, context) => {
    // Compared only when both are valid on their own, so a bad durationS is one issue, not
    // two. (A zod `when` option would say the same, but z.compile cannot compile it.)
    const bothValid = isDuration(tap.durationS) && isDuration(tap.waitingS);
    if (bothValid && tap.waitingS > tap.durationS) {
      context.addIssue({ code: 'custom', path: ['waitingS'], message: `must not exceed durationS (${tap.durationS})` });
    }
  })
  .meta({ description: 'A tap on a taxi POS terminal at the end of a metered ride: eventTime is the end of the ride.' });

function isDuration(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= durationSMax;
}

const tapInputRuntime = z
  .discriminatedUnion('mode', [metroTapInputSchema, busTapInputSchema, taxiTapInputSchema], {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return 'must be an object (one tap)';
      const mode = (issue.input as Record<string, unknown>)['mode'];
      return mode === undefined ? 'is required: metro, bus or taxi' : 'must be metro, bus or taxi';
    },
  })
  .meta({
    description:
      'One fare tap. `mode` chooses the fields: metro (kind in/out, stationId), bus (kind single, routeId, ' +
      'vehicleId) or taxi (kind metered, vehicleId and meter readings). Unknown fields are refused.',
  });

/**
 * One tap as a device posts it. The mode chooses the fields: a bus tap cannot carry a
 * station, a metro tap cannot carry meter readings. Compiled (see the parse cost above);
 * `z.compile` keeps the metadata, so toJSONSchema gives the same document.
 */
export const tapInputSchema = z.compile(tapInputRuntime);

export type TapInput = z.output<typeof tapInputSchema>;

const tapBatchRuntime = strictObject(
  {
    taps: z
      .array(tapInputRuntime, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a list of taps') })
      .min(1, { error: 'must hold at least 1 tap' })
      .meta({ description: 'The taps, in the device\'s order; at least 1, at most the service\'s batch limit.' }),
  },
  'a batch',
).meta({
  description:
    'Several taps in one request, all or nothing: if one tap is invalid, none is accepted, and the error ' +
    'names it by its index (/taps/3/eventTime). The most taps per request is a limit of the service.',
});

/** Several taps in one request. Its length limit is the service's (checked before parsing). */
export const tapBatchSchema = z.compile(tapBatchRuntime);

export type TapBatch = z.output<typeof tapBatchSchema>;

const tapRequestRuntime = z.union([tapInputRuntime, tapBatchRuntime]).meta({
  description:
    'One tap, or a batch { "taps": [...] }, as JSON or MessagePack (same fields). Safe to retry: a tap is ' +
    'identified by deviceId/tapId, so one sent twice is kept once.',
});

/** The body of `POST /v1/taps`. For parsing, prefer safeParseTapRequest (better error paths). */
export const tapRequestSchema = z.compile(tapRequestRuntime);

export type TapRequest = z.output<typeof tapRequestSchema>;

/**
 * Parses a request body by tapRequestSchema's rules, choosing the branch by the `taps` key,
 * so that every issue names its field (`['taps', 3, 'eventTime']`, or `['tapId']` for one
 * tap). A plain union reports only "Invalid input" at the root when both branches fail on
 * a type error, as for a single tap with a numeric tapId.
 */
export function safeParseTapRequest(body: unknown): z.ZodSafeParseResult<TapRequest> {
  const isBatch = typeof body === 'object' && body !== null && Object.hasOwn(body, 'taps');
  return isBatch ? tapBatchSchema.safeParse(body) : tapInputSchema.safeParse(body);
}

/** One problem with one field: a path that ingest turns into a JSON Pointer, and a message. */
export interface FieldIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The issues of a failed parse, one per field. Zod reports all unknown fields of an
 * object as one issue at the object; this splits it so each names its field.
 */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map((key) => (typeof key === 'number' ? key : String(key)));
    if (issue.code !== 'unrecognized_keys') {
      issues.push({ path, message: issue.message });
      continue;
    }
    for (const key of issue.keys) {
      issues.push({ path: [...path, key], message: unknownFieldsMessage([key], wireFieldNames, 'this object') });
    }
  }
  return issues;
}

/** Every field name on the wire, for "did you mean" hints. */
const wireFieldNames = [
  ...new Set([metroTapInputSchema, busTapInputSchema, taxiTapInputSchema, tapBatchRuntime].flatMap((schema) => Object.keys(schema.shape))),
];

/**
 * The 202 body. All or nothing: `accepted` is the number of taps in the request, every one
 * of them durable (including taps already accepted by an earlier try), so the device may
 * drop them from its queue. Nothing per tap: a tap's key (deviceId/tapId) is the
 * device's own, and the Kafka partition is internal.
 */
export const tapAcceptedSchema = z
  .strictObject({
    accepted: z.int().min(1).meta({
      description: 'How many taps of the request are accepted: all of them. Each is durable and will be priced and invoiced.',
      examples: [1],
    }),
  })
  .meta({
    description:
      '202 Accepted: every tap of the request is durable (a retried tap counts as accepted too); the device ' +
      'may delete them from its queue.',
  });

export type TapAccepted = z.output<typeof tapAcceptedSchema>;

/**
 * The domain Tap of a parsed wire tap, with ingest's clock as receivedAtMs. Object
 * literals in the ledger's field order (tap.ts): spreads measured slow on Node 20.
 */
export function toTap(input: TapInput, receivedAtMs: number): Tap {
  assert(Number.isSafeInteger(receivedAtMs) && receivedAtMs >= timeMsMin && receivedAtMs <= timeMsMax, 'receivedAtMs out of range');
  const time = parseEventTime(input.eventTime);
  assert(time.ok, 'toTap takes a tap parsed by tapInputSchema');
  const { eventTimeMs, utcOffsetMin } = time;
  switch (input.mode) {
    case 'metro':
      return {
        tapId: input.tapId, deviceId: input.deviceId, operatorId: input.operatorId, account: input.account,
        mode: 'metro', kind: input.kind,
        stationId: input.stationId,
        eventTimeMs, utcOffsetMin, receivedAtMs,
      };
    case 'bus':
      return {
        tapId: input.tapId, deviceId: input.deviceId, operatorId: input.operatorId, account: input.account,
        mode: 'bus', kind: 'single',
        routeId: input.routeId,
        vehicleId: input.vehicleId,
        eventTimeMs, utcOffsetMin, receivedAtMs,
      };
    case 'taxi':
      // `+ 0` turns -0 (valid JSON) into 0, as parseTap does, so equal taps are identical.
      return {
        tapId: input.tapId, deviceId: input.deviceId, operatorId: input.operatorId, account: input.account,
        mode: 'taxi', kind: 'metered',
        vehicleId: input.vehicleId,
        eventTimeMs, utcOffsetMin,
        distanceM: input.distanceM + 0, durationS: input.durationS + 0, waitingS: input.waitingS + 0,
        receivedAtMs,
      };
  }
}
