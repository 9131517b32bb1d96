import { type Entry, type EntryType, entryTypes, modes, parseEntry, type Tap, type TapFieldValues, tapKinds, tapOfFields, ValidationError } from '@fareledger/domain';
import { fixstr, headerBytes, typeNames, type WireField, wireFields } from './wire-fields.js';

// The fast path of decodeEntry: one pass over the bytes that accepts exactly the canonical
// encoding of a valid entry and gives up (returns undefined) at the first thing that is not,
// without saying why. decodeEntry then runs the step-by-step decoder (msgpack-reader.ts,
// then header, schema, domain and re-encoding checks), which names the fault in the order
// it always has. So the fast path only has to be right when it accepts; every error, and
// its reason, comes from the step-by-step decoder as before.
//
// It accepts bytes only if all of these hold, each of which the step-by-step decoder checks
// too (so it would accept them and return an equal entry):
// - a map (fixmap, or map 16 of at least 16 pairs) whose first pairs are exactly
//   `v: 1, type: <tap|trip|adjustment>` in their only canonical bytes;
// - every other key is a field of that type, its bytes equal to the field name's fixstr, in
//   schema order with none twice: each key matches a schema field after the previous one;
// - every value has its field's kind, in the shortest header and integer format
//   (non-negative integers in the unsigned family), from -32768 to 2^53 - 1, strings
//   well-formed UTF-8, lists of strings only;
// - the map ends exactly at the end of the bytes (the caller checked entryBytesMax);
// - parseEntry accepts the fields read, and returns exactly those fields with the same
//   values (sameFields below, in place of re-encoding); for a tap, tapOfFields (parseTap's
//   checks on the values read, readTap below) returns a tap of exactly them.
// The 4 KiB size limit leaves str 32, array 32 and map 32 unused: any such header is
// refused here, and by the step-by-step decoder as truncated.
//
// Measured (bench/codec.ts, Node 20.20, 2-core AMD EPYC, load average 1.5 from other
// work): decodeEntry of a city tap 17 µs with the step-by-step decoder alone (re-encoding
// 3-5 µs of it), 2.3 µs with this pass first, 0.75 µs since taps skip the record (readTap);
// of a trip, 26 µs and 4.0 µs.

/** Thrown inside this module to give up; caught in decodeCanonical, never seen outside. */
const giveUp: unique symbol = Symbol('giveUp');

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const noBytes: Uint8Array = new Uint8Array(0);

// The state of the pass in progress, in module variables rather than a cursor object (one
// allocation fewer per entry): a pass runs to completion without yielding, and parseEntry
// never decodes, so no two passes overlap.
let input = noBytes;
let at = 0;
/** The body fields read and their values, in wire order. */
const readFields: WireField[] = [];
const readValues: unknown[] = [];
let readCount = 0;

/**
 * The entry that `bytes` (at most entryBytesMax) are the canonical encoding of, when one
 * pass finds them so; undefined when it does not (they may still be valid: ask the
 * step-by-step decoder). `parse` is parseEntry; tests pass others.
 */
export function decodeCanonical(bytes: Uint8Array, parse: (input: unknown) => Entry): Entry | undefined {
  input = bytes;
  at = 0;
  readCount = 0;
  try {
    return readEntry(parse);
  } catch (error) {
    if (error === giveUp || error instanceof ValidationError) return undefined;
    throw error;
  } finally {
    input = noBytes; // keep neither the bytes nor the values read alive
    for (let i = 0; i < readCount; i++) readValues[i] = undefined;
  }
}

function readEntry(parse: (input: unknown) => Entry): Entry {
  const pairCount = mapHeader();
  if (pairCount < 2) throw giveUp;
  expect(headerBytes);
  const type = entryType();
  if (type === 'tap' && parse === parseEntry) return { type: 'tap', tap: readTap(pairCount) };
  const fields = wireFields[type];
  const body: Record<string, unknown> = {};
  let next = 0;
  for (let pair = 2; pair < pairCount; pair++) {
    next = key(fields, next);
    const field = fields[next - 1] as WireField;
    const value = field.kind === 'str' ? str() : field.kind === 'int' ? int() : strList();
    body[field.name] = value;
    readFields[readCount] = field;
    readValues[readCount] = value;
    readCount++;
  }
  if (at !== input.length) throw giveUp;
  const entry = parse(type === 'tap' ? { type, tap: body } : type === 'trip' ? { type, trip: body } : { type, adjustment: body });
  if (entry.type !== type || !sameFields(readFields, readValues, readCount, bodyOf(entry))) throw giveUp;
  return entry;
}

