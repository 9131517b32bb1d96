import { ValidationError } from './errors.js';
import { fenMax, idLengthMax, timeMsMax, timeMsMin } from './limits.js';

// Field rules shared by every entry type. Each check is written once here, so the ingest
// door, the batcher and the ledger decoder agree on what a valid value is.

/** Identifiers: ASCII letters, digits and `. _ : -`. No `/`, so `deviceId/tapId` is unambiguous. */
export const idCharClass = '[A-Za-z0-9._:-]';
const idPattern = new RegExp(`^${idCharClass}+$`);
/** Account tokens: printable ASCII without space (covers base64, base64url, UUIDs). */
const accountPattern = /^[\x21-\x7e]+$/;
/** Short codes: lower-case words joined by single hyphens. */
const codePattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Free text may be any Unicode except controls, format characters, lone surrogates, line separators. */
const textForbidden = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

export type Bounds = { readonly min: number; readonly max: number };

// Measured on the batcher's path (bench/codec.ts, Node 20, 2 cores): building each field's
// path (`tap.stationId`) and keeping a Set of the keys read cost more than the checks. So
// every method first tries a cheap test that only passes values its check would pass
// unchanged, and builds the path and runs the full check (which names the fault) only when
// that test refuses. The values accepted and the errors thrown are those of the full checks.

/**
 * Reads fields from an untrusted plain object, checking each as it goes. `finish()` rejects
 * any field that was not read, so a record carries exactly the fields its type allows.
 */
export class RecordReader {
  private readonly record: Readonly<Record<string, unknown>>;
  /**
   * The record's own enumerable keys and their values, read once, in the record's order.
   * Callers read fields in ledger order and records mostly come in it (decoded entries,
   * parsed taps and trips), so each read meets the next key here: an array load, where a
   * property lookup by a key that changes from call to call measured 25 ns.
   */
  private readonly keys: readonly string[];
  private readonly values: readonly unknown[];
  /** keys[0..next) were all read, in order. */
  private next = 0;
  /** Every key read, once reads left the record's order (undefined until then). */
  private seen: string[] | undefined;

  constructor(input: unknown, readonly path: string) {
    if (!isPlainRecord(input)) throw new ValidationError(path, 'type', 'must be an object');
    this.record = input;
    this.keys = Object.keys(input);
    this.values = Object.values(input);
  }

  has(key: string): boolean {
    if (this.seen === undefined && this.keys[this.next] === key) {
      if (this.values[this.next] !== undefined) return true;
      this.next++; // present but undefined: absent, and never refused by finish()
      return false;
    }
    return Object.hasOwn(this.record, key) && this.record[key] !== undefined;
  }

  id(key: string, lengthMax = idLengthMax): string {
    const value = this.required(key);
    return isId(value, lengthMax) ? value : checkId(this.field(key), value, lengthMax);
  }

  idOptional(key: string): string | undefined {
    return this.has(key) ? this.id(key) : undefined;
  }

  account(key: string, lengthMax: number): string {
    const value = this.required(key);
    if (isAccount(value, lengthMax)) return value;
    const text = checkString(this.field(key), value, lengthMax);
    if (!accountPattern.test(text)) {
      throw new ValidationError(this.field(key), 'charset', 'must be printable ASCII without spaces');
    }
    return text;
  }

  code(key: string, lengthMax: number): string {
    const value = this.required(key);
    if (isCode(value, lengthMax)) return value;
    const text = checkString(this.field(key), value, lengthMax);
    if (!codePattern.test(text)) {
      throw new ValidationError(this.field(key), 'charset', 'must be lower-case words joined by hyphens');
    }
    return text;
  }

  codeOptional(key: string, lengthMax: number): string | undefined {
    return this.has(key) ? this.code(key, lengthMax) : undefined;
  }

