import {
  type Adjustment, assert, formatEventTime, type Mode, type Tap, tapKey, type Trip, type TripStatus,
} from '@fareledger/domain';
import { InvoiceInputError } from './errors.js';
import { formatInvoiceNumber, invoiceUtcOffsetMin } from './invoice-number.js';
import type { Operator } from './operators.js';
import type { ProofBundle } from './proof-bundle.js';
import { splitVat } from './vat.js';

// An e-invoice of one priced trip (blue), or the red-letter credit of a refund or
// correction of one (red), after China's fully digitalised e-invoice (全电发票): number,
// issue time, seller, buyer, one line item, amounts in integer fen with VAT, and the proof
// bundles that make it verifiable offline. docs/invoices.md has every field.
//
// buildInvoice is the one definition of what an invoice says: the service calls it to
// issue one, and the verifier calls it again on the entries in the proofs and compares.

export const invoiceFormat = 'fareledger-invoice/v1';
export const invoiceKinds = ['blue', 'red'] as const;
export type InvoiceKind = (typeof invoiceKinds)[number];

/** The service line of each mode, as the tax category names it. */
export const serviceNames: Readonly<Record<Mode, string>> = {
  metro: 'Urban rail transit passenger transport',
  bus: 'Public bus passenger transport',
  taxi: 'Taxi passenger transport',
};

export interface InvoiceSeller {
  readonly operatorId: string;
  readonly name: string;
  readonly taxpayerId: string;
  readonly address: string;
}

export interface InvoiceStation {
  readonly stationId: string;
  /** As the issuer's network names it (not bound by the ledger). */
  readonly name: string;
}

export interface InvoiceItem {
  readonly service: string;
  readonly mode: Mode;
  readonly status: TripStatus;
  readonly tripId: string;
  readonly from?: InvoiceStation;
  readonly to?: InvoiceStation;
  readonly routeId?: string;
  readonly vehicleId?: string;
  /** First and last tap, local time of the first tap's device (RFC 3339 with offset). */
  readonly startAt: string;
  readonly endAt: string;
  readonly distanceM?: number;
  readonly fareTableVersion: string;
  readonly reasonCode?: string;
}

/**
 * Integer fen. totalFen is what was paid (blue) or credited back (red, negative); it is
 * VAT-inclusive: netFen + taxFen = totalFen (vat.ts has the rounding). A red invoice's
 * fareFen is its total and its discountFen 0.
 */
export interface InvoiceAmounts {
  readonly fareFen: number;
  readonly discountFen: number;
  readonly totalFen: number;
  /** Basis points: 900 = 9 %. */
  readonly vatRateBp: number;
  readonly netFen: number;
  readonly taxFen: number;
}

/** What a red invoice credits, and why. */
export interface InvoiceCredit {
  /** The blue invoice it reverses (in part or whole). */
  readonly originalNumber: string;
  readonly adjustmentId: string;
  readonly kind: Adjustment['kind'];
  readonly reason: string;
  readonly authorizedBy: string;
}

export interface InvoiceProofs {
  /** The trip's entry: for a red invoice, the original trip's, against the same checkpoint as the adjustment. */
  readonly trip: ProofBundle;
  /** Each of the trip's tap entries, in the trip's tapKeys order. */
  readonly taps: readonly ProofBundle[];
  /** Red only: the adjustment entry. */
  readonly adjustment?: ProofBundle;
}

/** A consistency proof from (or to) a checkpoint the wallet kept, to the invoice's; attached on request, not part of the invoice proper. */
export interface InvoiceConsistency {
  readonly fromSize: number;
  readonly toSize: number;
  readonly hashes: readonly string[];
}

export interface Invoice {
  readonly format: typeof invoiceFormat;
  readonly number: string;
  readonly kind: InvoiceKind;
  readonly chain: number;
  /** When the entry was sealed: its checkpoint's seal time, China Standard Time. */
  readonly issuedAt: string;
  readonly seller: InvoiceSeller;
  readonly buyer: { readonly account: string };
  readonly item: InvoiceItem;
  readonly amounts: InvoiceAmounts;
  readonly credit?: InvoiceCredit;
  readonly proofs: InvoiceProofs;
  readonly consistency?: InvoiceConsistency;
}

/** The sealed facts an invoice is made of: entries with their places in the log. */
export interface SealedTrip {
  readonly chain: number;
  readonly logIndex: number;
  readonly trip: Trip;
  /** The trip's taps, in its tapKeys order. */
  readonly taps: readonly Tap[];
}

export interface InvoiceContext {
  /** The seller of the trip's operatorId; the issuer's registry. */
  readonly seller: InvoiceSeller;
  readonly vatRateBp: number;
  /** A station's name, as the issuer's network has it. */
  readonly stationName: (stationId: string) => string;
  /** Seal time of the checkpoint the proofs are against. */
  readonly sealedAtMs: number;
}

