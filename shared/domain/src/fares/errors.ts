import { ValidationError } from '../errors.js';

/**
 * A data file (fare table, network) that does not meet its schema. A data bug: it stops
 * start-up, naming the file and the field (`data/fares/szm-2026.2.json: metro.bands[1].stepM:
 * must be an integer in 1..1000000`).
 */
export class FareDataError extends Error {
  override readonly name = 'FareDataError';
  readonly source: string;
  readonly field: string;

  constructor(source: string, field: string, message: string) {
    super(`${source}: ${field === '' ? '' : `${field}: `}${message}`);
    this.source = source;
    this.field = field;
  }
}

/** Runs a parser over one file's JSON, turning the field rules' ValidationError into FareDataError. */
export function withSource<T>(source: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new FareDataError(source, error.field, error.message.slice(error.field.length + 2));
    }
    throw error;
  }
}

export type PricingErrorCode =
  | 'unknown-station' // a metro tap names a station the network does not have
  | 'no-fare-table'; // the trip starts before the earliest fare table's effectiveFrom

/**
 * A tap that the fare engine cannot price: an operating error, not a bug. The trip builder
 * throws it before it changes any state, so the caller may skip the tap (and raise an
 * alert) and go on with the next one.
 */
export class PricingError extends Error {
  override readonly name = 'PricingError';
  readonly code: PricingErrorCode;
  readonly field: string;

  constructor(code: PricingErrorCode, field: string, message: string) {
    super(`${field}: ${message}`);
    this.code = code;
    this.field = field;
  }
}