/**
 * A tap's fields straight into tapOfFields, the batcher's hot path: no record to build and
 * parse, no sameFields. tapOfFields returns exactly the fields read (it refuses a record
 * with a field the mode does not have) with the values read, so the bytes are the canonical
 * encoding of the tap it returns, as sameFields would have found.
 */
function readTap(pairCount: number): Tap {
  const fields = wireFields.tap;
  const f = tapFields;
  f.tapId = f.deviceId = f.operatorId = f.account = f.mode = f.kind = f.stationId = f.routeId = f.vehicleId = undefined;
  f.eventTimeMs = f.utcOffsetMin = f.distanceM = f.durationS = f.waitingS = f.receivedAtMs = undefined;
  let next = 0;
  for (let pair = 2; pair < pairCount; pair++) {
    next = key(fields, next);
    const name = (fields[next - 1] as WireField).name as keyof TapFieldValues;
    switch (name) {
      case 'mode':
        f.mode = oneOfStr(modeBytes);
        break;
      case 'kind':
        f.kind = oneOfStr(tapKindBytes);
        break;
      case 'tapId': case 'deviceId': case 'operatorId': case 'account': case 'stationId': case 'routeId': case 'vehicleId':
        f[name] = str();
        break;
      default:
        f[name] = int();
    }
  }
  if (at !== input.length) throw giveUp;
  const tap = tapOfFields(f);
  if (tap === undefined) throw giveUp;
  return tap;
}

/** The one pass's scratch for readTap: filled and read within one call. */
const tapFields: TapFieldValues = {
  tapId: undefined, deviceId: undefined, operatorId: undefined, account: undefined, mode: undefined, kind: undefined,
  stationId: undefined, routeId: undefined, vehicleId: undefined, eventTimeMs: undefined, utcOffsetMin: undefined,
  distanceM: undefined, durationS: undefined, waitingS: undefined, receivedAtMs: undefined,
};

/** Each value as a fixstr, beside the value: a tap's mode and kind are read as these constants, not built anew. */
const fixstrValues = (values: readonly string[]) => values.map((value) => [value, fixstr(value)] as const);
const modeBytes = fixstrValues(modes);
const tapKindBytes = fixstrValues(tapKinds);

/** The string at the cursor: one of `values` when its bytes are that value's fixstr, else as str() reads it. */
function oneOfStr(values: readonly (readonly [string, Uint8Array])[]): string {
  for (const [value, bytes] of values) {
    if (bytesAt(bytes)) {
      at += bytes.length;
      return value;
    }
  }
  return str();
}

function bodyOf(entry: Entry): Readonly<Record<string, unknown>> {
  switch (entry.type) {
    case 'tap':
      return entry.tap as unknown as Record<string, unknown>;
    case 'trip':
      return entry.trip as unknown as Record<string, unknown>;
    case 'adjustment':
      return entry.adjustment as unknown as Record<string, unknown>;
  }
}

/**
 * Whether `parsed` has exactly the first `count` of `fields`, in that order, with `values`:
 * `===`, and item by item for a str-list. In place of re-encoding the parsed entry and
 * comparing bytes, and equivalent to it:
 * - The bytes read are canonical (shortest forms, schema order: checked above), so they
 *   are exactly what the writer writes for the fields and values read: the writer's output
 *   for an entry is a function of its (field, value) pairs, and one-to-one on them (each int
 *   and each string has a single encoding, and strings from well-formed UTF-8 have no lone
 *   surrogates, so they encode back to the same bytes).
 * - So re-encoding the parsed entry gives the same bytes if and only if it has the same
 *   defined fields with the same values: a field changed (normalised, retyped), dropped or
 *   added, or a list item changed, gives other bytes, and here fails the check. Values
 *   equal by `===` encode the same (-0 and 0 both as 00; ints never decode to -0).
 * The check is stricter in two ways, both of which only send the bytes to the step-by-step
 * decoder (which re-encodes): the parsed fields must come in wire order (parseEntry's are),
 * and none may be undefined (parseEntry leaves absent fields out).
 */