  text(key: string, codePointsMax: number): string {
    const value = this.required(key);
    if (typeof value !== 'string') throw new ValidationError(this.field(key), 'type', 'must be a string');
    if (textForbidden.test(value)) {
      throw new ValidationError(this.field(key), 'charset', 'must not contain control or format characters');
    }
    const codePoints = codePointCount(value);
    if (codePoints < 1 || codePoints > codePointsMax) {
      throw new ValidationError(this.field(key), 'length', `must be 1..${codePointsMax} characters`);
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
    const value = this.required(key);
    // `+ 0`: -0 becomes 0, as in checkInt.
    return isIntIn(value, bounds) ? value + 0 : checkInt(this.field(key), value, bounds);
  }

  intOptional(key: string, bounds: Bounds): number | undefined {
    return this.has(key) ? this.int(key, bounds) : undefined;
  }

  fen(key: string): number {
    return this.int(key, fenBounds);
  }

  timeMs(key: string): number {
    return this.int(key, timeMsBounds);
  }

  /**
   * A required field checked by a rule of its own. `accepts`, when given, is a cheap test
   * that passes only values `check` returns as they are; `check` (and the field's path)
   * then runs only for the values it refuses.
   */
  value<T>(key: string, check: (field: string, value: unknown) => T, accepts?: (value: unknown) => value is T): T {
    const value = this.required(key);
    return accepts?.(value) === true ? value : check(this.field(key), value);
  }

  /**
   * A list of 1..lengthMax items, each checked by `item`: a fresh array. `accepts` as in
   * value(), per item.
   */
  list<T>(key: string, lengthMax: number, item: (field: string, value: unknown) => T, accepts?: (value: unknown) => value is T): T[] {
    const value = this.required(key);
    if (accepts !== undefined && Array.isArray(value) && value.length >= 1 && value.length <= lengthMax && value.every(accepts)) {
      return value.slice() as T[];
    }
    const field = this.field(key);
    if (!Array.isArray(value)) throw new ValidationError(field, 'type', 'must be a list');
    if (value.length < 1 || value.length > lengthMax) {
      throw new ValidationError(field, 'length', `must hold 1..${lengthMax} items`);
    }
    return value.map((element: unknown, index) => item(`${field}[${index}]`, element));
  }

  /** Rejects every field that no reader method asked for. */
  finish(): void {
    const seen = this.seen;
    if (seen === undefined) {
      // Read in order: keys[0..next) were read, keys[next..] were not (or are undefined).
      for (let i = this.next; i < this.keys.length; i++) {
        if (this.values[i] !== undefined) throw this.notAllowed(this.keys[i] as string);
      }
      return;
    }
    for (const key of this.keys) {
      if (!seen.includes(key) && this.record[key] !== undefined) throw this.notAllowed(key);
    }
  }

  /**
   * The value of a field that must be present (as has() defines it). A key that is absent
   * needs no note: it throws here, or finish() skips it.
   */
  private required(key: string): unknown {
    const next = this.next;
    if (this.seen === undefined && this.keys[next] === key) {
      const value = this.values[next];
      if (value === undefined) throw new ValidationError(this.field(key), 'missing', 'is required');
      this.next = next + 1;
      return value;
    }
    if (!(Object.hasOwn(this.record, key) && this.record[key] !== undefined)) {
      throw new ValidationError(this.field(key), 'missing', 'is required');
    }
    this.seen ??= this.keys.slice(0, next);
    this.seen.push(key);
    return this.record[key];
  }

  private notAllowed(key: string): ValidationError {
    return new ValidationError(this.field(key), 'not-allowed', 'is not allowed here');
  }

  private field(key: string): string {
    return fieldOf(this.path, key);
  }
}

export const fenBounds: Bounds = { min: 0, max: fenMax };
export const timeMsBounds: Bounds = { min: timeMsMin, max: timeMsMax };

// The cheap tests, exported for decoders that read fields themselves (tapOfFields): each
// passes exactly the values its reader method returns unchanged.

/** What checkId returns unchanged: a string of 1..lengthMax identifier characters. */
export function isId(value: unknown, lengthMax = idLengthMax): value is string {
  return isStringOf(value, lengthMax) && idPattern.test(value);
}

/** What RecordReader.account returns unchanged: 1..lengthMax printable ASCII characters, no space. */
export function isAccount(value: unknown, lengthMax: number): value is string {
  return isStringOf(value, lengthMax) && accountPattern.test(value);
}

/** What RecordReader.code returns unchanged: lower-case words joined by single hyphens, 1..lengthMax characters. */
export function isCode(value: unknown, lengthMax: number): value is string {
  return isStringOf(value, lengthMax) && codePattern.test(value);
}

/** What RecordReader.text returns unchanged: 1..codePointsMax code points, no control or format character. */
export function isText(value: unknown, codePointsMax: number): value is string {
  if (typeof value !== 'string' || textForbidden.test(value)) return false;
  const codePoints = codePointCount(value);
  return codePoints >= 1 && codePoints <= codePointsMax;
}

function isStringOf(value: unknown, lengthMax: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= lengthMax;
}

/** What checkInt returns (as `value + 0`): a safe integer within the bounds. */
export function isIntIn(value: unknown, bounds: Bounds): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= bounds.min && value <= bounds.max;
}

/** Code points, as `[...value].length` counts them (a lone surrogate counts as one), without the array. */
function codePointCount(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
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

/**
 * Whether for-in over `value` finds its own fields only: its prototype chain lends no
 * enumerable field (a polluted Object.prototype would). Lets a hot path count or walk a
 * record's fields with for-in instead of Object.keys' array.
 */
export function inheritsNoFields(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null) return true;
  for (const _ in proto) return false;
  return true;
}

/** A plain object (literal or null-prototype), not an array, Map, Date or class instance. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
