/**
 * Assertions are for programmer errors: a broken invariant, a pre- or post-condition a
 * caller was bound to keep. They crash loudly. Bad input from outside is never asserted
 * on; it is rejected with a typed error (see errors.ts).
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** A Uint8Array, of exactly `length` bytes when given. TypeError / RangeError, as noble's `abytes`. */
export function aBytes(value: unknown, length: number | undefined, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${title}: expected Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${title}: expected ${length} bytes, got ${value.length}`);
  }
}

/** A non-negative safe integer (0 ≤ n ≤ 2^53 − 1). */
export function aSafeUint(value: unknown, title: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${title}: expected an integer in [0, 2^53-1], got ${String(value)}`);
  }
}
