import { assert } from './assert.js';
import { fenMax } from './limits.js';

// Money is integer fen (1 yuan = 100 fen). A single amount is a safe integer no larger
// than fenMax; sums are bigint, because a year of a city's fares is not bounded by any
// single amount and must never round.

export function isFen(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= fenMax;
}

/** Sum of amounts, exact. Each amount must already be valid fen (a bug otherwise). */
export function sumFen(amounts: Iterable<number>): bigint {
  let total = 0n;
  for (const amount of amounts) {
    if (!isFen(amount)) assert(false, `sumFen: not a valid amount: ${String(amount)}`);
    total += BigInt(amount);
  }
  return total;
}

/** `1234n` → `"12.34"`, `-5n` → `"-0.05"`: yuan with two decimals, for invoices. */
export function formatFen(fen: bigint | number): string {
  if (typeof fen === 'number') assert(Number.isSafeInteger(fen), `formatFen: not an integer: ${fen}`);
  const value = BigInt(fen);
  const sign = value < 0n ? '-' : '';
  const magnitude = value < 0n ? -value : value;
  const yuan = magnitude / 100n;
  const cents = (magnitude % 100n).toString().padStart(2, '0');
  return `${sign}${yuan}.${cents}`;
}