export function sameFields(fields: readonly WireField[], values: readonly unknown[], count: number, parsed: Readonly<Record<string, unknown>>): boolean {
  // for-in reads the values by their slots: no lookup by name, no array of keys. It gives
  // own keys first, then inherited enumerable ones (a polluted prototype), skipped here.
  let i = 0;
  for (const name in parsed) {
    if (i === count) {
      if (Object.hasOwn(parsed, name)) return false;
      continue;
    }
    const field = fields[i] as WireField;
    const read = values[i];
    const value = parsed[name];
    i++;
    if (name !== field.name) return false;
    if (value === read) continue;
    if (field.kind !== 'str-list' || !Array.isArray(value) || !Array.isArray(read) || value.length !== read.length) return false;
    for (let item = 0; item < read.length; item++) if (value[item] !== read[item]) return false;
  }
  return i === count;
}

/** The pair count of a fixmap, or of a map 16 of 16 pairs or more. */
function mapHeader(): number {
  const head = byte();
  if (head >= 0x80 && head <= 0x8f) return head & 0x0f;
  if (head !== 0xde) throw giveUp;
  const size = u16();
  if (size < 0x10) throw giveUp;
  return size;
}

function expect(expected: Uint8Array): void {
  if (!bytesAt(expected)) throw giveUp;
  at += expected.length;
}

/** `tap`, `trip` or `adjustment` as a fixstr. */
function entryType(): EntryType {
  for (const type of entryTypes) {
    if (bytesAt(typeNames[type])) {
      at += typeNames[type].length;
      return type;
    }
  }
  throw giveUp;
}

/** Matches the key at the cursor with fields[from..]; returns the index after the one it is. */
function key(fields: readonly WireField[], from: number): number {
  const bytes = input;
  const start = at;
  const head = bytes[start];
  for (let index = from; index < fields.length; index++) {
    const keyBytes = (fields[index] as WireField).key;
    // The head byte (0xa0 | length) tells most keys apart; then every byte is compared.
    if (keyBytes[0] !== head || start + keyBytes.length > bytes.length) continue;
    let i = 1;
    while (i < keyBytes.length && bytes[start + i] === keyBytes[i]) i++;
    if (i === keyBytes.length) {
      at = start + keyBytes.length;
      return index + 1;
    }
  }
  throw giveUp;
}

