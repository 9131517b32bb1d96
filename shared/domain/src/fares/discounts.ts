import { assert } from '../assert.js';
import { isFen } from '../money.js';
import { tripReasonCodes } from '../trip.js';

export interface DiscountInput {
  /** The full fare by the table. */
  readonly fareFen: number;
  /** The transfer discount the trip qualifies for (0 if none); cut to fareFen. */
  readonly transferDiscountFen: number;
  /** The table's daily cap, or undefined for none. */
  readonly dailyCapFen: number | undefined;
  /** What the account was already charged for metro and bus on the trip's local day. */
  readonly dayChargedFen: number;
}

export interface Discounted {
  readonly discountFen: number;
  readonly chargedFen: number;
  /** `daily-cap` when the cap cut the charge, else `transfer` when a transfer discount applied. */
  readonly reasonCode: typeof tripReasonCodes.dailyCap | typeof tripReasonCodes.transfer | undefined;
}

/**
 * Transfer first, then the cap: charged = min(fare − transfer, max(0, cap − dayCharged)).
 * discountFen = fareFen − chargedFen, both whole fen ≥ 0. A trip that lands exactly on the
 * cap is not cut by it (no `daily-cap` code); every later trip that day is charged 0.
 */
export function applyDiscounts(input: DiscountInput): Discounted {
  assert(isFen(input.fareFen) && isFen(input.transferDiscountFen), 'applyDiscounts: amounts must be valid fen');
  assert(Number.isSafeInteger(input.dayChargedFen) && input.dayChargedFen >= 0, 'applyDiscounts: dayChargedFen must be ≥ 0');
  const transferFen = Math.min(input.transferDiscountFen, input.fareFen);
  const afterTransferFen = input.fareFen - transferFen;
  let chargedFen = afterTransferFen;
  if (input.dailyCapFen !== undefined) {
    chargedFen = Math.min(afterTransferFen, Math.max(0, input.dailyCapFen - input.dayChargedFen));
  }
  let reasonCode: Discounted['reasonCode'];
  if (chargedFen < afterTransferFen) reasonCode = tripReasonCodes.dailyCap;
  else if (transferFen > 0) reasonCode = tripReasonCodes.transfer;
  return { discountFen: input.fareFen - chargedFen, chargedFen, reasonCode };
}
