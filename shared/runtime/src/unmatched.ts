import type { Context } from 'hono';

// Requests that reached the not-found handler, so that metrics label them `unmatched`
// rather than with the pattern of the last middleware they passed (`/v1/*`). A WeakSet
// keyed by the request's Context: nothing to clean up, nothing added to the hot path of
// matched requests.
const unmatched = new WeakSet<Context>();

export function markUnmatched(c: Context): void {
  unmatched.add(c);
}

export function isUnmatched(c: Context): boolean {
  return unmatched.has(c);
}
