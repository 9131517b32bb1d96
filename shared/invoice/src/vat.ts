import { assert, fenMax } from '@fareledger/domain';
import { vatRateBpMax } from './operators.js';

// Fares are VAT-inclusive: what the passenger pays is the invoice total (价税合计). The
// invoice splits it as China's e-invoices do: the net amount (不含税金额) is
// total / (1 + rate), rounded to the fen, half away from zero; the tax (税额) is the total
// minus the net, so net + tax = total exactly and no fen is made or lost by rounding. A
// credit (red-letter) amount is split the same way on its magnitude, then negated, so a
// full refund's net and tax are exactly the original's, negated.

export interface VatSplit {
  readonly totalFen: number;
  readonly netFen: number;
  readonly taxFen: number;
}

/** Splits a VAT-inclusive total (fen, negative for a credit) at rateBp basis points. */
export function splitVat(totalFen: number, rateBp: number): VatSplit {
  assert(Number.isSafeInteger(totalFen) && Math.abs(totalFen) <= fenMax, `splitVat: total ${totalFen} is not an amount`);
  assert(Number.isSafeInteger(rateBp) && rateBp >= 0 && rateBp <= vatRateBpMax, `splitVat: rate ${rateBp} bp`);
  const magnitude = Math.abs(totalFen);
  // round(m · 10000 / (10000 + r)), half up, in integers: floor((2·m·10000 + d) / (2·d)).
  // At most 2 · 10^7 · 10^4 + 2 · 10^4 < 2^53.
  const divisor = 10_000 + rateBp;
  const net = Math.floor((2 * magnitude * 10_000 + divisor) / (2 * divisor));
  const sign = totalFen < 0 ? -1 : 1;
  const netFen = sign * net + 0; // + 0: -0 becomes 0
  return { totalFen, netFen, taxFen: totalFen - netFen };
}
