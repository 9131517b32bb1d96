// @fareledger/invoice: e-invoices of sealed trips and their red-letter credits, with the
// proof bundles that make them verifiable offline, and the verifier. Pure and portable:
// the same code runs in the service, the CLI and the browser's /verify page.

export { InvoiceInputError, InvoiceInvalidError, type InvoiceInvalidReason, OperatorRegistryError } from './errors.js';
export {
  buildCreditInvoice,
  buildInvoice,
  type Invoice,
  type InvoiceAmounts,
  type InvoiceConsistency,
  type InvoiceContext,
  type InvoiceCredit,
  invoiceFormat,
  type InvoiceItem,
  type InvoiceKind,
  invoiceKinds,
  type InvoiceProofs,
  type InvoiceSeller,
  type InvoiceStation,
  type SealedAdjustment,
  type SealedTrip,
  sellerOf,
  serviceNames,
} from './invoice.js';
export { formatInvoiceNumber, type InvoiceNumberParts, invoiceNumberDigits, invoiceUtcOffsetMin, parseInvoiceNumber } from './invoice-number.js';
export { invoiceSchema, proofBundleSchema } from './invoice-schema.js';
export { isUnifiedSocialCreditCode, type Operator, OperatorRegistry, operatorsMax, parseOperatorRegistry, vatRateBpMax } from './operators.js';
export { formatTlogProof, parseTlogProof, proofBundle, type ProofBundle, type ProofBundleInput, statesTlogProof, type TlogProof, tlogProofHeader } from './proof-bundle.js';
export { splitVat, type VatSplit } from './vat.js';
export { base64UrlDecode, base64UrlEncode, decodeQrProof, encodeQrProof, type QrProof } from './qr-payload.js';
export { type EntryProofVerification, type InvoiceVerification, statedNotBound, verifyEntryProof, verifyInvoice, type VerifyInvoiceOptions } from './verify.js';