/** The seller and VAT rate of a trip's operator and mode, from a registry entry; InvoiceInputError when it has none. */
export function sellerOf(operator: Operator | undefined, operatorId: string, mode: Mode): Pick<InvoiceContext, 'seller' | 'vatRateBp'> {
  if (operator === undefined) throw new InvoiceInputError(`operator ${operatorId} is not in the operator registry`);
  const vatRateBp = operator.vatRatesBp[mode];
  if (vatRateBp === undefined) throw new InvoiceInputError(`operator ${operatorId} has no VAT rate for ${mode}`);
  const { name, taxpayerId, address } = operator;
  return { seller: { operatorId, name, taxpayerId, address }, vatRateBp };
}

/** The blue invoice of a sealed trip. */
export function buildInvoice(sealed: SealedTrip, context: InvoiceContext, proofs: InvoiceProofs): Invoice {
  const { trip } = sealed;
  return {
    format: invoiceFormat,
    number: formatInvoiceNumber(sealed.chain, sealed.logIndex, trip.endMs),
    kind: 'blue',
    chain: sealed.chain,
    issuedAt: formatEventTime(context.sealedAtMs, invoiceUtcOffsetMin),
    seller: context.seller,
    buyer: { account: trip.account },
    item: itemOf(sealed, context),
    amounts: { fareFen: trip.fareFen, discountFen: trip.discountFen, ...vatOf(trip.chargedFen, context.vatRateBp) },
    proofs,
  };
}

export interface SealedAdjustment {
  readonly chain: number;
  readonly logIndex: number;
  readonly adjustment: Adjustment;
}

/** The red-letter credit of an adjustment of a sealed trip. */
export function buildCreditInvoice(sealed: SealedAdjustment, original: SealedTrip, context: InvoiceContext, proofs: InvoiceProofs): Invoice {
  const { adjustment } = sealed;
  const { trip } = original;
  assert(adjustment.tripId === trip.tripId && adjustment.account === trip.account, 'a credit of another trip');
  assert(sealed.chain === original.chain && sealed.logIndex > original.logIndex, 'a credit before its trip');
  assert(adjustment.amountFen <= trip.chargedFen, 'a credit above the charge');
  const totalFen = -adjustment.amountFen;
  return {
    format: invoiceFormat,
    number: formatInvoiceNumber(sealed.chain, sealed.logIndex, adjustment.createdAtMs),
    kind: 'red',
    chain: sealed.chain,
    issuedAt: formatEventTime(context.sealedAtMs, invoiceUtcOffsetMin),
    seller: context.seller,
    buyer: { account: trip.account },
    item: itemOf(original, context),
    amounts: { fareFen: totalFen, discountFen: 0, ...vatOf(totalFen, context.vatRateBp) },
    credit: {
      originalNumber: formatInvoiceNumber(original.chain, original.logIndex, trip.endMs),
      adjustmentId: adjustment.adjustmentId,
      kind: adjustment.kind,
      reason: adjustment.reason,
      authorizedBy: adjustment.authorizedBy,
    },
    proofs,
  };
}

function vatOf(totalFen: number, vatRateBp: number): Omit<InvoiceAmounts, 'fareFen' | 'discountFen'> {
  const { netFen, taxFen } = splitVat(totalFen, vatRateBp);
  return { totalFen, vatRateBp, netFen, taxFen };
}

function itemOf(sealed: SealedTrip, context: InvoiceContext): InvoiceItem {
  const { trip, taps } = sealed;
  assert(taps.length === trip.tapKeys.length && taps.every((tap, i) => tapKey(tap) === trip.tapKeys[i]), 'the taps of another trip');
  // Local time of the devices: the first tap's offset for both ends (a trip is in one city).
  const utcOffsetMin = taps[0]!.utcOffsetMin;
  const item: Record<string, unknown> = {
    service: serviceNames[trip.mode],
    mode: trip.mode,
    status: trip.status,
    tripId: trip.tripId,
  };
  switch (trip.mode) {
    case 'metro':
      if (trip.fromStationId !== undefined) item.from = station(trip.fromStationId, context);
      if (trip.toStationId !== undefined) item.to = station(trip.toStationId, context);
      break;
    case 'bus':
      item.routeId = trip.routeId;
      item.vehicleId = trip.vehicleId;
      break;
    case 'taxi':
      item.vehicleId = trip.vehicleId;
      break;
  }
  item.startAt = formatEventTime(trip.startMs, utcOffsetMin);
  item.endAt = formatEventTime(trip.endMs, utcOffsetMin);
  if (trip.distanceM !== undefined) item.distanceM = trip.distanceM;
  item.fareTableVersion = trip.fareTableVersion;
  if (trip.reasonCode !== undefined) item.reasonCode = trip.reasonCode;
  return item as unknown as InvoiceItem;
}

function station(stationId: string, context: InvoiceContext): InvoiceStation {
  return { stationId, name: context.stationName(stationId) };
}
