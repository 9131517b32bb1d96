import { RecordReader } from './fields.js';
import { accountLengthMax, fenMax, reasonLengthMax } from './limits.js';
import { checkTapKey, isTapKey } from './trip.js';

export const adjustmentKinds = ['refund', 'correction'] as const;
export type AdjustmentKind = (typeof adjustmentKinds)[number];

/** A refund or correction of a sealed trip; it yields a red-letter (credit) invoice. */
export interface Adjustment {
  readonly adjustmentId: string;
  readonly account: string;
  /** The original trip. */
  readonly tripId: string;
  readonly kind: AdjustmentKind;
  /** The amount credited back, fen, at least 1. */
  readonly amountFen: number;
  /** Why, in words, for the passenger and the auditor. */
  readonly reason: string;
  /** Admin id of who authorized it. */
  readonly authorizedBy: string;
  readonly createdAtMs: number;
}

/**
 * Checks an untrusted value and returns a fresh, valid Adjustment in the ledger's field
 * order. Throws ValidationError naming the first bad field. Whether amountFen exceeds the
 * trip's charge is the issuer's check: it needs the ledger, this function does not.
 */
export function parseAdjustment(input: unknown, path = ''): Adjustment {
  const r = new RecordReader(input, path);
  const adjustment: Adjustment = {
    adjustmentId: r.id('adjustmentId'),
    account: r.account('account', accountLengthMax),
    tripId: r.value('tripId', checkTapKey, isTapKey),
    kind: r.oneOf('kind', adjustmentKinds),
    amountFen: r.int('amountFen', { min: 1, max: fenMax }),
    reason: r.text('reason', reasonLengthMax),
    authorizedBy: r.id('authorizedBy'),
    createdAtMs: r.timeMs('createdAtMs'),
  };
  r.finish();
  return adjustment;
}
