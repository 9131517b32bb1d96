import { accountLengthMax, fenMax, idLengthMax, modes, reasonLengthMax, tapKeyLengthMax, tripStatuses } from '@fareledger/domain';
import { z } from 'zod';
import { invoiceFormat, invoiceKinds } from './invoice.js';
import { vatRateBpMax } from './operators.js';

// The invoice document as a verifier receives it: untrusted JSON. Strict objects (an
// unknown field is refused, not ignored), bounded strings and lists. The same schema
// documents the wallet door's responses in the OpenAPI description.

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes in lower-case hex');
const index = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const fen = z.number().int().min(-fenMax).max(fenMax);
/** A proof path in a tree of up to 2^63 leaves has at most 63 hashes. */
const proofHashesMax = 64;
/** A signed note is at most 64 KiB (checkpoint's noteBytesMax); a tlog-proof adds its path. */
const noteCharsMax = 65_536;
const tlogProofCharsMax = noteCharsMax + 64 * 48;

export const proofBundleSchema = z.strictObject({
  leaf: z.string().min(4).max(8_192).describe('The entry bytes exactly as sealed (the Merkle leaf), standard base64.'),
  logIndex: index.describe("The leaf's index in its chain's log."),
  treeSize: index.min(1).describe('Size of the tree the proof is for: the checkpoint\'s.'),
  rootHash: hex32.describe("The tree's root at treeSize."),
  hashes: z.array(hex32).max(proofHashesMax).describe('RFC 9162 audit path, leaf sibling first.'),
  checkpoint: z.string().min(1).max(noteCharsMax).describe('The signed checkpoint note (C2SP tlog-checkpoint, signed-note), verbatim.'),
  tlogProof: z.string().min(1).max(tlogProofCharsMax).describe('The same proof as c2sp.org/tlog-proof@v1 text.'),
});

const station = z.strictObject({ stationId: z.string().min(1).max(idLengthMax), name: z.string().min(1).max(200) });
const localTime = z.string().min(20).max(40);

export const invoiceSchema = z.strictObject({
  format: z.literal(invoiceFormat),
  number: z.string().regex(/^[0-9]{20}$/, 'must be 20 digits'),
  kind: z.enum(invoiceKinds),
  chain: z.number().int().min(0).max(65_535),
  issuedAt: localTime,
  seller: z.strictObject({
    operatorId: z.string().min(1).max(idLengthMax),
    name: z.string().min(1).max(200),
    taxpayerId: z.string().length(18),
    address: z.string().min(1).max(200),
  }),
  buyer: z.strictObject({ account: z.string().min(1).max(accountLengthMax) }),
  item: z.strictObject({
    service: z.string().min(1).max(100),
    mode: z.enum(modes),
    status: z.enum(tripStatuses),
    tripId: z.string().min(3).max(tapKeyLengthMax),
    from: station.optional(),
    to: station.optional(),
    routeId: z.string().min(1).max(idLengthMax).optional(),
    vehicleId: z.string().min(1).max(idLengthMax).optional(),
    startAt: localTime,
    endAt: localTime,
    distanceM: index.optional(),
    fareTableVersion: z.string().min(1).max(32),
    reasonCode: z.string().min(1).max(32).optional(),
  }),
  amounts: z.strictObject({
    fareFen: fen,
    discountFen: fen,
    totalFen: fen,
    vatRateBp: z.number().int().min(0).max(vatRateBpMax),
    netFen: fen,
    taxFen: fen,
  }),
  credit: z.strictObject({
    originalNumber: z.string().regex(/^[0-9]{20}$/),
    adjustmentId: z.string().min(1).max(idLengthMax),
    kind: z.enum(['refund', 'correction']),
    reason: z.string().min(1).max(reasonLengthMax * 4),
    authorizedBy: z.string().min(1).max(idLengthMax),
  }).optional(),
  proofs: z.strictObject({
    trip: proofBundleSchema,
    taps: z.array(proofBundleSchema).min(1).max(2),
    adjustment: proofBundleSchema.optional(),
  }),
  consistency: z.strictObject({
    fromSize: index,
    toSize: index,
    hashes: z.array(hex32).max(2 * proofHashesMax),
  }).optional(),
});
