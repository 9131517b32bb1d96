import { describe, expect, it } from 'vitest';
import { entriesMaxDefault, ReplayGuard, skewMsMaxDefault } from './replay-guard.js';

const t0 = 1_772_410_531_500; // mid-bucket: bucket 1_772_410_531 holds ..._531_000 to ..._531_999

/** A distinct 32-byte signature per number. */
function signature(n: number): Uint8Array {
  const bytes = new Uint8Array(32);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

function request(n: number, timestampMs = t0) {
  return { timestampMs, signature: signature(n) };
}

describe('ReplayGuard', () => {
  it('has the documented defaults', () => {
    const guard = new ReplayGuard();
    expect([guard.skewMsMax, guard.bucketMs, guard.entriesMax]).toEqual([30_000, 1_000, 1_500_000]);
    expect([skewMsMaxDefault, entriesMaxDefault]).toEqual([30_000, 1_500_000]);
  });

  it('accepts a timestamp exactly skewMsMax away on either side, and refuses one ms more', () => {
    const guard = new ReplayGuard({ skewMsMax: 30_000 });
    expect(guard.admit(request(1, t0 - 30_000), t0)).toBe('accepted');
    expect(guard.admit(request(2, t0 + 30_000), t0)).toBe('accepted');
    expect(guard.admit(request(3, t0 - 30_001), t0)).toBe('expired');
    expect(guard.admit(request(4, t0 + 30_001), t0)).toBe('expired');
    expect(guard.size).toBe(2);
  });

  it('refuses a signature it has admitted, and admits others with the same timestamp', () => {
    const guard = new ReplayGuard();
    expect(guard.admit(request(1), t0)).toBe('accepted');
    expect(guard.admit(request(1), t0 + 10)).toBe('replayed');
    expect(guard.admit(request(2), t0 + 10)).toBe('accepted');
    expect(guard.size).toBe(2);
  });

  it('keys entries by the first 16 signature bytes', () => {
    const guard = new ReplayGuard();
    const first = signature(7);
    const tailDiffers = signature(7);
    tailDiffers[16] = 1;
    const headDiffers = signature(7);
    headDiffers[15] = 1;
    expect(guard.admit({ timestampMs: t0, signature: first }, t0)).toBe('accepted');
    expect(guard.admit({ timestampMs: t0, signature: tailDiffers }, t0)).toBe('replayed');
    expect(guard.admit({ timestampMs: t0, signature: headDiffers }, t0)).toBe('accepted');
  });

  it('refuses a replay for as long as the clock check would let it in, then forgets it by whole bucket', () => {
    const guard = new ReplayGuard({ skewMsMax: 30_000, bucketMs: 1_000 });
    expect(guard.admit(request(1), t0)).toBe('accepted');
    expect(guard.admit(request(1), t0 + 30_000)).toBe('replayed');
    // One ms later the clock check refuses it; its bucket still holds ..._531_999, so it stays.
    expect(guard.admit(request(1), t0 + 30_001)).toBe('expired');
    expect(guard.size).toBe(1);
    // The bucket's last timestamp, ..._531_999, leaves the window when now passes ..._561_999.
    expect(guard.admit(request(2, t0 + 30_499), t0 + 30_499)).toBe('accepted');
    expect(guard.size).toBe(2);
    expect(guard.admit(request(3, t0 + 30_500), t0 + 30_500)).toBe('accepted');
    expect(guard.size).toBe(2);
  });

  it('remembers a signature from a fast clock until its own timestamp leaves the window', () => {
    const guard = new ReplayGuard({ skewMsMax: 30_000 });
    expect(guard.admit(request(1, t0 + 30_000), t0)).toBe('accepted');
    expect(guard.admit(request(1, t0 + 30_000), t0 + 60_000)).toBe('replayed');
    expect(guard.admit(request(1, t0 + 30_000), t0 + 60_001)).toBe('expired');
  });

  it('does not reopen the window when the clock steps back', () => {
    const guard = new ReplayGuard({ skewMsMax: 30_000 });
    expect(guard.admit(request(1), t0)).toBe('accepted');
    expect(guard.admit(request(2, t0 + 40_000), t0 + 40_000)).toBe('accepted');
    expect(guard.size).toBe(1);
    // The clock steps back 20 s. The lower edge stays at the latest reading − skew (t0 + 10 s):
    // |now − t0| is 20 s, but t0's bucket is gone, so it stays refused.
    expect(guard.admit(request(1), t0 + 20_000)).toBe('expired');
    expect(guard.admit(request(3, t0 + 5_000), t0 + 20_000)).toBe('expired');
    expect(guard.admit(request(5, t0 + 10_000), t0 + 20_000)).toBe('accepted');
    // Still 30 s ahead of the stepped-back clock, as before the step.
    expect(guard.admit(request(4, t0 + 50_000), t0 + 20_000)).toBe('accepted');
    expect(guard.admit(request(6, t0 + 50_001), t0 + 20_000)).toBe('expired');
    expect(guard.size).toBe(3);
  });

  it('refuses new signatures when full, still tells replays apart, and takes new ones after expiry', () => {
    const guard = new ReplayGuard({ entriesMax: 3 });
    for (const n of [1, 2, 3]) expect(guard.admit(request(n), t0)).toBe('accepted');
    expect(guard.admit(request(4), t0)).toBe('full');
    expect(guard.admit(request(2), t0)).toBe('replayed');
    expect(guard.size).toBe(3);
    const later = t0 + 31_000;
    expect(guard.admit(request(4, later), later)).toBe('accepted');
    expect(guard.size).toBe(1);
  });

  it('holds entries across many buckets and drops them in order', () => {
    const guard = new ReplayGuard({ skewMsMax: 10_000, bucketMs: 1_000 });
    const start = 1_772_410_530_000;
    for (let second = 0; second < 10; second += 1) {
      for (let n = 0; n < 5; n += 1) expect(guard.admit(request(second * 5 + n, start + second * 1_000), start + second * 1_000)).toBe('accepted');
    }
    expect(guard.size).toBe(50);
    // At start + 12 s the window starts at start + 2 s: buckets 0 and 1 go, 2..9 stay.
    expect(guard.admit(request(999, start + 12_000), start + 12_000)).toBe('accepted');
    expect(guard.size).toBe(41);
    expect(guard.admit(request(10, start + 2_000), start + 12_000)).toBe('replayed');
  });

  it.each([
    ['bucketMs 0', { bucketMs: 0 }, /bucketMs must be at least 1/],
    ['a negative skew', { skewMsMax: -1 }, /skewMsMax: expected an integer/],
    ['a fractional entriesMax', { entriesMax: 1.5 }, /entriesMax: expected an integer/],
  ])('asserts on %s', (_name, options, message) => {
    expect(() => new ReplayGuard(options)).toThrow(message);
  });

  it('asserts on a clock or signature a caller got wrong', () => {
    const guard = new ReplayGuard();
    expect(() => guard.admit(request(1), Number.NaN)).toThrow(/nowMs: expected an integer/);
    expect(() => guard.admit({ timestampMs: t0, signature: new Uint8Array(16) }, t0)).toThrow(/signature: expected 32 bytes, got 16/);
  });
});
