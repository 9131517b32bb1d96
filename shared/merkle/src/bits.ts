// Bit arithmetic on tree sizes and indices. JavaScript's bitwise operators work on 32
// bits, but a chain sealing 40,000 entries/s passes 2^32 entries in about a day, so
// these helpers work on any non-negative safe integer (< 2^53) by splitting it into
// high and low 32-bit words.

const TWO_32 = 0x1_0000_0000;

export function assertIndex(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
}

/** Number of bits needed to write n: 0 for 0, 1 for 1, 3 for 5, 33 for 2^32. */
export function bitLength(n: number): number {
  if (n < TWO_32) return 32 - Math.clz32(n);
  return 32 + (32 - Math.clz32(Math.floor(n / TWO_32)));
}

function trailingZeros32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Number of trailing zero bits of n > 0. */
export function trailingZeros(n: number): number {
  const low = n >>> 0;
  if (low !== 0) return trailingZeros32(low);
  return 32 + trailingZeros32(Math.floor(n / TWO_32) >>> 0);
}

/** 2^k as an exact number, for 0 <= k <= 52. */
export function pow2(k: number): number {
  return 2 ** k;
}

/** n >> k for a non-negative safe integer n. */
export function shiftRight(n: number, k: number): number {
  return Math.floor(n / 2 ** k);
}

export function isOdd(n: number): boolean {
  return n % 2 === 1;
}

/** Largest power of two strictly below n, for n >= 2 (RFC 6962's split point k). */
export function largestPowerOfTwoBelow(n: number): number {
  return 2 ** (bitLength(n - 1) - 1);
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** (bitLength(n) - 1) === n;
}
