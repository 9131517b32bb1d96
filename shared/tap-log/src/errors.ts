// Operating errors of the tap log, one class per answer ingest gives. Programmer errors
// (a malformed record, a submission over the group limits) fail an assertion instead.

/** Too much is queued or in flight: nothing of this submission was queued. Ingest: 429. */
export class LogOverloadedError extends Error {
  override readonly name = 'LogOverloadedError';
}

/**
 * The log did not confirm durability: the backend failed, or the submission was not
 * durable within appendTimeoutMs. Its records may or may not have been written (see
 * docs/tap-log.md, "503 means unknown"). Ingest: 503 + Retry-After.
 */
export class LogUnavailableError extends Error {
  override readonly name = 'LogUnavailableError';
}

/** The log is closing or closed and takes no more submissions. Ingest: 503. */
export class LogClosedError extends Error {
  override readonly name = 'LogClosedError';
}

/**
 * The log cannot be used as configured: the local file was created with another partition
 * count, the Kafka topic is missing or has another partition count, an option is out of
 * range. Retrying does not help; start-up stops with this message.
 */
export class TapLogConfigError extends Error {
  override readonly name = 'TapLogConfigError';
}
