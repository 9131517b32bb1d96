import { encodeEntry } from '@fareledger/codecs';
import { eventTimeSkewIssue, type Tap, tapEntry, tapKey } from '@fareledger/domain';
import { fieldIssues, safeParseTapRequest, type TapInput, toTap } from '@fareledger/domain/tap-schema';
import { type InvalidParam, invalidRequest, jsonPointer, problem, readBodyLimited } from '@fareledger/runtime';
import { LogOverloadedError, type TapLog, type TapRecord } from '@fareledger/tap-log';
import type { Context } from 'hono';
import { authenticateDevice, type DeviceDoor, type Signer } from './device-door.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { bodyEncodingOf, mediaTypes } from './media-type.js';
import { ingestProblemTypes } from './problem-types.js';
import { decodeBody, MalformedBodyError } from './tap-body.js';

export interface TapsRouteOptions {
  readonly door: DeviceDoor;
  readonly tapLog: TapLog;
  readonly metrics: IngestMetrics;
  readonly batchTapsMax: number;
  readonly bodyBytesMax: number;
  readonly eventTimeFutureMsMax: number;
  readonly eventTimePastMsMax: number;
  /** Seconds a client should wait after a 503 from the log. */
  readonly unavailableRetryAfterS: number;
}

const acceptedMediaTypes = [...mediaTypes.json, ...mediaTypes.msgpack].join(', ');

/**
 * POST /v1/taps. Checks run cheapest and least revealing first: media type, then the
 * device signature (over the raw bytes, before any parsing of untrusted input), then the
 * taps. A request is all-or-nothing: any bad tap refuses the whole request, and 202 means
 * every tap is durable in the tap log.
 */
export function tapsHandler(options: TapsRouteOptions): (c: Context) => Promise<Response> {
  return async (c) => {
    const encoding = bodyEncodingOf(c.req.header('content-type'));
    if (encoding === undefined) {
      throw problem('unsupported-media-type', `Send taps as ${acceptedMediaTypes}.`, { headers: { Accept: acceptedMediaTypes } });
    }
    const body = await readBodyLimited(c, options.bodyBytesMax);
    const signer = authenticateDevice(options.door, c, body);
    const inputs = parseTapInputs(body, encoding, options.batchTapsMax);
    checkSignerOwnsTaps(signer, inputs.taps, inputs.pointerPrefix);
    const receivedAtMs = options.door.nowMs();
    const taps = inputs.taps.map((input) => toTap(input, receivedAtMs));
    checkEventTimes(taps, receivedAtMs, options, inputs.pointerPrefix);
    await appendDurably(options, taps, receivedAtMs);
    return c.json({ accepted: taps.length }, 202);
  };
}

interface TapInputs {
  readonly taps: readonly TapInput[];
  /** `/taps` for a batch, `` for a single tap: where a tap's JSON Pointer starts. */
  readonly pointerPrefix: string;
}

function parseTapInputs(body: Uint8Array, encoding: 'json' | 'msgpack', batchTapsMax: number): TapInputs {
  let value: unknown;
  try {
    value = decodeBody(body, encoding);
  } catch (error) {
    if (error instanceof MalformedBodyError) throw problem('malformed-body', `${error.message}.`);
    throw error;
  }
  checkBatchLength(value, batchTapsMax);
  const parsed = safeParseTapRequest(value);
  if (!parsed.success) {
    throw invalidRequest(fieldIssues(parsed.error).map((issue) => ({ pointer: jsonPointer(issue.path), detail: issue.message })));
  }
  const inputs = 'taps' in parsed.data ? { taps: parsed.data.taps, pointerPrefix: '/taps' } : { taps: [parsed.data], pointerPrefix: '' };
  checkNoDuplicateTaps(inputs);
  return inputs;
}