/** Whether `expected` is at the cursor. */
function bytesAt(expected: Uint8Array): boolean {
  const bytes = input;
  const start = at;
  if (start + expected.length > bytes.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

function str(): string {
  const bytes = input;
  const head = bytes[at];
  let start: number;
  let size: number;
  if (head !== undefined && head >= 0xa0 && head <= 0xbf) {
    size = head & 0x1f;
    start = at + 1;
  } else if (head === 0xd9) {
    need(2);
    size = bytes[at + 1] as number;
    if (size < 0x20) throw giveUp;
    start = at + 2;
  } else if (head === 0xda) {
    need(3);
    size = ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
    if (size < 0x100) throw giveUp;
    start = at + 3;
  } else throw giveUp;
  if (start + size > bytes.length) throw giveUp;
  at = start + size;
  return asciiAt(bytes, start, size) ?? utf8At(start, size);
}

function utf8At(start: number, size: number): string {
  try {
    return textDecoder.decode(input.subarray(start, start + size));
  } catch {
    throw giveUp;
  }
}

function strList(): string[] {
  const head = byte();
  let size: number;
  if (head >= 0x90 && head <= 0x9f) size = head & 0x0f;
  else if (head === 0xdc) {
    size = u16();
    if (size < 0x10) throw giveUp;
  } else throw giveUp;
  const items: string[] = [];
  for (let i = 0; i < size; i++) items.push(str());
  return items;
}

/**
 * An integer in its canonical format only: each format's bounds are intHead's. Negative int
 * 32 and int 64 (below -32768) are left to the step-by-step decoder: no field of a valid
 * entry goes below -720 (utcOffsetMin), so giving up on them costs nothing.
 */
function int(): number {
  const bytes = input;
  const p = at;
  const head = bytes[p];
  if (head === undefined) throw giveUp;
  if (head <= 0x7f || head >= 0xe0) {
    at = p + 1;
    return head <= 0x7f ? head : head - 0x100;
  }
  const size = head >= 0xcc && head <= 0xd1 ? (intSizes[(head - 0xcc) & 3] as number) : 0;
  if (size === 0 || p + 1 + size > bytes.length) throw giveUp;
  at = p + 1 + size;
  const b1 = bytes[p + 1] as number;
  let value: number;
  switch (head) {
    case 0xcc:
      if (b1 < 0x80) throw giveUp;
      return b1;
    case 0xcd:
      value = (b1 << 8) | (bytes[p + 2] as number);
      if (value < 0x100) throw giveUp;
      return value;
    case 0xce:
      value = u32At(bytes, p + 1);
      if (value < 0x1_0000) throw giveUp;
      return value;
    case 0xcf: {
      const high = u32At(bytes, p + 1);
      // 2^32 ≤ value ≤ 2^53 - 1, so the sum is exact.
      if (high === 0 || high > 0x1f_ffff) throw giveUp;
      return high * 0x1_0000_0000 + u32At(bytes, p + 5);
    }
    case 0xd0:
      value = (b1 << 24) >> 24;
      if (value >= -0x20) throw giveUp;
      return value;
    default:
      // 0xd1
      value = (((b1 << 8) | (bytes[p + 2] as number)) << 16) >> 16;
      if (value >= -0x80) throw giveUp;
      return value;
  }
}

/** Payload bytes after an integer head byte cc..d1, by (head - 0xcc) & 3. */
const intSizes = [1, 2, 4, 8];

function u32At(bytes: Uint8Array, p: number): number {
  return (bytes[p] as number) * 0x100_0000 + (((bytes[p + 1] as number) << 16) | ((bytes[p + 2] as number) << 8) | (bytes[p + 3] as number));
}

function byte(): number {
  need(1);
  return input[at++] as number;
}

function u16(): number {
  need(2);
  const value = ((input[at] as number) << 8) | (input[at + 1] as number);
  at += 2;
  return value;
}

function need(size: number): void {
  if (at + size > input.length) throw giveUp;
}

/**
 * The string of `size` bytes at `start` if they are all ASCII, else undefined. On Node, one
 * flat string through Buffer's latin1Slice (as msgpackr reads short strings): built four
 * characters a call elsewhere, a rope that V8 must flatten, copying it, at its first Map
 * lookup, regex test or comparison, which every id, account and tap key of a tap meets;
 * measured 115-170 ns a string with its first Map lookup, against 200-300 for the rope.
 * (A cache of recent strings, to build each repeated one once, measured slower: its lookups
 * miss the CPU caches.)
 */
function asciiAt(bytes: Uint8Array, start: number, size: number): string | undefined {
  const end = start + size;
  let high = 0;
  for (let i = start; i < end; i++) high |= bytes[i] as number;
  if (high > 0x7f) return undefined;
  if (latin1Slice !== undefined) return latin1Slice.call(bytes, start, end);
  let text = '';
  let i = start;
  for (; i + 4 <= end; i += 4) {
    text += String.fromCharCode(bytes[i] as number, bytes[i + 1] as number, bytes[i + 2] as number, bytes[i + 3] as number);
  }
  for (; i < end; i++) text += String.fromCharCode(bytes[i] as number);
  return text;
}

/** Node's Buffer.prototype.latin1Slice, which takes any Uint8Array as `this`; undefined outside Node. */
const latin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: (this: Uint8Array, start: number, end: number) => string } } }).Buffer
  ?.prototype.latin1Slice;
