import { assert, type Entry, type EntryType, entryTypes, inheritsNoFields, isParsedTrip, parseEntry, ValidationError } from '@fareledger/domain';
import { type DecodeReason, EntryDecodeError } from './errors.js';
import { entryBytesMax, entryFields, entryHeaderFields, entrySchemaVersion, type FieldKind } from './entry-schema.js';
import { entryPrefixes, type WireField, wireFields } from './wire-fields.js';
import { type EntryValue, readEntryMap } from './msgpack-reader.js';
import { CanonicalWriter } from './msgpack-writer.js';
import { decodeCanonical } from './canonical-reader.js';

/**
 * The canonical bytes of an entry: the Merkle leaf. The entry must be valid; encoding an
 * invalid one is a bug in the caller (it builds entries from parsed taps and priced trips),
 * so it fails an assertion rather than returning an error.
 *
 * The bytes are a view into a 32 KiB buffer shared with other entries' bytes, as
 * Buffer.allocUnsafe's share Node's pool (a buffer of its own per entry cost 0.4-1 µs): mind
 * byteOffset (`Buffer.from(b.buffer, b.byteOffset, b.byteLength)`), never transfer or detach
 * `bytes.buffer` (postMessage's transfer list), and slice() bytes kept alone for long.
 */
export function encodeEntry(entry: Entry): Uint8Array {
  // A trip already in parsed form (every trip a TripBuilder prices) is written as it is:
  // parseTrip's copy cost more than the writing.
  if (entry.type === 'trip' && isParsedTrip(entry.trip) && writeBody(entry)) return writer.finish();
  let valid: Entry;
  try {
    valid = parseEntry(entry);
  } catch (error) {
    if (error instanceof ValidationError) assert(false, `encodeEntry: invalid entry: ${error.message}`);
    throw error;
  }
  writeEntry(valid);
  return writer.finish();
}

// One writer for every encoding: writeEntry runs to completion without yielding, so no two
// calls share it at once. A fresh 4 KiB buffer per entry cost 2 µs of a 7 µs encode.
const writer = new CanonicalWriter(entryBytesMax);

/**
 * Writes an entry that parseEntry has already checked: its fresh copy, which holds only
 * schema fields, none undefined, in wire order (parseTap and the like promise that order,
 * and a test checks it). Anything else is a bug, and fails an assertion.
 */
function writeEntry(valid: Entry): void {
  if (!writeBody(valid)) assert(false, `writeEntry: a ${valid.type} field is undefined, outside the schema or out of its order`);
}

/**
 * Writes the entry when its body holds only schema fields, none undefined, in wire order;
 * returns false (what was written is then garbage) when it does not. One walk of the schema
 * meets each key in turn, and for-in reads the values by their slots: measured 40 ns for a
 * trip's 15 fields, against 190 ns for a lookup per schema field by name.
 */
function writeBody(entry: Entry): boolean {
  const body = entryBody(entry) as Readonly<Record<string, unknown>>;
  const fields = wireFields[entry.type];
  const fieldCount = ownFieldCount(body);
  writer.reset();
  writer.mapHeader(entryHeaderFields.length + fieldCount);
  const prefix = entryPrefixes[entry.type];
  writer.rawWords(prefix.words, prefix.bytes.length);
  let at = 0;
  let written = 0;
  for (const key in body) {
    if (written === fieldCount) break; // for-in gives own keys first: the rest are inherited
    written++;
    while (at < fields.length && (fields[at] as WireField).name !== key) at++;
    const field = fields[at++];
    const value = body[key];
    if (field === undefined || value === undefined) return false;
    writer.rawWords(field.keyWords, field.key.length);
    writeValue(writer, field.kind, value);
  }
  return true;
}

/**
 * The entry whose canonical encoding is exactly `bytes`, or an EntryDecodeError naming why
 * there is none. One pass (canonical-reader.ts) accepts the canonical encoding of a valid
 * entry; for anything else the step-by-step decoder below names the fault.
 */
export function decodeEntry(bytes: Uint8Array): Entry {
  if (bytes.length > entryBytesMax) {
    throw new EntryDecodeError('too-large', `${bytes.length} bytes, at most ${entryBytesMax}`);
  }
  return decodeCanonical(bytes, parseEntry) ?? decodeStepwise(bytes);
}

/**
 * The decoder that names the fault. Checks, in order: msgpack canonical form, header,
 * schema, domain rules, and finally that re-encoding gives the same bytes. It returns the
 * entry of valid bytes too, though decodeCanonical takes every valid entry first (a
 * property test checks that the two accept the same bytes, as the same entry).
 */
export function decodeStepwise(bytes: Uint8Array): Entry {
  const pairs = readEntryMap(bytes);
  const type = readHeader(pairs);
  const body = readBody(pairs, type);
  const entry = toEntry(type, body);
  writeEntry(entry);
  if (!equalBytes(writer.written(), bytes)) {
    throw new EntryDecodeError('not-canonical', 're-encoding gives other bytes');
  }
  return entry;
}