/** Counted before the schema runs, so an oversized batch costs no parsing of its taps. */
function checkBatchLength(value: unknown, batchTapsMax: number): void {
  if (typeof value !== 'object' || value === null) return;
  const taps = (value as { taps?: unknown }).taps;
  if (!Array.isArray(taps) || taps.length <= batchTapsMax) return;
  throw problem(ingestProblemTypes['batch-too-large'], `The batch has ${taps.length} taps; at most ${batchTapsMax} are accepted per request.`, {
    extensions: { batchTapsMax },
  });
}

/** The same tap twice in one request is a device bug, not a retry: say so instead of storing it twice. */
function checkNoDuplicateTaps(inputs: TapInputs): void {
  if (inputs.taps.length < 2) return;
  const seen = new Map<string, number>();
  const errors: InvalidParam[] = [];
  inputs.taps.forEach((tap, index) => {
    const key = tapKey(tap);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else errors.push({ pointer: `${inputs.pointerPrefix}/${index}/tapId`, detail: `tap ${key} is already at index ${first} of this batch` });
  });
  if (errors.length > 0) throw invalidRequest(errors);
}

/** A device speaks only for itself: its id, its operator, its mode (docs/security.md). */
function checkSignerOwnsTaps(signer: Signer, taps: readonly TapInput[], pointerPrefix: string): void {
  const errors: InvalidParam[] = [];
  taps.forEach((tap, index) => {
    const at = pointerPrefix === '' ? '' : `${pointerPrefix}/${index}`;
    if (tap.deviceId !== signer.deviceId) errors.push({ pointer: `${at}/deviceId`, detail: `the request is signed by device ${signer.deviceId}` });
    if (tap.operatorId !== signer.operatorId) errors.push({ pointer: `${at}/operatorId`, detail: `device ${signer.deviceId} is registered to operator ${signer.operatorId}` });
    if (tap.mode !== signer.mode) errors.push({ pointer: `${at}/mode`, detail: `device ${signer.deviceId} is registered as a ${signer.mode} device` });
  });
  if (errors.length === 0) return;
  throw problem('forbidden', `The signing device may not post ${errors.length === 1 ? 'this tap' : 'these taps'}: see errors.`, { extensions: { errors } });
}

function checkEventTimes(taps: readonly Tap[], receivedAtMs: number, options: TapsRouteOptions, pointerPrefix: string): void {
  const limits = { futureMsMax: options.eventTimeFutureMsMax, pastMsMax: options.eventTimePastMsMax };
  const errors: InvalidParam[] = [];
  taps.forEach((tap, index) => {
    const issue = eventTimeSkewIssue(tap.eventTimeMs, receivedAtMs, limits);
    if (issue === null) return;
    const at = pointerPrefix === '' ? '' : `${pointerPrefix}/${index}`;
    errors.push({ pointer: `${at}/eventTime`, detail: issue });
  });
  if (errors.length > 0) throw invalidRequest(errors);
}

async function appendDurably(options: TapsRouteOptions, taps: readonly Tap[], receivedAtMs: number): Promise<void> {
  const records: TapRecord[] = taps.map((tap) => ({ key: tap.account, value: encodeEntry(tapEntry(tap)), timestampMs: receivedAtMs }));
  const stopTimer = options.metrics.appendDuration.startTimer();
  try {
    await options.tapLog.append(records);
  } catch (error) {
    if (error instanceof LogOverloadedError) {
      throw problem(ingestProblemTypes['tap-log-overloaded'], 'Too many taps are waiting to become durable; nothing of this request was accepted.', {
        headers: { 'Retry-After': '1' },
      });
    }
    // LogUnavailableError, LogClosedError, or anything else the log threw: not known durable.
    throw problem(ingestProblemTypes['tap-log-unavailable'], 'The tap log did not confirm these taps; keep them and retry with the same tapIds.', {
      headers: { 'Retry-After': String(options.unavailableRetryAfterS) },
      cause: error,
    });
  }
  stopTimer();
  for (const tap of taps) options.metrics.tapsAccepted.inc({ mode: tap.mode });
}
