// @fareledger/checkpoint: C2SP signed notes (Ed25519) and tlog-checkpoints with
// Fareledger's extension lines. Pure and portable: no I/O, no node: modules here; the
// node:crypto Ed25519 lives behind '@fareledger/checkpoint/node-ed25519'.

export { base64DecodeStrict, base64Encode } from './bytes.js';
export { ed25519Noble, ed25519PublicKeyBytes, ed25519SeedBytes, ed25519SignatureBytes, type Ed25519 } from './ed25519.js';
export {
  AmbiguousVerifierError,
  CheckpointError,
  InvalidSignatureError,
  InvalidSignerError,
  MalformedCheckpointError,
  MalformedKeyError,
  MalformedNoteError,
  UnexpectedOriginError,
  UnverifiedNoteError,
  type CheckpointErrorCode,
  type MalformedKeyReason,
} from './errors.js';
export {
  algorithmEd25519,
  formatKeyHash,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  keyHashEd25519,
  parseSignerKey,
  parseVerifierKey,
  signerKeyFromSeed,
  SignerKey,
  verifierKeyFromPublicKey,
  verifierKeyOf,
  type Ed25519Options,
  type GenerateOptions,
  type VerifierKey,
} from './keys.js';
export { noteBytesMax, noteSignaturesMax, openNote, parseNote, signNote, type Note, type NoteSignature } from './note.js';
export {
  checkpointHash,
  checkpointHashBytes,
  checkpointOrigin,
  fareledgerExtensionPrefix,
  fareTableVersionCharsMax,
  formatCheckpoint,
  genesisPrevBase64,
  isValidFareTableVersion,
  isValidLogName,
  openCheckpoint,
  parseCheckpoint,
  rootHashBytes,
  signCheckpoint,
  type Checkpoint,
  type CheckpointFields,
  type FareledgerExtensions,
  type OpenCheckpointOptions,
} from './checkpoint.js';
