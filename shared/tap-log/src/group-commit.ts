import { assert } from '@fareledger/domain';
import { LogClosedError, LogOverloadedError, LogUnavailableError } from './errors.js';
import { type AppendDurably, assertRecord, recordBytes, type TapRecord } from './record.js';

// Group commit: many small concurrent appends share one durable write. A durable write
// costs one fsync (local log) or one acks=all round trip (Kafka) whatever its size, so at
// 50,000 taps/s one write per tap is out of reach and one write per group is cheap. At most
// one backend call is in flight: it keeps the offsets of a partition in submission order on
// both backends, and it is what lets the queue grow into the next group while the disk or
// broker works, so the group size adapts to the load without tuning.

export interface GroupCommitOptions {
  /**
   * How long an idle log waits for more submissions before it writes a group. 0 waits for
   * the next turn of the event loop (setImmediate), which still gathers every request that
   * the same I/O poll delivered. While a write is in flight the next group forms anyway.
   */
  readonly lingerMs?: number;
  /** A group is written as soon as this many records are queued. */
  readonly groupRecordsMax?: number;
  /**
   * Bytes (values + keys) in one group. Kafka rejects a partition's record batch over the
   * broker's message.max.bytes (1 MiB by default): 512 KiB keeps a group under it even if
   * every record goes to one partition, with room for Kafka's per-record overhead.
   */
  readonly groupBytesMax?: number;
  /** Records queued plus in flight; a submission that would pass it is refused (429). */
  readonly inFlightRecordsMax?: number;
  /** A submission not durable within this rejects with LogUnavailableError (503). */
  readonly appendTimeoutMs?: number;
  /** After every durable group: its record count and the backend call's duration. */
  readonly onGroupCommitted?: (records: number, backendMs: number) => void;
  /** After every failed backend call. */
  readonly onGroupFailed?: (records: number, backendMs: number, error: unknown) => void;
}

export const groupCommitDefaults = Object.freeze({
  lingerMs: 1,
  // 4,096 taps of ~190 bytes is ~780 KB; groupBytesMax binds first for larger entries.
  groupRecordsMax: 4_096,
  groupBytesMax: 512 * 1024,
  // One second of taps at the 50,000 taps/s design rate, ~15 MB of entries.
  inFlightRecordsMax: 50_000,
  // Long enough to ride out a Kafka leader election (a few seconds), short enough that a
  // device is told to retry before its own request timeout.
  appendTimeoutMs: 5_000,
});

const lingerMsMax = 1_000;
const appendTimeoutMsMax = 600_000;

/** A cheap snapshot for metrics. Counters only grow; gauges are as of the call. */
export interface GroupCommitStats {
  readonly groupsCommitted: number;
  readonly groupsFailed: number;
  readonly recordsCommitted: number;
  readonly recordsFailed: number;
  readonly submissionsRejectedOverload: number;
  readonly submissionsRejectedClosed: number;
  readonly submissionsTimedOut: number;
  /** Gauge: records waiting for the next group. */
  readonly recordsQueued: number;
  /** Gauge: records in the backend call now running. */
  readonly recordsInFlight: number;
  readonly groupRecordsLast: number;
  readonly backendMsLast: number;
  readonly backendMsTotal: number;
}

