/**
 * Why a byte string is not a valid ledger entry. Stable strings, listed in
 * docs/ledger-format.md and used by the negative test vectors.
 */
export const decodeReasons = [
  'too-large', // longer than entryBytesMax
  'truncated', // ends inside a value
  'trailing-bytes', // bytes after the entry map
  'not-a-map', // the entry is not a msgpack map
  'unsupported-type', // nil, bool, bin, ext or a never-used byte where a value belongs
  'float', // float 32 or float 64 anywhere
  'non-canonical-int', // an integer not in its shortest format (non-negative: unsigned family)
  'int-out-of-range', // an integer beyond ±(2^53 - 1)
  'non-canonical-length', // a str/array/map header longer than needed
  'invalid-utf8', // a str that is not well-formed UTF-8
  'non-string-key', // a map key that is not a str
  'duplicate-key', // the same key twice in the entry map
  'wrong-type', // a value of the wrong msgpack type for its field
  'unknown-version', // v is not a version this decoder knows
  'unknown-type', // type is not tap, trip or adjustment
  'missing-field', // a field its type (and mode) requires is absent
  'unknown-field', // a field not in the type's schema, or not allowed for its mode
  'key-order', // keys not in the schema's order
  'invalid-value', // a value that breaks a domain rule (range, charset, an invariant)
  'not-canonical', // decodes, but re-encoding gives other bytes (a safety net: no known case)
] as const;
export type DecodeReason = (typeof decodeReasons)[number];

/** Bad bytes: a typed error, never an assertion. */
export class EntryDecodeError extends Error {
  override readonly name = 'EntryDecodeError';
  readonly reason: DecodeReason;
  /** The entry field at fault, when one is. */
  readonly field: string | undefined;
  /** Byte offset of the fault, when the msgpack reader found it. */
  readonly offset: number | undefined;

  constructor(reason: DecodeReason, detail: string, where: { field?: string; offset?: number; cause?: unknown } = {}) {
    super(`${reason}: ${detail}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.reason = reason;
    this.field = where.field;
    this.offset = where.offset;
  }
}
