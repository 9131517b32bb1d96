import { ValidationError } from './errors.js';
import {
  checkId, fenBounds, fieldOf, idCharClass, inheritsNoFields, isAccount, isCode, isId, isIntIn, isPlainRecord, RecordReader,
  timeMsBounds,
} from './fields.js';
import {
  accountLengthMax,
  distanceMMax,
  idLengthMax,
  reasonCodeLengthMax,
  tapKeyLengthMax,
  tripDurationMsMax,
} from './limits.js';
import { isMode, modes } from './mode.js';
import { tapKey, type Tap } from './tap.js';

export const tripStatuses = ['complete', 'incomplete'] as const;
export type TripStatus = (typeof tripStatuses)[number];

/**
 * Reason codes the batcher writes today. The field accepts any short code (lower-case words
 * joined by hyphens) so that a new pricing rule does not need a new schema version.
 */
export const tripReasonCodes = {
  /** Metro tap-in with no tap-out before the timeout: charged the maximum fare. */
  missingTapOut: 'missing-tap-out',
  /** Metro tap-out with no tap-in: charged the maximum fare. */
  missingTapIn: 'missing-tap-in',
  /** discountFen is a transfer discount. */
  transfer: 'transfer',
  /** discountFen brings the day's total down to the daily cap. */
  dailyCap: 'daily-cap',
} as const;

/** Fields every trip carries, whatever its mode. */
interface TripCommon {
  /** The key of its first tap: tripIdFor(firstTap) = `deviceId/tapId`. */
  readonly tripId: string;
  readonly account: string;
  readonly operatorId: string;
  /** First tap's event time and last tap's event time (equal for one-tap trips), UTC ms. */
  readonly startMs: number;
  readonly endMs: number;
  /** Travelled distance in metres, when known (always for taxi). */
  readonly distanceM?: number;
  readonly fareTableVersion: string;
  /** The full fare by the fare table. */
  readonly fareFen: number;
  /** Transfer discount or cap reduction; at most fareFen. */
  readonly discountFen: number;
  /** fareFen - discountFen: what the passenger pays. */
  readonly chargedFen: number;
  readonly reasonCode?: string;
}

/** Tapped in and out: both stations known. */
export interface MetroCompleteTrip extends TripCommon {
  readonly mode: 'metro';
  readonly status: 'complete';
  readonly tapKeys: readonly [string, string];
  readonly fromStationId: string;
  readonly toStationId: string;
}

/** One tap only, charged the maximum fare; exactly one of the stations is known. */
export interface MetroIncompleteTrip extends TripCommon {
  readonly mode: 'metro';
  readonly status: 'incomplete';
  readonly tapKeys: readonly [string];
  readonly fromStationId?: string;
  readonly toStationId?: string;
}

export interface BusTrip extends TripCommon {
  readonly mode: 'bus';
  readonly status: 'complete';
  readonly tapKeys: readonly [string];
  readonly routeId: string;
  readonly vehicleId: string;
}

export interface TaxiTrip extends TripCommon {
  readonly mode: 'taxi';
  readonly status: 'complete';
  readonly tapKeys: readonly [string];
  readonly vehicleId: string;
  readonly distanceM: number;
}

export type MetroTrip = MetroCompleteTrip | MetroIncompleteTrip;
/** A priced trip naming its taps. */
export type Trip = MetroTrip | BusTrip | TaxiTrip;

/** A trip's id is the key of its first tap: each tap starts at most one trip. */
export function tripIdFor(firstTap: Pick<Tap, 'deviceId' | 'tapId'>): string {
  return tapKey(firstTap);
}

/** `deviceId/tapId`, both valid identifiers (1..idLengthMax characters of idCharClass each). */
const tapKeyPattern = new RegExp(`^${idCharClass}{1,${idLengthMax}}/${idCharClass}{1,${idLengthMax}}$`);

/**
 * True when checkTapKey returns the value as it is; one regex test, without the split and
 * the two identifier checks (which name the fault, when there is one).
 */
