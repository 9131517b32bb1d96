// Assertions for programmer errors: a failed one is a bug in the caller, never bad input
// from the outside world (that is a typed error from errors.ts).

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

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
