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
