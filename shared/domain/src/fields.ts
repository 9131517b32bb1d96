import { ValidationError } from './errors.js';
import { fenMax, idLengthMax, timeMsMax, timeMsMin } from './limits.js';

// Field rules shared by every entry type. Each check is written once here, so the ingest
// door, the batcher and the ledger decoder agree on what a valid value is.

/** Identifiers: ASCII letters, digits and `. _ : -`. No `/`, so `deviceId/tapId` is unambiguous. */
const idPattern = /^[A-Za-z0-9._:-]+$/;
/** Account tokens: printable ASCII without space (covers base64, base64url, UUIDs). */
const accountPattern = /^[\x21-\x7e]+$/;
/** Short codes: lower-case words joined by single hyphens. */
const codePattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Free text may be any Unicode except controls, format characters, lone surrogates, line separators. */
const textForbidden = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

type Bounds = { readonly min: number; readonly max: number };

/**
 * Reads fields from an untrusted plain object, checking each as it goes. `finish()` rejects
 * any field that was not read, so a record carries exactly the fields its type allows.
 */
export class RecordReader {
  private readonly record: Readonly<Record<string, unknown>>;
  private readonly seen = new Set<string>();

  constructor(input: unknown, readonly path: string) {
    if (!isPlainRecord(input)) throw new ValidationError(path, 'type', 'must be an object');
    this.record = input;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.record, key) && this.record[key] !== undefined;
  }

  id(key: string, lengthMax = idLengthMax): string {
    return checkId(this.field(key), this.required(key), lengthMax);
  }

  idOptional(key: string): string | undefined {
    return this.has(key) ? this.id(key) : this.skip(key);
  }

  account(key: string, lengthMax: number): string {
    const value = this.string(key, lengthMax);
    if (!accountPattern.test(value)) {
      throw new ValidationError(this.field(key), 'charset', 'must be printable ASCII without spaces');
    }
    return value;
  }

  code(key: string, lengthMax: number): string {
    const value = this.string(key, lengthMax);
    if (!codePattern.test(value)) {
      throw new ValidationError(this.field(key), 'charset', 'must be lower-case words joined by hyphens');
    }
    return value;
  }

  codeOptional(key: string, lengthMax: number): string | undefined {
    return this.has(key) ? this.code(key, lengthMax) : this.skip(key);
  }

  text(key: string, codePointsMax: number): string {
    const value = this.required(key);
    const field = this.field(key);
    if (typeof value !== 'string') throw new ValidationError(field, 'type', 'must be a string');
    if (textForbidden.test(value)) {
      throw new ValidationError(field, 'charset', 'must not contain control or format characters');
    }
    const codePoints = [...value].length;
    if (codePoints < 1 || codePoints > codePointsMax) {
      throw new ValidationError(field, 'length', `must be 1..${codePointsMax} characters`);
    }
    return value;
  }

  oneOf<const T extends string>(key: string, values: readonly T[]): T {
    const value = this.required(key);
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      throw new ValidationError(this.field(key), 'range', `must be one of ${values.join(', ')}`);
    }
    return value as T;
  }

  int(key: string, bounds: Bounds): number {
    return checkInt(this.field(key), this.required(key), bounds);
  }

  intOptional(key: string, bounds: Bounds): number | undefined {
    return this.has(key) ? this.int(key, bounds) : this.skip(key);
  }

  fen(key: string): number {
    return this.int(key, { min: 0, max: fenMax });
  }

  timeMs(key: string): number {
    return this.int(key, { min: timeMsMin, max: timeMsMax });
  }

  /** A required field checked by a rule of its own. */
  value<T>(key: string, check: (field: string, value: unknown) => T): T {
    return check(this.field(key), this.required(key));
  }

  /** A list of 1..lengthMax items, each checked by `item`. */
  list<T>(key: string, lengthMax: number, item: (field: string, value: unknown) => T): T[] {
    const value = this.required(key);
    const field = this.field(key);
    if (!Array.isArray(value)) throw new ValidationError(field, 'type', 'must be a list');
    if (value.length < 1 || value.length > lengthMax) {
      throw new ValidationError(field, 'length', `must hold 1..${lengthMax} items`);
    }
    return value.map((element: unknown, index) => item(`${field}[${index}]`, element));
  }

  /** Rejects every field that no reader method asked for. */
  finish(): void {
    for (const key of Object.keys(this.record)) {
      if (!this.seen.has(key) && this.record[key] !== undefined) {
        throw new ValidationError(this.field(key), 'not-allowed', 'is not allowed here');
      }
    }
  }

  private string(key: string, lengthMax: number): string {
    return checkString(this.field(key), this.required(key), lengthMax);
  }

  private required(key: string): unknown {
    this.seen.add(key);
    if (!this.has(key)) throw new ValidationError(this.field(key), 'missing', 'is required');
    return this.record[key];
  }

  private skip(key: string): undefined {
    this.seen.add(key);
    return undefined;
  }

  private field(key: string): string {
    return fieldOf(this.path, key);
  }
}

function checkString(field: string, value: unknown, lengthMax: number): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'type', 'must be a string');
  if (value.length < 1 || value.length > lengthMax) {
    throw new ValidationError(field, 'length', `must be 1..${lengthMax} characters`);
  }
  return value;
}

/** The dotted path of a field inside a record at `path` ('' for the top level). */
export function fieldOf(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function checkId(field: string, value: unknown, lengthMax = idLengthMax): string {
  const text = checkString(field, value, lengthMax);
  if (!idPattern.test(text)) {
    throw new ValidationError(field, 'charset', 'may hold only A-Z a-z 0-9 . _ : -');
  }
  return text;
}

export function checkInt(field: string, value: unknown, bounds: Bounds): number {
  if (typeof value !== 'number') throw new ValidationError(field, 'type', 'must be a number');
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new ValidationError(field, 'range', `must be an integer in ${bounds.min}..${bounds.max}`);
  }
  return value + 0; // -0 becomes 0, so equal values are identical
}

/** A plain object (literal or null-prototype), not an array, Map, Date or class instance. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
