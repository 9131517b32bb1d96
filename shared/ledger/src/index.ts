// @fareledger/ledger: the SQLite ledger store. LedgerWriter is the batcher's side (seal
// blocks; LedgerCommitter stores them from a commit thread), LedgerReader the invoice/audit side (entries, checkpoints, proofs), verifyChain
// the audit of a chain from genesis, verifyLedger of the whole file (every chain, the key history). Format and choices: docs/ledger-store.md.

export { LedgerCommitter, type BlockWrite, type BundleWrite, type CommitOutcome } from './block-commit.js';
export { duplicateIndexKey, entryMetadataOf, ledgerEntryOf, type EntryMetadata, type LedgerEntryInput } from './entry-metadata.js';
export { ChainConflictError, LedgerError, LedgerFormatError, SigningKeyFileError } from './errors.js';
export {
  checkpointsReadMax,
  entriesReadMax,
  LedgerReader,
  tileCacheTilesDefault,
  type ChainSummary,
  type LedgerReaderOptions,
  type SigningKeyRecord,
  type StoredCheckpoint,
  type StoredEntry,
} from './reader.js';
export { ledgerFormatVersion } from './schema.js';
export { createSigningKeyFile, loadSigningKey } from './signing-key.js';
export { TileCache } from './tile-store.js';
export {
  verifyChain,
  type ChainFailure,
  type ChainFailureKind,
  type ChainVerification,
  type VerifyChainOptions,
} from './verify-chain.js';
export { verifyLedger, type LedgerVerification } from './verify-ledger.js';
export {
  blockEntriesMax,
  builderStateBytesMax,
  chainMax,
  LedgerWriter,
  ReplicaBlockError,
  type ReplicaRefusal,
  type BlockInput,
  type BuilderSnapshot,
  type ChainState,
  type LedgerWriterOptions,
  type PreparedBlock,
  type SealedBlock,
} from './writer.js';