export function isTapKey(value: unknown): value is string {
  return typeof value === 'string' && tapKeyPattern.test(value);
}

/** `deviceId/tapId`, both valid identifiers. */
export function checkTapKey(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'type', 'must be a string');
  if (value.length > tapKeyLengthMax) {
    throw new ValidationError(field, 'length', `must be at most ${tapKeyLengthMax} characters`);
  }
  const parts = value.split('/');
  if (parts.length !== 2) throw new ValidationError(field, 'charset', "must be 'deviceId/tapId'");
  checkId(field, parts[0]);
  checkId(field, parts[1]);
  return value;
}

/**
 * Checks an untrusted value and returns a fresh, valid Trip holding exactly its fields, in
 * the ledger's field order. Throws ValidationError naming the first bad field.
 */
export function parseTrip(input: unknown, path = ''): Trip {
  const r = new RecordReader(input, path);
  // Built field by field, in ledger order, and typed once every field has passed: object
  // spreads measured 0.8 µs each on Node 20, and optional fields sit mid-way. The first
  // six fields are always there, so they start the object as one literal.
  const tripId = r.value('tripId', checkTapKey, isTapKey);
  const account = r.account('account', accountLengthMax);
  const operatorId = r.id('operatorId');
  const mode = r.oneOf('mode', modes);
  const status = r.oneOf('status', tripStatuses);
  // A key equal to tripId is a valid tap key already: one regex test fewer per trip.
  const tapKeys = r.list('tapKeys', 2, checkTapKey, (value): value is string => value === tripId || isTapKey(value));
  const trip: Record<string, unknown> = { tripId, account, operatorId, mode, status, tapKeys };
  checkTaps(r, tripId, mode, status, tapKeys);
  readPlace(r, trip, mode, status);
  readTail(r, trip, mode === 'taxi');
  r.finish();
  return trip as unknown as Trip;
}

/** tripId is the first tap; metro complete trips have two different taps, all others one. */
function checkTaps(r: RecordReader, tripId: string, mode: Trip['mode'], status: TripStatus, tapKeys: string[]): void {
  if (tapKeys[0] !== tripId) {
    throw new ValidationError(fieldOf(r.path, 'tripId'), 'invariant', 'must equal the first of tapKeys');
  }
  if (tapKeys.length === 2 && tapKeys[0] === tapKeys[1]) {
    throw new ValidationError(fieldOf(r.path, 'tapKeys'), 'invariant', 'must name two different taps');
  }
  const tapCount = status === 'complete' && mode === 'metro' ? 2 : 1;
  if (tapKeys.length !== tapCount) {
    throw new ValidationError(fieldOf(r.path, 'tapKeys'), 'invariant', `a ${status} ${mode} trip names ${tapCount} tap(s)`);
  }
  if (mode !== 'metro' && status !== 'complete') {
    throw new ValidationError(fieldOf(r.path, 'status'), 'invariant', `a ${mode} trip is always complete`);
  }
}

function readPlace(r: RecordReader, trip: Record<string, unknown>, mode: Trip['mode'], status: TripStatus): void {
  switch (mode) {
    case 'metro': {
      const fromStationId = r.idOptional('fromStationId');
      const toStationId = r.idOptional('toStationId');
      if (status === 'complete') {
        if (fromStationId === undefined) throw new ValidationError(fieldOf(r.path, 'fromStationId'), 'missing', 'is required');
        if (toStationId === undefined) throw new ValidationError(fieldOf(r.path, 'toStationId'), 'missing', 'is required');
      } else if ((fromStationId === undefined) === (toStationId === undefined)) {
        throw new ValidationError(fieldOf(r.path, 'fromStationId'), 'invariant', 'an incomplete trip knows exactly one station');
      }
      if (fromStationId !== undefined) trip['fromStationId'] = fromStationId;
      if (toStationId !== undefined) trip['toStationId'] = toStationId;
      return;
    }
    case 'bus':
      trip['routeId'] = r.id('routeId');
      trip['vehicleId'] = r.id('vehicleId');
      return;
    case 'taxi':
      trip['vehicleId'] = r.id('vehicleId');
      return;
  }
}