interface Submission {
  readonly records: readonly TapRecord[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** queued → writing (in a backend call) → settled; or queued/writing → settled on timeout. */
  phase: 'queued' | 'writing' | 'settled';
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class GroupCommit {
  readonly lingerMs: number;
  readonly groupRecordsMax: number;
  readonly groupBytesMax: number;
  readonly inFlightRecordsMax: number;
  readonly appendTimeoutMs: number;
  readonly #appendDurably: AppendDurably;
  readonly #onGroupCommitted: GroupCommitOptions['onGroupCommitted'];
  readonly #onGroupFailed: GroupCommitOptions['onGroupFailed'];

  #queue: Submission[] = [];
  #queuedBytes = 0;
  #lingerTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #inFlight = false;
  #closing = false;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;
  readonly #stats: Mutable<GroupCommitStats> = {
    groupsCommitted: 0,
    groupsFailed: 0,
    recordsCommitted: 0,
    recordsFailed: 0,
    submissionsRejectedOverload: 0,
    submissionsRejectedClosed: 0,
    submissionsTimedOut: 0,
    recordsQueued: 0,
    recordsInFlight: 0,
    groupRecordsLast: 0,
    backendMsLast: 0,
    backendMsTotal: 0,
  };

  constructor(appendDurably: AppendDurably, options: GroupCommitOptions = {}) {
    this.#appendDurably = appendDurably;
    this.lingerMs = options.lingerMs ?? groupCommitDefaults.lingerMs;
    this.groupRecordsMax = options.groupRecordsMax ?? groupCommitDefaults.groupRecordsMax;
    this.groupBytesMax = options.groupBytesMax ?? groupCommitDefaults.groupBytesMax;
    this.inFlightRecordsMax = options.inFlightRecordsMax ?? groupCommitDefaults.inFlightRecordsMax;
    this.appendTimeoutMs = options.appendTimeoutMs ?? groupCommitDefaults.appendTimeoutMs;
    this.#onGroupCommitted = options.onGroupCommitted;
    this.#onGroupFailed = options.onGroupFailed;
    checkOptions(this);
  }

  /**
   * Resolves once every record of `records` is durable. They are written in one backend
   * call, never split across two. Rejects with LogOverloadedError at once (nothing queued)
   * when the bound on queued + in-flight records would be passed, LogClosedError after
   * drain(), LogUnavailableError when the backend failed or appendTimeoutMs passed.
   */
  submit(records: readonly TapRecord[]): Promise<void> {
    const bytes = checkSubmission(this, records);
    if (this.#closing) {
      this.#stats.submissionsRejectedClosed++;
      return Promise.reject(new LogClosedError('the tap log is closing; no new appends'));
    }
    const pending = this.#stats.recordsQueued + this.#stats.recordsInFlight;
    if (pending + records.length > this.inFlightRecordsMax) {
      this.#stats.submissionsRejectedOverload++;
      return Promise.reject(new LogOverloadedError(
        `the tap log has ${pending} records queued or in flight, at most ${this.inFlightRecordsMax}`,
      ));
    }
    return new Promise<void>((resolve, reject) => {
      const submission: Submission = { records, bytes, resolve, reject, timer: undefined, phase: 'queued' };
      submission.timer = setTimeout(() => this.#timeOut(submission), this.appendTimeoutMs);
      this.#queue.push(submission);
      this.#stats.recordsQueued += records.length;
      this.#queuedBytes += bytes;
      this.#schedule();
    });
  }

  stats(): GroupCommitStats {
    return { ...this.#stats };
  }

  /**
   * Stops accepting (new submissions reject with LogClosedError), writes what is queued
   * without waiting for the linger, and resolves when every submission has settled and no
   * backend call is in flight. Safe to call more than once.
   */
  drain(): Promise<void> {
    if (this.#drained === undefined) {
      this.#closing = true;
      this.#drained = new Promise<void>((resolve) => (this.#resolveDrained = resolve));
      if (this.#lingerTimer !== undefined) this.#clearLinger();
      this.#schedule();
      this.#checkDrained();
    }
    return this.#drained;
  }

  #schedule(): void {
    if (this.#inFlight || this.#stats.recordsQueued === 0) return;
    const full = this.#stats.recordsQueued >= this.groupRecordsMax || this.#queuedBytes >= this.groupBytesMax;
    if (full || this.#closing) {
      if (this.#lingerTimer !== undefined) this.#clearLinger();
      this.#startGroup();
    } else if (this.#lingerTimer === undefined) {
      const fire = () => {
        this.#lingerTimer = undefined;
        if (!this.#inFlight) this.#startGroup();
      };
      this.#lingerTimer = this.lingerMs === 0 ? setImmediate(fire) : setTimeout(fire, this.lingerMs);
    }
  }

  #clearLinger(): void {
    const timer = this.#lingerTimer;
    this.#lingerTimer = undefined;
    if (this.lingerMs === 0) clearImmediate(timer as NodeJS.Immediate);
    else clearTimeout(timer as NodeJS.Timeout);
  }

  /** Takes whole submissions from the front of the queue, within the group limits. */
  #takeGroup(): { group: Submission[]; records: TapRecord[] } {
    const group: Submission[] = [];
    const records: TapRecord[] = [];
    let bytes = 0;
    let taken = 0;
    for (; taken < this.#queue.length; taken++) {
      const submission = this.#queue[taken]!;
      if (submission.phase === 'settled') continue; // timed out while queued: off the counts already
      const fits = records.length + submission.records.length <= this.groupRecordsMax &&
        bytes + submission.bytes <= this.groupBytesMax;
      if (!fits) break;
      submission.phase = 'writing';
      group.push(submission);
      for (const record of submission.records) records.push(record);
      bytes += submission.bytes;
    }
    this.#queue = taken === this.#queue.length ? [] : this.#queue.slice(taken);
    this.#queuedBytes -= bytes;
    this.#stats.recordsQueued -= records.length;
    return { group, records };
  }

  #startGroup(): void {
    assert(!this.#inFlight, 'group commit: a second backend call while one is in flight');
    const { group, records } = this.#takeGroup();
    if (records.length === 0) return this.#checkDrained();
    this.#inFlight = true;
    this.#stats.recordsInFlight = records.length;
    const startedMs = performance.now();
    // Through a promise: the backend runs after submit() returns, and a synchronous throw
    // from it is a rejection like any other.
    Promise.resolve()
      .then(() => this.#appendDurably(records))
      .then(
        () => this.#finishGroup(group, records.length, performance.now() - startedMs, undefined),
        (error: unknown) => this.#finishGroup(group, records.length, performance.now() - startedMs, error ?? 'unknown error'),
      );
  }

  #finishGroup(group: Submission[], recordCount: number, backendMs: number, error: unknown): void {
    this.#inFlight = false;
    const stats = this.#stats;
    stats.recordsInFlight = 0;
    stats.groupRecordsLast = recordCount;
    stats.backendMsLast = backendMs;
    stats.backendMsTotal += backendMs;
    if (error === undefined) {
      stats.groupsCommitted++;
      stats.recordsCommitted += recordCount;
    } else {
      stats.groupsFailed++;
      stats.recordsFailed += recordCount;
    }
    const failure = error === undefined ? undefined : new LogUnavailableError(
      `the tap log could not write a group of ${recordCount} records: ${messageOf(error)}`,
      { cause: error },
    );
    for (const submission of group) {
      if (submission.phase === 'settled') continue; // timed out: its client already has a 503
      submission.phase = 'settled';
      clearTimeout(submission.timer);
      if (failure === undefined) submission.resolve();
      else submission.reject(failure);
    }
    // Whatever queued meanwhile has waited a whole backend call already: no linger.
    if (stats.recordsQueued > 0) this.#startGroup();
    this.#checkDrained();
    if (error === undefined) this.#onGroupCommitted?.(recordCount, backendMs);
    else this.#onGroupFailed?.(recordCount, backendMs, error);
  }

  #timeOut(submission: Submission): void {
    if (submission.phase === 'settled') return;
    const queued = submission.phase === 'queued';
    submission.phase = 'settled';
    this.#stats.submissionsTimedOut++;
    // Still queued: take it off the counts now (#takeGroup skips it). In flight: its
    // records stay counted until the backend call ends, since they are still being written.
    if (queued) {
      this.#stats.recordsQueued -= submission.records.length;
      this.#queuedBytes -= submission.bytes;
    }
    submission.reject(new LogUnavailableError(
      `the tap log did not confirm the append within ${this.appendTimeoutMs} ms; it may or may not be written`,
    ));
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#resolveDrained === undefined || this.#inFlight) return;
    if (this.#queue.some((submission) => submission.phase !== 'settled')) return;
    this.#queue = [];
    this.#resolveDrained();
  }
}

function checkOptions(group: GroupCommit): void {
  const { lingerMs, groupRecordsMax, groupBytesMax, inFlightRecordsMax, appendTimeoutMs } = group;
  assertIntegerIn('lingerMs', lingerMs, 0, lingerMsMax);
  assertIntegerIn('groupRecordsMax', groupRecordsMax, 1, inFlightRecordsMax);
  assertIntegerIn('groupBytesMax', groupBytesMax, 1, Number.MAX_SAFE_INTEGER);
  assertIntegerIn('inFlightRecordsMax', inFlightRecordsMax, groupRecordsMax, Number.MAX_SAFE_INTEGER);
  assertIntegerIn('appendTimeoutMs', appendTimeoutMs, 1, appendTimeoutMsMax);
}

function assertIntegerIn(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`group commit: ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/**
 * Ingest bounds a batch far below the group limits, so a submission over them is a bug; it
 * could never be written whole without breaking a limit. Returns the submission's bytes.
 */
function checkSubmission(group: GroupCommit, records: readonly TapRecord[]): number {
  assert(records.length > 0, 'group commit: an empty submission');
  assert(records.length <= group.groupRecordsMax,
    `group commit: a submission of ${records.length} records, groupRecordsMax is ${group.groupRecordsMax}`);
  let bytes = 0;
  for (const record of records) {
    assertRecord(record);
    bytes += recordBytes(record);
  }
  assert(bytes <= group.groupBytesMax,
    `group commit: a submission of ${bytes} bytes, groupBytesMax is ${group.groupBytesMax}`);
  return bytes;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
