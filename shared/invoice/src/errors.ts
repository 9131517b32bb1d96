/** An operator registry file that does not hold what it must: names the file and the field. */
export class OperatorRegistryError extends Error {
  override readonly name = 'OperatorRegistryError';
  constructor(readonly source: string, readonly field: string, message: string) {
    super(`${source}: ${field}: ${message}`);
  }
}

/** A trip or adjustment an invoice cannot be made of (an unknown operator, a mode it has no VAT rate for). */
export class InvoiceInputError extends Error {
  override readonly name = 'InvoiceInputError';
}

export type InvoiceInvalidReason =
  | 'malformed' // not an invoice document of this format
  | 'leaf' // a proof's leaf is not an entry of the kind the invoice needs
  | 'tlog-proof' // the tlogProof text does not say what the bundle's fields say
  | 'checkpoint' // the checkpoint's signature, origin or fields do not hold
  | 'inclusion' // the audit path does not lead from the leaf to the checkpoint's root
  | 'mismatch' // a field of the invoice is not what its entries make it
  | 'consistency'; // the kept checkpoint and the invoice's are not of one append-only log

/** Why an invoice is not valid; `reason` is stable (the CLI prints it, tests match it). */
export class InvoiceInvalidError extends Error {
  override readonly name = 'InvoiceInvalidError';
  constructor(readonly reason: InvoiceInvalidReason, message: string) {
    super(message);
  }
}