const distanceBounds = { min: 0, max: distanceMMax };

/** startMs .. reasonCode, with the time and money invariants. */
function readTail(r: RecordReader, trip: Record<string, unknown>, distanceRequired: boolean): void {
  const startMs = (trip['startMs'] = r.timeMs('startMs'));
  const endMs = (trip['endMs'] = r.timeMs('endMs'));
  if (endMs < startMs || endMs - startMs > tripDurationMsMax) {
    throw new ValidationError(fieldOf(r.path, 'endMs'), 'invariant', `must be 0..${tripDurationMsMax} ms after startMs`);
  }
  const distanceM = distanceRequired ? r.int('distanceM', distanceBounds) : r.intOptional('distanceM', distanceBounds);
  if (distanceM !== undefined) trip['distanceM'] = distanceM;
  trip['fareTableVersion'] = r.id('fareTableVersion');
  const fareFen = (trip['fareFen'] = r.fen('fareFen'));
  const discountFen = (trip['discountFen'] = r.fen('discountFen'));
  const chargedFen = (trip['chargedFen'] = r.fen('chargedFen'));
  if (discountFen > fareFen) {
    throw new ValidationError(fieldOf(r.path, 'discountFen'), 'invariant', 'must not exceed fareFen');
  }
  if (chargedFen !== fareFen - discountFen) {
    throw new ValidationError(fieldOf(r.path, 'chargedFen'), 'invariant', 'must equal fareFen - discountFen');
  }
  const reasonCode = r.codeOptional('reasonCode', reasonCodeLengthMax);
  if (reasonCode !== undefined) trip['reasonCode'] = reasonCode;
}

/**
 * Whether parseTrip(value) would return a record with exactly value's fields and values (its
 * own fields; one that is undefined counts as absent): the same checks, without naming the
 * fault, the RecordReader or the copy. Field order is not checked: the encoder walks the
 * fields in ledger order and falls back to parseTrip when they are not. The batcher encodes
 * every trip its TripBuilder prices, so encodeEntry asks this first. Measured: encode trip
 * 2.2-2.4 µs through parseTrip, 1.6 through this (bench/codec.ts, trips out of the CPU
 * caches); 1.6-1.8 and 1.0-1.4 on trips just priced, as the batcher encodes them.
 */
export function isParsedTrip(value: unknown): value is Trip {
  if (!isPlainRecord(value)) return false;
  const f = tripFields;
  f.tripId = f.account = f.operatorId = f.mode = f.status = f.tapKeys = f.fromStationId = f.toStationId = f.routeId = undefined;
  f.vehicleId = f.startMs = f.endMs = f.distanceM = f.fareTableVersion = f.fareFen = f.discountFen = f.chargedFen = f.reasonCode = undefined;
  // One walk of the fields into a record of one shape: for-in reads each value by its slot,
  // where a load by name from trips of seven shapes (modes, statuses, with or without a
  // reason) was megamorphic, 0.6 µs a trip.
  for (const key in value) {
    if (!storeTripField(f, key, value[key])) return false; // an unknown field: parseTrip decides
  }
  if (!inheritsNoFields(value)) return false; // an inherited field, which parseTrip leaves out
  const { tripId, mode, status, tapKeys } = f;
  if (!isTapKey(tripId) || !isAccount(f.account, accountLengthMax) || !isId(f.operatorId)) return false;
  if (!isMode(mode) || !(tripStatuses as readonly unknown[]).includes(status)) return false;
  if (!Array.isArray(tapKeys) || tapKeys[0] !== tripId) return false;
  const tapCount = status === 'complete' && mode === 'metro' ? 2 : 1;
  if (tapKeys.length !== tapCount || (tapCount === 2 && (!isTapKey(tapKeys[1]) || tapKeys[1] === tripId))) return false;
  return placeIsParsed(f, mode, status as TripStatus) && tailIsParsed(f, mode === 'taxi');
}

