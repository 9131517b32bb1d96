// Operating errors of the ledger store: a file that is not this ledger, a chain that moved
// under a writer, a signing-key file that cannot be used. Programmer errors (a block whose
// offsets do not follow the chain's, a negative chain number) fail an assertion instead.

/** Base class: `instanceof LedgerError` catches every operating error of this package. */
export class LedgerError extends Error {
  override readonly name: string = 'LedgerError';
}

/**
 * The file cannot be opened as this ledger: missing (and `create` not set), another
 * package's SQLite file, another format version, or another log name. Retrying does not
 * help; start-up stops with this message.
 */
export class LedgerFormatError extends LedgerError {
  override readonly name = 'LedgerFormatError';
}

/**
 * Another writer sealed on this chain since this writer last read it (two batchers own the
 * same partition for a moment during a consumer-group rebalance). Nothing was written.
 * Call `chainState(chain)` to pick up the stored state and seek the source to its
 * `nextOffset`; the block's taps are re-read from there.
 */
export class ChainConflictError extends LedgerError {
  override readonly name = 'ChainConflictError';
  constructor(
    readonly chain: number,
    readonly expected: { readonly treeSize: number; readonly blockHeight: number | null },
    readonly stored: { readonly treeSize: number; readonly blockHeight: number | null },
  ) {
    super(
      `ledger chain ${chain} moved under this writer: expected tree size ${expected.treeSize} at block ` +
        `${expected.blockHeight ?? 'none'}, stored ${stored.treeSize} at block ${stored.blockHeight ?? 'none'}; ` +
        'reload with chainState() and re-read from its nextOffset',
    );
  }
}

/** A signing-key file is missing, malformed, too open (not mode 0600), or already exists. */
export class SigningKeyFileError extends LedgerError {
  override readonly name = 'SigningKeyFileError';
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'not-a-file' | 'too-open' | 'malformed' | 'exists',
    message: string,
  ) {
    super(message);
  }
}
