/** Base class of the operating errors this package throws (bad proofs, bad requests). */
export class MerkleError extends Error {
  override readonly name: string = 'MerkleError';
}

export type VerificationFailure =
  | 'index-out-of-range'
  | 'size-order'
  | 'proof-length'
  | 'hash-length'
  | 'root-mismatch';

/** A proof did not verify: the claim it carries is not proven. */
export class VerificationError extends MerkleError {
  override readonly name = 'VerificationError';
  /** verifyInclusions: the position of the claim that failed. */
  claim: number | undefined = undefined;
  constructor(
    readonly reason: VerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A proof was asked for positions that do not exist (index >= size, size1 > size2). */
export class ProofRequestError extends MerkleError {
  override readonly name = 'ProofRequestError';
}

/** Storage could not supply a node hash the tree needs: the store is incomplete or corrupt. */
export class MissingHashError extends MerkleError {
  override readonly name = 'MissingHashError';
  constructor(
    readonly level: number,
    readonly index: number,
  ) {
    super(`no stored hash for node (level ${level}, index ${index})`);
  }
}