/**
 * Stores a trip field's value under its name; false for a name outside the trip schema. A
 * switch of stores, each to a slot of its own: a keyed store `f[key] = value` was 3 times
 * slower.
 */
function storeTripField(f: TripFieldValues, key: string, value: unknown): boolean {
  switch (key) {
    case 'tripId': f.tripId = value; return true;
    case 'account': f.account = value; return true;
    case 'operatorId': f.operatorId = value; return true;
    case 'mode': f.mode = value; return true;
    case 'status': f.status = value; return true;
    case 'tapKeys': f.tapKeys = value; return true;
    case 'fromStationId': f.fromStationId = value; return true;
    case 'toStationId': f.toStationId = value; return true;
    case 'routeId': f.routeId = value; return true;
    case 'vehicleId': f.vehicleId = value; return true;
    case 'startMs': f.startMs = value; return true;
    case 'endMs': f.endMs = value; return true;
    case 'distanceM': f.distanceM = value; return true;
    case 'fareTableVersion': f.fareTableVersion = value; return true;
    case 'fareFen': f.fareFen = value; return true;
    case 'discountFen': f.discountFen = value; return true;
    case 'chargedFen': f.chargedFen = value; return true;
    case 'reasonCode': f.reasonCode = value; return true;
    default: return false;
  }
}

/** A trip's fields as isParsedTrip finds them, each undefined when absent. */
type TripFieldValues = Record<
  | 'tripId' | 'account' | 'operatorId' | 'mode' | 'status' | 'tapKeys' | 'fromStationId' | 'toStationId' | 'routeId' | 'vehicleId'
  | 'startMs' | 'endMs' | 'distanceM' | 'fareTableVersion' | 'fareFen' | 'discountFen' | 'chargedFen' | 'reasonCode',
  unknown
>;

/** isParsedTrip's scratch, filled and read within one call. */
const tripFields: TripFieldValues = {
  tripId: undefined, account: undefined, operatorId: undefined, mode: undefined, status: undefined, tapKeys: undefined,
  fromStationId: undefined, toStationId: undefined, routeId: undefined, vehicleId: undefined, startMs: undefined, endMs: undefined,
  distanceM: undefined, fareTableVersion: undefined, fareFen: undefined, discountFen: undefined, chargedFen: undefined, reasonCode: undefined,
};

function placeIsParsed(f: Readonly<TripFieldValues>, mode: Trip['mode'], status: TripStatus): boolean {
  const { fromStationId, toStationId, routeId, vehicleId } = f;
  switch (mode) {
    case 'metro': {
      if (routeId !== undefined || vehicleId !== undefined) return false;
      const hasFrom = fromStationId !== undefined;
      const hasTo = toStationId !== undefined;
      if ((hasFrom && !isId(fromStationId)) || (hasTo && !isId(toStationId))) return false;
      return status === 'complete' ? hasFrom && hasTo : hasFrom !== hasTo;
    }
    case 'bus':
      return status === 'complete' && fromStationId === undefined && toStationId === undefined && isId(routeId) && isId(vehicleId);
    case 'taxi':
      return status === 'complete' && fromStationId === undefined && toStationId === undefined && routeId === undefined && isId(vehicleId);
  }
}

function tailIsParsed(f: Readonly<TripFieldValues>, distanceRequired: boolean): boolean {
  const { startMs, endMs, distanceM, fareFen, discountFen, chargedFen, reasonCode } = f;
  if (!isIntIn(startMs, timeMsBounds) || !isIntIn(endMs, timeMsBounds) || endMs < startMs || endMs - startMs > tripDurationMsMax) return false;
  if (distanceM === undefined ? distanceRequired : !isIntIn(distanceM, distanceBounds)) return false;
  if (!isId(f.fareTableVersion) || !isIntIn(fareFen, fenBounds) || !isIntIn(discountFen, fenBounds) || !isIntIn(chargedFen, fenBounds)) return false;
  if (discountFen > fareFen || chargedFen !== fareFen - discountFen) return false;
  return reasonCode === undefined || isCode(reasonCode, reasonCodeLengthMax);
}
