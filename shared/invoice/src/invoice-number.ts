import { assert } from '@fareledger/domain';

// An invoice number is 20 digits, as China's fully digitalised e-invoice numbers are:
//
//   YY CCCCC IIIIIIIIIIIII
//   |  |     └ the entry's leaf index in its chain's log, 13 digits
//   |  └ the chain (Kafka partition), 5 digits (chains are 0..65,535)
//   └ the year of the entry's time (a trip's end, an adjustment's creation) in China Standard Time
//
// Deterministic: a replay of the tap log gives every entry the same chain and index
// (DESIGN.md: entries do not move on replay, block boundaries may), so the same number.
// Unique: one entry per (chain, index). And it locates the entry: no lookup table.

export const invoiceNumberDigits = 20;
/** UTC+8: the tax bureau's calendar, for the year digits and issue times. */
export const invoiceUtcOffsetMin = 480;
const chainDigits = 5;
const indexDigits = 13;
const chainMax = 65_535;
const indexMax = 10 ** indexDigits - 1;

export interface InvoiceNumberParts {
  /** Two digits: 2026 → 26. */
  readonly year2: number;
  readonly chain: number;
  readonly logIndex: number;
}

export function formatInvoiceNumber(chain: number, logIndex: number, entryTimeMs: number): string {
  assert(Number.isSafeInteger(chain) && chain >= 0 && chain <= chainMax, `invoice number: chain ${chain}`);
  assert(Number.isSafeInteger(logIndex) && logIndex >= 0 && logIndex <= indexMax, `invoice number: index ${logIndex}`);
  const year2 = new Date(entryTimeMs + invoiceUtcOffsetMin * 60_000).getUTCFullYear() % 100;
  return `${String(year2).padStart(2, '0')}${String(chain).padStart(chainDigits, '0')}${String(logIndex).padStart(indexDigits, '0')}`;
}

/** The parts of a well-formed number, or null (wrong length, not digits, chain above 65,535). */
export function parseInvoiceNumber(number: string): InvoiceNumberParts | null {
  if (!/^[0-9]{20}$/.test(number)) return null;
  const chain = Number(number.slice(2, 2 + chainDigits));
  if (chain > chainMax) return null;
  return { year2: Number(number.slice(0, 2)), chain, logIndex: Number(number.slice(2 + chainDigits)) };
}