/**
 * Object.keys(body).length, without the array (100-200 ns of a trip's encode, and its
 * garbage): for-in's count, unless the prototype lends enumerable keys too (a polluted one).
 */
function ownFieldCount(body: object): number {
  if (!inheritsNoFields(body)) return Object.keys(body).length;
  let count = 0;
  for (const _ in body) count++;
  return count;
}

function entryBody(entry: Entry): object {
  switch (entry.type) {
    case 'tap':
      return entry.tap;
    case 'trip':
      return entry.trip;
    case 'adjustment':
      return entry.adjustment;
  }
}

function writeValue(writer: CanonicalWriter, kind: FieldKind, value: unknown): void {
  switch (kind) {
    case 'str':
      assert(typeof value === 'string', 'writeValue: str');
      return writer.str(value);
    case 'int':
      assert(typeof value === 'number', 'writeValue: int');
      return writer.int(value);
    case 'str-list':
      assert(Array.isArray(value), 'writeValue: str-list');
      writer.arrayHeader(value.length);
      for (const item of value as unknown[]) {
        assert(typeof item === 'string', 'writeValue: str-list item');
        writer.str(item);
      }
  }
}

/** `v` must be 1 and `type` a known entry type; where they stand is checked with the rest. */
function readHeader(pairs: readonly (readonly [string, EntryValue])[]): EntryType {
  const version = pairs.find(([key]) => key === 'v');
  if (version === undefined) throw new EntryDecodeError('missing-field', 'no v', { field: 'v' });
  if (typeof version[1] !== 'number') throw new EntryDecodeError('wrong-type', 'v must be an integer', { field: 'v' });
  if (version[1] !== entrySchemaVersion) {
    throw new EntryDecodeError('unknown-version', `v ${version[1]}, this decoder reads ${entrySchemaVersion}`, { field: 'v' });
  }
  const type = pairs.find(([key]) => key === 'type');
  if (type === undefined) throw new EntryDecodeError('missing-field', 'no type', { field: 'type' });
  if (typeof type[1] !== 'string') throw new EntryDecodeError('wrong-type', 'type must be a str', { field: 'type' });
  const name = type[1];
  if (!(entryTypes as readonly string[]).includes(name)) {
    throw new EntryDecodeError('unknown-type', `type '${name}'`, { field: 'type' });
  }
  return name as EntryType;
}

/** Per type: each key's place in the map (v and type first) and its msgpack type. */
const schemaIndex: { readonly [T in EntryType]: ReadonlyMap<string, readonly [index: number, kind: FieldKind]> } = {
  tap: indexOf('tap'),
  trip: indexOf('trip'),
  adjustment: indexOf('adjustment'),
};

function indexOf(type: EntryType): ReadonlyMap<string, readonly [number, FieldKind]> {
  const specs = [...entryHeaderFields, ...entryFields[type]];
  return new Map(specs.map(([name, kind], index) => [name, [index, kind] as const]));
}

/** Every key known and in schema order, every value of its field's msgpack type. */
function readBody(pairs: readonly (readonly [string, EntryValue])[], type: EntryType): Record<string, unknown> {
  const schema = schemaIndex[type];
  const body: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let previous = -1;
  for (const [key, value] of pairs) {
    const spec = schema.get(key);
    if (spec === undefined) throw new EntryDecodeError('unknown-field', `'${key}' is not a ${type} field`, { field: key });
    const [index, kind] = spec;
    if (index < previous) throw new EntryDecodeError('key-order', `'${key}' is out of order`, { field: key });
    previous = index;
    if (!hasKind(value, kind)) throw new EntryDecodeError('wrong-type', `'${key}' must be ${kind}`, { field: key });
    if (index >= entryHeaderFields.length) body[key] = value;
  }
  return body;
}

function hasKind(value: EntryValue, kind: FieldKind): boolean {
  switch (kind) {
    case 'str':
      return typeof value === 'string';
    case 'int':
      return typeof value === 'number';
    case 'str-list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

const reasonByCode: { readonly [code in ValidationError['code']]: DecodeReason } = {
  missing: 'missing-field',
  'not-allowed': 'unknown-field',
  type: 'wrong-type',
  length: 'invalid-value',
  charset: 'invalid-value',
  range: 'invalid-value',
  invariant: 'invalid-value',
};

function toEntry(type: EntryType, body: Record<string, unknown>): Entry {
  try {
    return parseEntry({ type, [type]: body });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const field = error.field.slice(type.length + 1); // 'tap.stationId' → 'stationId'
    throw new EntryDecodeError(reasonByCode[error.code], error.message, { field, cause: error });
  }
}

/** Whether two byte strings are the same bytes (as a canonical encoding is compared). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
