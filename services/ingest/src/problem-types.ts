import { defineProblemTypes } from '@fareledger/runtime';

/**
 * Problems only ingest answers with; the generic ones (invalid-request, unauthenticated, ...)
 * come from @fareledger/runtime. Each is served at `/problems/<slug>` and listed in
 * docs/problems.md.
 */
export const ingestProblemTypes = defineProblemTypes({
  'batch-too-large': {
    status: 413,
    title: 'Too many taps in one request',
    description:
      'The batch holds more taps than this ingest accepts in one request (`batchTapsMax` in the problem body). Nothing ' +
      'was accepted. Split the batch and send the parts; each part is all-or-nothing.',
  },
  'tap-log-overloaded': {
    status: 429,
    title: 'Ingest is at its in-flight limit',
    description:
      'Too many taps are waiting to become durable. Nothing of this request was accepted. Wait for the `Retry-After` ' +
      'seconds and send the same request again (re-signed); keep the taps queued on the device meanwhile.',
  },
  'tap-log-unavailable': {
    status: 503,
    title: 'The tap log did not confirm the taps',
    description:
      'The tap log (Kafka, or the embedded log) was unreachable or did not confirm durability in time. The outcome is ' +
      'unknown: some taps may have been stored. Keep the taps, wait for `Retry-After`, and send them again with the same ' +
      '`tapId`s: a tap stored twice is counted once, because the ledger drops duplicates by `deviceId/tapId`.',
  },
  'replay-window-full': {
    status: 503,
    title: 'Replay protection is at capacity',
    description:
      'Ingest remembers every signature inside the replay window, and that memory is full. Rather than forget signatures ' +
      'early, which would let replays through, it refuses new requests until old ones leave the window. Retry after ' +
      '`Retry-After` seconds.',
  },
  'device-conflict': {
    status: 409,
    title: 'The device cannot be changed this way',
    description:
      'The admin request conflicts with the device registry: the device id is already registered (ids are never reused, ' +
      'revoked ones included), the device is revoked, or it already has the most active keys allowed. The `detail` says which.',
  },
});
