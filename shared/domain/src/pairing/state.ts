import { ValidationError } from '../errors.js';
import { checkId, checkInt, isPlainRecord } from '../fields.js';
import { accountLengthMax, timeMsMax, timeMsMin, utcOffsetMinMax, utcOffsetMinMin } from '../limits.js';
import { checkTapKey } from '../trip.js';

// What a TripBuilder persists with each sealed block: plain JSON-safe data, in tuples to
// keep it small (100,000 open journeys: 8.1 MB of JSON, 81 B each; see trip-builder.ts).

/** A metro tap waiting for its partner: [tapKey, operatorId, stationId, eventTimeMs, utcOffsetMin]. */
export type PendingRow = readonly [string, string, string, number, number];

/**
 * One account: [account, open tap-in or null, held tap-out or null, end of its latest metro
 * or bus trip (ms) or null, [localDay, chargedFen, localDay, chargedFen, ...]].
 */
export type AccountRow = readonly [string, PendingRow | null, PendingRow | null, number | null, readonly number[]];

export interface TripBuilderState {
  /** Format version of this object. */
  readonly v: 1;
  readonly journeyMsMax: number;
  readonly lateTapMsMax: number;
  /** The max eventTimeMs seen; 0 before the first tap. */
  readonly watermarkMs: number;
  /** Sorted by account (code unit order), so equal states are equal JSON. */
  readonly accounts: readonly AccountRow[];
}

/** Persisted state that does not hold together (a corrupt or foreign snapshot). */
export class TripBuilderStateError extends Error {
  override readonly name = 'TripBuilderStateError';
  readonly field: string;

  constructor(field: string, message: string) {
    super(`trip builder state: ${field}: ${message}`);
    this.field = field;
  }
}

const stateKeys = ['v', 'journeyMsMax', 'lateTapMsMax', 'watermarkMs', 'accounts'];
const accountPattern = /^[\x21-\x7e]+$/;
/** A day list holds at most this many days: lateTapMsMax ≤ 30 days keeps far fewer. */
const dayEntriesMax = 64;

/** Checks the shape of persisted state (not yet against the network and tables: see restore). */
export function parseTripBuilderState(input: unknown): TripBuilderState {
  try {
    return readState(input);
  } catch (error) {
    if (error instanceof ValidationError) throw new TripBuilderStateError(error.field, error.message.slice(error.field.length + 2));
    throw error;
  }
}

function readState(input: unknown): TripBuilderState {
  if (!isPlainRecord(input)) throw new ValidationError('state', 'type', 'must be an object');
  for (const key of Object.keys(input)) {
    if (!stateKeys.includes(key)) throw new ValidationError(key, 'not-allowed', 'is not allowed here');
  }
  if (input['v'] !== 1) throw new ValidationError('v', 'range', 'must be 1');
  const journeyMsMax = checkInt('journeyMsMax', input['journeyMsMax'], { min: 1, max: timeMsMax });
  const lateTapMsMax = checkInt('lateTapMsMax', input['lateTapMsMax'], { min: 0, max: timeMsMax });
  const watermarkMs = checkInt('watermarkMs', input['watermarkMs'], { min: 0, max: timeMsMax });
  if (watermarkMs !== 0 && watermarkMs < timeMsMin) throw new ValidationError('watermarkMs', 'range', `must be 0 or ${timeMsMin}..${timeMsMax}`);
  const rows = input['accounts'];
  if (!Array.isArray(rows)) throw new ValidationError('accounts', 'type', 'must be a list');
  const accounts = rows.map((row: unknown, index) => readAccountRow(`accounts[${index}]`, row));
  for (let index = 1; index < accounts.length; index += 1) {
    if (!((accounts[index - 1] as AccountRow)[0] < (accounts[index] as AccountRow)[0])) {
      throw new ValidationError(`accounts[${index}]`, 'invariant', 'accounts must be sorted and unique');
    }
  }
  return { v: 1, journeyMsMax, lateTapMsMax, watermarkMs, accounts };
}

function readAccountRow(field: string, row: unknown): AccountRow {
  if (!Array.isArray(row) || row.length !== 5) throw new ValidationError(field, 'type', 'must be [account, open, held, lastEndMs, days]');
  const account = row[0] as unknown;
  if (typeof account !== 'string' || account.length < 1 || account.length > accountLengthMax || !accountPattern.test(account)) {
    throw new ValidationError(`${field}[0]`, 'charset', 'must be an account token');
  }
  const open = row[1] === null ? null : readPendingRow(`${field}[1]`, row[1]);
  const held = row[2] === null ? null : readPendingRow(`${field}[2]`, row[2]);
  const lastEndMs = row[3] === null ? null : checkInt(`${field}[3]`, row[3], { min: timeMsMin, max: timeMsMax });
  const days = row[4] as unknown;
  if (!Array.isArray(days) || days.length % 2 !== 0 || days.length > dayEntriesMax * 2) {
    throw new ValidationError(`${field}[4]`, 'type', 'must be a list of localDay, chargedFen pairs');
  }
  const dayNumbers = new Set<number>();
  days.forEach((value: unknown, index) => {
    checkInt(`${field}[4][${index}]`, value, index % 2 === 0 ? { min: 0, max: 100_000 } : { min: 0, max: Number.MAX_SAFE_INTEGER });
    if (index % 2 === 0) {
      if (dayNumbers.has(value as number)) throw new ValidationError(`${field}[4][${index}]`, 'invariant', 'a day appears twice');
      dayNumbers.add(value as number);
    }
  });
  if (open === null && held === null && lastEndMs === null && days.length === 0) {
    throw new ValidationError(field, 'invariant', 'an account row must hold something');
  }
  return [account, open, held, lastEndMs, days as number[]];
}

function readPendingRow(field: string, row: unknown): PendingRow {
  if (!Array.isArray(row) || row.length !== 5) throw new ValidationError(field, 'type', 'must be [tapKey, operatorId, stationId, eventTimeMs, utcOffsetMin]');
  return [
    checkTapKey(`${field}[0]`, row[0]),
    checkId(`${field}[1]`, row[1]),
    checkId(`${field}[2]`, row[2]),
    checkInt(`${field}[3]`, row[3], { min: timeMsMin, max: timeMsMax }),
    checkInt(`${field}[4]`, row[4], { min: utcOffsetMinMin, max: utcOffsetMinMax }),
  ];
}
