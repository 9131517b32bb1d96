import { AssertionError } from '@fareledger/domain';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LogClosedError, LogOverloadedError, LogUnavailableError } from './errors.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import type { TapRecord } from './record.js';

// The group commit is generic over its backend, so these tests give it one that records
// every call and settles it when the test says, and drive linger and timeouts with vitest's
// fake clock: what is checked is which records go into which call, never how long it took.

class ManualBackend {
  readonly calls: TapRecord[][] = [];
  inFlightMax = 0;
  #inFlight = 0;
  readonly #pending: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  readonly appendDurably = (records: readonly TapRecord[]): Promise<void> => {
    this.calls.push([...records]);
    this.#inFlight++;
    this.inFlightMax = Math.max(this.inFlightMax, this.#inFlight);
    return new Promise<void>((resolve, reject) => this.#pending.push({ resolve, reject })).finally(() => this.#inFlight--);
  };

  get pendingCount(): number {
    return this.#pending.length;
  }

  succeed(): void {
    const call = this.#pending.shift();
    expect(call).toBeDefined();
    call!.resolve();
  }

  fail(error: unknown): void {
    const call = this.#pending.shift();
    expect(call).toBeDefined();
    call!.reject(error);
  }
}

let serial = 0;
function records(count: number, valueBytes = 3): TapRecord[] {
  return Array.from({ length: count }, () => {
    const n = serial++;
    return { key: `account-${n}`, value: new Uint8Array(valueBytes).fill(n & 0xff), timestampMs: 1_700_000_000_000 + n };
  });
}

type State = 'pending' | 'fulfilled' | { rejected: unknown };
function track(promise: Promise<void>): { readonly state: State } {
  const tracker: { state: State } = { state: 'pending' };
  promise.then(() => (tracker.state = 'fulfilled'), (error: unknown) => (tracker.state = { rejected: error }));
  return tracker;
}

/** Runs due timers and pending promise callbacks up to `ms` of fake time from now. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

function setup(options: GroupCommitOptions = {}) {
  const backend = new ManualBackend();
  const group = new GroupCommit(backend.appendDurably, { lingerMs: 1, ...options });
  return { backend, group };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GroupCommit: grouping', () => {
  it('coalesces 1,000 concurrent single-record submissions into one backend call, in order', async () => {
    const { backend, group } = setup();
    const submitted = Array.from({ length: 1_000 }, () => records(1));
    const results = submitted.map((batch) => track(group.submit(batch)));
    await advance(1);
    expect(backend.calls.length).toBe(1);
    expect(backend.calls[0]).toEqual(submitted.flat());
    backend.succeed();
    await advance(0);
    expect(results.every((result) => result.state === 'fulfilled')).toBe(true);
    expect(group.stats()).toMatchObject({ groupsCommitted: 1, recordsCommitted: 1_000, groupRecordsLast: 1_000,
      recordsQueued: 0, recordsInFlight: 0 });
  });

  it('waits lingerMs when idle before it writes', async () => {
    const { backend, group } = setup({ lingerMs: 5 });
    group.submit(records(1)).catch(() => {});
    await advance(4);
    expect(backend.calls.length).toBe(0);
    await advance(1);
    expect(backend.calls.length).toBe(1);
  });

  it('lingerMs 0 writes what was submitted in the same turn as one group', async () => {
    vi.useRealTimers();
    const { backend, group } = setup({ lingerMs: 0 });
    const done = Promise.all([group.submit(records(1)), group.submit(records(2)), group.submit(records(3))]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(backend.calls.map((call) => call.length)).toEqual([6]);
    backend.succeed();
    await done;
  });

  it('keeps one backend call in flight; what queues meanwhile is the next group, with no linger', async () => {
    const { backend, group } = setup({ lingerMs: 50 });
    const first = records(2);
    const a = track(group.submit(first));
    await advance(50);
    const second = records(1);
    const third = records(3);
    const b = track(group.submit(second));
    const c = track(group.submit(third));
    await advance(1_000);
    expect(backend.calls.length).toBe(1);
    backend.succeed();
    await advance(0); // no linger: the queued group starts as soon as the first call ends
    expect(a.state).toBe('fulfilled');
    expect(backend.calls).toEqual([first, [...second, ...third]]);
    expect(b.state).toBe('pending');
    backend.succeed();
    await advance(0);
    expect([b.state, c.state]).toEqual(['fulfilled', 'fulfilled']);
    expect(backend.inFlightMax).toBe(1);
  });

  it('writes at once when groupRecordsMax are queued, and never splits a submission', async () => {
    const { backend, group } = setup({ lingerMs: 1_000, groupRecordsMax: 10, inFlightRecordsMax: 100 });
    const batches = [records(4), records(4), records(4)];
    for (const batch of batches) group.submit(batch).catch(() => {});
    await advance(0);
    // 12 queued >= 10: the group takes whole submissions while they fit (4 + 4), not 10.
    expect(backend.calls).toEqual([[...batches[0]!, ...batches[1]!]]);
    backend.succeed();
    await advance(0);
    expect(backend.calls[1]).toEqual(batches[2]);
  });

  it('bounds a group by groupBytesMax (values + keys)', async () => {
    // Each record: 100 value bytes + a 10-byte key ('account-NN') = 110 bytes.
    serial = 10;
    const { backend, group } = setup({ lingerMs: 1_000, groupBytesMax: 250 });
    const batches = [records(1, 100), records(1, 100), records(1, 100)];
    for (const batch of batches) group.submit(batch).catch(() => {});
    await advance(0);
    expect(backend.calls).toEqual([[...batches[0]!, ...batches[1]!]]);
  });
});

describe('GroupCommit: bounds and failures', () => {
  it('rejects a submission past inFlightRecordsMax at once, queueing nothing of it', async () => {
    const { backend, group } = setup({ groupRecordsMax: 10, inFlightRecordsMax: 10 });
    const kept = records(6);
    const a = track(group.submit(kept));
    const refused = track(group.submit(records(5)));
    await Promise.resolve();
    await Promise.resolve();
    expect(refused.state).toEqual({ rejected: expect.any(LogOverloadedError) });
    expect(group.stats()).toMatchObject({ recordsQueued: 6, submissionsRejectedOverload: 1 });
    await advance(1);
    expect(backend.calls).toEqual([kept]);
    // In flight counts too: 6 in flight + 5 > 10.
    const refusedAgain = track(group.submit(records(5)));
    const fits = records(4);
    const b = track(group.submit(fits));
    await advance(0);
    expect(refusedAgain.state).toEqual({ rejected: expect.any(LogOverloadedError) });
    backend.succeed();
    await advance(0);
    expect(a.state).toBe('fulfilled');
    expect(backend.calls[1]).toEqual(fits);
    backend.succeed();
    await advance(0);
    expect(b.state).toBe('fulfilled');
  });

  it('rejects with LogUnavailableError after appendTimeoutMs; a late success changes nothing', async () => {
    const { backend, group } = setup({ appendTimeoutMs: 100 });
    const a = track(group.submit(records(2)));
    await advance(99);
    expect(a.state).toBe('pending');
    await advance(1);
    expect(a.state).toEqual({ rejected: expect.any(LogUnavailableError) });
    expect(group.stats()).toMatchObject({ submissionsTimedOut: 1, recordsInFlight: 2 });
    backend.succeed();
    await advance(0);
    expect(group.stats()).toMatchObject({ groupsCommitted: 1, recordsCommitted: 2, recordsInFlight: 0 });
  });

  it('does not write a submission that timed out while still queued', async () => {
    const { backend, group } = setup({ appendTimeoutMs: 100 });
    const a = track(group.submit(records(1)));
    await advance(1);
    const b = track(group.submit(records(1))); // queued behind the stuck call
    await advance(100);
    expect(a.state).toEqual({ rejected: expect.any(LogUnavailableError) });
    expect(b.state).toEqual({ rejected: expect.any(LogUnavailableError) });
    expect(group.stats().recordsQueued).toBe(0);
    const later = records(1);
    const c = track(group.submit(later)); // queued behind the stuck call, with b's remains
    backend.succeed();
    await advance(0);
    expect(backend.calls.length).toBe(2);
    expect(backend.calls[1]).toEqual(later);
    backend.succeed();
    await advance(0);
    expect(c.state).toBe('fulfilled');
  });

  it('rejects every submission of a failed group with LogUnavailableError carrying the cause', async () => {
    const failed: [number, unknown][] = [];
    const { backend, group } = setup({ onGroupFailed: (count, _ms, error) => failed.push([count, error]) });
    const results = [track(group.submit(records(1))), track(group.submit(records(2)))];
    await advance(1);
    const cause = new Error('disk full');
    backend.fail(cause);
    await advance(0);
    for (const result of results) {
      expect(result.state).toEqual({ rejected: expect.any(LogUnavailableError) });
      expect(((result.state as { rejected: Error }).rejected).cause).toBe(cause);
    }
    expect(failed).toEqual([[3, cause]]);
    expect(group.stats()).toMatchObject({ groupsFailed: 1, recordsFailed: 3, groupsCommitted: 0 });
    // The next submission gets a new backend call.
    const next = track(group.submit(records(1)));
    await advance(1);
    backend.succeed();
    await advance(0);
    expect(next.state).toBe('fulfilled');
  });

  it('turns a synchronous throw of the backend into LogUnavailableError', async () => {
    const cause = new TypeError('bad binding');
    const group = new GroupCommit(() => {
      throw cause;
    }, { lingerMs: 0 });
    const result = track(group.submit(records(1)));
    await advance(0);
    expect(result.state).toEqual({ rejected: expect.any(LogUnavailableError) });
    expect((result.state as { rejected: Error }).rejected.cause).toBe(cause);
  });

  it('reports each durable group to onGroupCommitted with its record count', async () => {
    const committed: number[] = [];
    const { backend, group } = setup({ onGroupCommitted: (count, backendMs) => {
      expect(backendMs).toBeGreaterThanOrEqual(0);
      committed.push(count);
    } });
    group.submit(records(3)).catch(() => {});
    await advance(1);
    group.submit(records(2)).catch(() => {});
    backend.succeed();
    await advance(0);
    backend.succeed();
    await advance(0);
    expect(committed).toEqual([3, 2]);
  });
});

describe('GroupCommit: drain', () => {
  it('stops intake, writes the queue without linger, resolves after the in-flight call', async () => {
    const { backend, group } = setup({ lingerMs: 1_000 });
    const queued = records(2);
    const a = track(group.submit(queued));
    const drained = track(group.drain());
    await advance(0);
    expect(backend.calls).toEqual([queued]);
    const refused = track(group.submit(records(1)));
    await advance(0);
    expect(refused.state).toEqual({ rejected: expect.any(LogClosedError) });
    expect(drained.state).toBe('pending');
    backend.succeed();
    await advance(0);
    expect([a.state, drained.state]).toEqual(['fulfilled', 'fulfilled']);
    expect(group.stats().submissionsRejectedClosed).toBe(1);
  });

  it('writes what queued behind the in-flight call before it resolves', async () => {
    const { backend, group } = setup();
    const a = track(group.submit(records(1)));
    await advance(1);
    const b = track(group.submit(records(1)));
    const drained = track(group.drain());
    backend.succeed();
    await advance(0);
    expect(backend.calls.length).toBe(2);
    expect(drained.state).toBe('pending');
    backend.succeed();
    await advance(0);
    expect([a.state, b.state, drained.state]).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('resolves at once when idle, and every call returns the same promise', async () => {
    const { group } = setup();
    const first = group.drain();
    expect(group.drain()).toBe(first);
    await first;
  });
});

describe('GroupCommit: programmer errors', () => {
  it('asserts on an empty submission, one over groupRecordsMax or groupBytesMax, and bad records', () => {
    const { group } = setup({ groupRecordsMax: 2, groupBytesMax: 100 });
    expect(() => group.submit([])).toThrow(AssertionError);
    expect(() => group.submit(records(3))).toThrow(AssertionError);
    expect(() => group.submit(records(1, 200))).toThrow(AssertionError);
    const [good] = records(1) as [TapRecord];
    expect(() => group.submit([{ ...good, key: 7 as unknown as string }])).toThrow(AssertionError);
    expect(() => group.submit([{ ...good, value: 'x' as unknown as Uint8Array }])).toThrow(AssertionError);
    expect(() => group.submit([{ ...good, timestampMs: -1 }])).toThrow(AssertionError);
    expect(() => group.submit([{ ...good, timestampMs: 1.5 }])).toThrow(AssertionError);
    expect(group.stats().recordsQueued).toBe(0);
  });

  it.each<[string, GroupCommitOptions]>([
    ['lingerMs', { lingerMs: -1 }],
    ['lingerMs', { lingerMs: 1_001 }],
    ['groupRecordsMax', { groupRecordsMax: 0 }],
    ['groupRecordsMax', { groupRecordsMax: 11, inFlightRecordsMax: 10 }],
    ['groupBytesMax', { groupBytesMax: 0 }],
    ['appendTimeoutMs', { appendTimeoutMs: 0 }],
    ['appendTimeoutMs', { appendTimeoutMs: 2.5 }],
  ])('refuses %s out of range with a RangeError naming it', (name, options) => {
    expect(() => new GroupCommit(() => Promise.resolve(), options)).toThrow(new RegExp(`^group commit: ${name} `));
    expect(() => new GroupCommit(() => Promise.resolve(), options)).toThrow(RangeError);
  });
});
