// Operating errors: bad input from outside (a note, a key string, a checkpoint). Each has a
// stable `code` for problem+json responses and logs; `instanceof CheckpointError` catches
// them all. Bugs in the caller are assertions (assert.ts), never these.

import type { Note } from './note.js';

export type CheckpointErrorCode =
  | 'malformed_note'
  | 'malformed_key'
  | 'invalid_signer'
  | 'invalid_signature'
  | 'unverified_note'
  | 'ambiguous_verifier'
  | 'malformed_checkpoint'
  | 'unexpected_origin';

export abstract class CheckpointError extends Error {
  abstract readonly code: CheckpointErrorCode;
}

/** Not a well-formed signed note (or note text): syntax, encoding, size or signature lines. */
export class MalformedNoteError extends CheckpointError {
  override readonly name = 'MalformedNoteError';
  readonly code = 'malformed_note';
  constructor(readonly reason: string) {
    super(`malformed note: ${reason}`);
  }
}

/** Why a key string was rejected: bad syntax, an algorithm other than Ed25519, or a hash that does not match the key. */
export type MalformedKeyReason = 'syntax' | 'algorithm' | 'hash';

/** A verifier or signer key string that cannot be used. */
export class MalformedKeyError extends CheckpointError {
  override readonly name = 'MalformedKeyError';
  readonly code = 'malformed_key';
  constructor(
    readonly kind: 'verifier' | 'signer',
    readonly reason: MalformedKeyReason,
  ) {
    super(`malformed ${kind} key: ${reasonText[reason]}`);
  }
}

const reasonText: Record<MalformedKeyReason, string> = {
  syntax: 'expected name+hash+base64 key (signer keys start with PRIVATE+KEY+)',
  algorithm: 'unknown algorithm (only Ed25519, 0x01, is supported)',
  hash: 'key hash does not match name and key',
};

/** A signer whose key name cannot appear in a signature line. */
export class InvalidSignerError extends CheckpointError {
  override readonly name = 'InvalidSignerError';
  readonly code = 'invalid_signer';
  constructor(readonly keyName: string) {
    super(`invalid signer name ${JSON.stringify(keyName)}`);
  }
}

/** A signature by a known key that does not verify: the note must be rejected as a whole. */
export class InvalidSignatureError extends CheckpointError {
  override readonly name = 'InvalidSignatureError';
  readonly code = 'invalid_signature';
  constructor(
    readonly keyName: string,
    readonly keyHash: number,
  ) {
    super(`invalid signature for key ${keyName}+${keyHash.toString(16).padStart(8, '0')}`);
  }
}

/** The note parsed, but no known key signed it; `note` holds its text and unverified signatures. */
export class UnverifiedNoteError extends CheckpointError {
  override readonly name = 'UnverifiedNoteError';
  readonly code = 'unverified_note';
  constructor(readonly note: Note) {
    super('note has no verifiable signatures');
  }
}

/** Two different known keys share a name and key hash, and the note carries a signature for them. */
export class AmbiguousVerifierError extends CheckpointError {
  override readonly name = 'AmbiguousVerifierError';
  readonly code = 'ambiguous_verifier';
  constructor(
    readonly keyName: string,
    readonly keyHash: number,
  ) {
    super(`ambiguous key ${keyName}+${keyHash.toString(16).padStart(8, '0')}`);
  }
}

/** The note text is not a valid checkpoint (or its Fareledger extension lines are malformed). */
export class MalformedCheckpointError extends CheckpointError {
  override readonly name = 'MalformedCheckpointError';
  readonly code = 'malformed_checkpoint';
  /** `line` is 1-based; 0 when the problem is not on one line. */
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `malformed checkpoint: line ${line}: ${reason}` : `malformed checkpoint: ${reason}`);
  }
}

/** A validly signed checkpoint for another log or chain. */
export class UnexpectedOriginError extends CheckpointError {
  override readonly name = 'UnexpectedOriginError';
  readonly code = 'unexpected_origin';
  constructor(
    readonly origin: string,
    readonly expectedOrigin: string,
  ) {
    super(`checkpoint origin ${JSON.stringify(origin)}, expected ${JSON.stringify(expectedOrigin)}`);
  }
}
