import {
  CheckpointError,
  checkpointHash,
  checkpointHashBytes,
  checkpointOrigin,
  formatVerifierKey,
  openCheckpoint,
  type Checkpoint,
  type FareledgerExtensions,
  type VerifierKey,
} from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { decodeEntry, EntryDecodeError } from '@fareledger/codecs';
import { aSafeUint, type Entry, tapKey } from '@fareledger/domain';
import { CompactRange, MerkleError, TILE_WIDTH, TileWriter, verifyConsistency, type TileWrite } from '@fareledger/merkle';
import { nodeHasher } from '@fareledger/merkle/node-hasher';
import { duplicateIndexKey } from './entry-metadata.js';
import { LedgerError } from './errors.js';
import type { LedgerReader, StoredCheckpoint, StoredEntry } from './reader.js';

// Audit of one chain from genesis, trusting nothing in the file but checking all of it:
// every checkpoint's signature (with the verifier keys the caller trusts, not the ones the
// file lists), its links (height, prev hash, Kafka offsets), its root recomputed from the
// stored entry bytes, every entry decoding, the duplicate index holding exactly the tap
// entries, a
// consistency proof from the stored tiles between consecutive checkpoints, every stored
// tile against the tiles rebuilt from the entries, and the chain row against the last
// checkpoint. Runs in one read transaction, so a writer sealing meanwhile does not matter.

export type ChainFailureKind =
  | 'checkpoint-signature'
  | 'checkpoint-row'
  | 'block-height'
  | 'prev-hash'
  | 'offsets'
  | 'tree-size'
  | 'entries'
  | 'root'
  | 'entry-decode'
  | 'tap-keys'
  | 'consistency'
  | 'tiles'
  | 'chain-row';

export interface ChainFailure {
  readonly kind: ChainFailureKind;
  /** The block at fault; null for the chain as a whole (its row, extra entries, final tiles). */
  readonly blockHeight: number | null;
  readonly message: string;
}

export interface ChainVerification {
  readonly chain: number;
  readonly ok: boolean;
  /** Blocks that passed every check, from genesis. */
  readonly blocksVerified: number;
  /** Entries covered by the blocks that passed. */
  readonly entriesVerified: number;
  /** The first failure found; null when ok. */
  readonly failure: ChainFailure | null;
  /** The verifier keys the verified blocks' rows name (each one a trusted key that signed its note). */
  readonly verifierKeys: readonly string[];
}

export interface VerifyChainOptions {
  /**
   * Decode each entry (strict: canonical bytes of a valid entry) and check the duplicate
   * index holds exactly the tap entries (default true; a few µs per entry).
   */
  readonly decodeEntries?: boolean;
  /** Called after each block that passed, with the blocks and entries verified so far. */
  readonly onProgress?: (blocksVerified: number, entriesVerified: number) => void;
}

const entriesPerRead = 4_096;
const checkpointsPerRead = 1_000;

class Failure extends Error {
  constructor(
    readonly kind: ChainFailureKind,
    readonly blockHeight: number | null,
    message: string,
  ) {
    super(message);
  }
}

interface Verified {
  readonly stored: StoredCheckpoint;
  readonly checkpoint: Checkpoint;
  readonly fareledger: FareledgerExtensions;
}

/** Verifies `chain` of the reader's ledger from genesis; see the file comment for what. */
export function verifyChain(
  reader: LedgerReader,
  chain: number,
  verifiers: readonly VerifierKey[],
  options: VerifyChainOptions = {},
): ChainVerification {
  aSafeUint(chain, 'chain');
  const verifier = new ChainVerifier(reader, chain, verifiers, options.decodeEntries ?? true, options.onProgress);
  return reader.read(() => {
    try {
      verifier.run();
      return { chain, ok: true, blocksVerified: verifier.blocks, entriesVerified: verifier.verifiedSize, failure: null, verifierKeys: [...verifier.keysUsed] };
    } catch (error) {
      if (!(error instanceof Failure)) throw error;
      const failure = { kind: error.kind, blockHeight: error.blockHeight, message: error.message };
      return { chain, ok: false, blocksVerified: verifier.blocks, entriesVerified: verifier.verifiedSize, failure, verifierKeys: [...verifier.keysUsed] };
    }
  });
}

class ChainVerifier {
  readonly range = new CompactRange(nodeHasher);
  readonly #tiles = new TileWriter();
  /** Partial tiles as of the latest block: compared once the last block is in. */
  readonly #edges = new Map<string, TileWrite>();
  readonly #origin: string;
  /** The trusted keys by their verifier-key text, as checkpoint rows name them. */
  readonly #trusted: ReadonlyMap<string, VerifierKey>;
  #fullTiles = 0;
  #previous: Verified | null = null;
  #tapEntries = 0;
  readonly keysUsed = new Set<string>();
  blocks = 0;
  verifiedSize = 0;

  constructor(
    private readonly reader: LedgerReader,
    private readonly chain: number,
    private readonly verifiers: readonly VerifierKey[],
    private readonly decodeEntries: boolean,
    private readonly onProgress: ((blocksVerified: number, entriesVerified: number) => void) | undefined,
  ) {
    this.#origin = checkpointOrigin(reader.logName, chain);
    this.#trusted = new Map(verifiers.map((key) => [formatVerifierKey(key), key]));
  }

  run(): void {
    for (;;) {
      const page = this.reader.checkpoints(this.chain, { from: this.blocks, limit: checkpointsPerRead });
      for (const stored of page) {
        this.#verifyBlock(stored);
        this.blocks += 1;
        this.verifiedSize = this.range.size;
        this.onProgress?.(this.blocks, this.verifiedSize);
      }
      if (page.length < checkpointsPerRead) break;
    }
    this.#verifyChainRow();
    this.#verifyEdgeTiles();
  }

  #verifyBlock(stored: StoredCheckpoint): void {
    const height = this.blocks;
    if (stored.blockHeight !== height) throw new Failure('block-height', height, `block ${height} is missing (next stored: ${stored.blockHeight})`);
    const verified = this.#open(stored);
    this.#checkLinks(verified);
    const entryProblem = this.#appendEntries(height, verified.checkpoint.treeSize);
    if (!equal(this.range.root(), verified.checkpoint.rootHash)) {
      throw new Failure('root', height, `block ${height}: the stored entries 0..${verified.checkpoint.treeSize - 1} give another root than its checkpoint`);
    }
    if (entryProblem !== null) throw new Failure(entryProblem.kind, height, entryProblem.message);
    this.#checkConsistency(verified);
    this.#checkTiles(height);
    this.#previous = verified;
  }

  /** Opens the note with the trusted keys and checks the row's columns say what it says. */
  #open(stored: StoredCheckpoint): Verified {
    const height = stored.blockHeight;
    let checkpoint: Checkpoint;
    let signedBy: readonly { name: string; keyHash: number }[];
    try {
      const opened = openCheckpoint(stored.note, { verifiers: this.verifiers, origin: this.#origin, ed25519: ed25519Node });
      checkpoint = opened.checkpoint;
      signedBy = opened.note.signatures;
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      throw new Failure('checkpoint-signature', height, `block ${height}: checkpoint does not open: ${error.message}`);
    }
    const f = checkpoint.fareledger as FareledgerExtensions;
    if (f.blockHeight !== height) throw new Failure('block-height', height, `block ${height}: its checkpoint says block ${f.blockHeight}`);
    const columnsAgree =
      stored.chain === this.chain &&
      stored.treeSize === checkpoint.treeSize &&
      equal(stored.rootHash, checkpoint.rootHash) &&
      stored.offsetFirst === f.kafkaOffsetFirst &&
      stored.offsetNext === f.kafkaOffsetNext &&
      stored.fareTableVersion === f.fareTableVersion &&
      stored.sealedAtMs === f.sealedAtMs &&
      equal(stored.checkpointHash, checkpointHash(stored.note));
    if (!columnsAgree) throw new Failure('checkpoint-row', height, `block ${height}: the checkpoint row's columns disagree with its signed note`);
    // The row names the key that signed it: GET /v1/keys and the key history are built from these.
    const signer = this.#trusted.get(stored.verifierKey);
    if (signer === undefined || !signedBy.some((s) => s.name === signer.name && s.keyHash === signer.keyHash)) {
      throw new Failure('checkpoint-row', height, `block ${height}: the row's verifier key is not a trusted key that signed its note`);
    }
    this.keysUsed.add(stored.verifierKey);
    return { stored, checkpoint, fareledger: f };
  }

  #checkLinks({ stored, checkpoint, fareledger: f }: Verified): void {
    const height = stored.blockHeight;
    const previous = this.#previous;
    const prevHash = previous === null ? new Uint8Array(checkpointHashBytes) : checkpointHash(previous.stored.note);
    if (!equal(f.prevCheckpointHash, prevHash)) throw new Failure('prev-hash', height, `block ${height}: prev is not the hash of block ${height - 1}'s checkpoint`);
    if (previous !== null && f.kafkaOffsetFirst !== previous.fareledger.kafkaOffsetNext) {
      throw new Failure('offsets', height,
        `block ${height} starts at offset ${f.kafkaOffsetFirst}, block ${height - 1} ended at ${previous.fareledger.kafkaOffsetNext}`);
    }
    if (checkpoint.treeSize < this.range.size) {
      throw new Failure('tree-size', height, `block ${height}: tree size ${checkpoint.treeSize} is below the previous ${this.range.size}`);
    }
  }

  /** Appends the stored entries up to treeSize; returns the first entry problem, if any. */
  #appendEntries(height: number, treeSize: number): EntryProblem | null {
    let problem: EntryProblem | null = null;
    while (this.range.size < treeSize) {
      const from = this.range.size;
      const page = entriesRead(height, () => this.reader.entries(this.chain, from, Math.min(treeSize, from + entriesPerRead)));
      page.forEach((entry, i) => {
        if (entry.index !== from + i) throw new Failure('entries', height, `block ${height}: entry ${from + i} is missing`);
        this.range.appendLeaves([entry.bytes], this.#tiles.visit);
        if (this.decodeEntries && problem === null) problem = this.#entryProblem(entry);
      });
      if (page.length === 0) throw new Failure('entries', height, `block ${height}: entry ${from} is missing`);
    }
    return problem;
  }

  /** Whether an entry decodes, and a tap entry is in the duplicate index; the problem when not. */
  #entryProblem(entry: StoredEntry): EntryProblem | null {
    let decoded: Entry;
    try {
      decoded = decodeEntry(entry.bytes);
    } catch (error) {
      if (!(error instanceof EntryDecodeError)) throw error;
      return { kind: 'entry-decode', message: `entry ${entry.index} does not decode: ${error.reason}` };
    }
    if (decoded.type === 'trip') return null;
    this.#tapEntries += 1;
    const { key, timeMs } = decoded.type === 'tap'
      ? { key: tapKey(decoded.tap), timeMs: decoded.tap.eventTimeMs }
      : { key: duplicateIndexKey({ kind: 'adjustment', key: decoded.adjustment.adjustmentId })!, timeMs: decoded.adjustment.createdAtMs };
    if (this.reader.hasTap(this.chain, key, timeMs)) return null;
    return { kind: 'tap-keys', message: `entry ${entry.index}: ${decoded.type} ${key} is not in the duplicate index` };
  }

  #checkConsistency({ stored, checkpoint }: Verified): void {
    const previous = this.#previous;
    if (previous === null) return;
    const height = stored.blockHeight;
    const size1 = previous.checkpoint.treeSize;
    try {
      const proof = this.reader.consistencyProof(this.chain, size1, checkpoint.treeSize);
      verifyConsistency(nodeHasher, size1, checkpoint.treeSize, proof, previous.checkpoint.rootHash, checkpoint.rootHash);
    } catch (error) {
      if (!(error instanceof MerkleError)) throw error;
      throw new Failure('consistency', height, `block ${height}: consistency proof from tree size ${size1} fails: ${error.message}`);
    }
  }

  /** Full tiles are final: compare each with the stored one now. Partial ones wait for the end. */
  #checkTiles(height: number): void {
    for (const write of this.#tiles.flush()) {
      const key = `${write.tileLevel}/${write.tileIndex}`;
      if (write.width < TILE_WIDTH) {
        this.#edges.set(key, write);
        continue;
      }
      this.#edges.delete(key);
      this.#fullTiles += 1;
      this.#compareTile(write, height);
    }
  }

  #compareTile(write: TileWrite, height: number | null): void {
    const stored = this.reader.tile(this.chain, write.tileLevel, write.tileIndex);
    if (stored === undefined || !equal(stored, write.bytes)) {
      const at = height === null ? 'chain' : `block ${height}`;
      throw new Failure('tiles', height, `${at}: stored tile ${write.tileLevel}/${write.tileIndex} differs from the tile rebuilt from the entries`);
    }
  }

  #verifyEdgeTiles(): void {
    for (const write of this.#edges.values()) this.#compareTile(write, null);
    const count = this.reader.tileCount(this.chain);
    if (count !== this.#fullTiles + this.#edges.size) {
      throw new Failure('tiles', null, `chain has ${count} stored tiles, the entries make ${this.#fullTiles + this.#edges.size}`);
    }
  }

  #verifyChainRow(): void {
    const row = this.reader.chain(this.chain);
    const last = this.#previous;
    const count = entriesRead(null, () => this.reader.entryCount(this.chain));
    if (count !== this.range.size) {
      throw new Failure('entries', null, `chain holds ${count} entries, its checkpoints cover ${this.range.size}`);
    }
    const tapKeys = this.reader.tapKeyCount(this.chain);
    if (this.decodeEntries && tapKeys !== this.#tapEntries) {
      throw new Failure('tap-keys', null, `the duplicate index holds ${tapKeys} keys, the chain ${this.#tapEntries} tap and adjustment entries`);
    }
    if (last === null) {
      if (row !== undefined) throw new Failure('chain-row', null, 'chain row exists but the chain has no checkpoint');
      return;
    }
    const agrees = row !== undefined && row.treeSize === last.checkpoint.treeSize && row.blockHeight === last.stored.blockHeight &&
      row.nextOffset === last.fareledger.kafkaOffsetNext && row.checkpoint === last.stored.note;
    if (!agrees) throw new Failure('chain-row', null, `chain row disagrees with the latest checkpoint (block ${last.stored.blockHeight})`);
  }
}

/** Runs a read of entry bundles; a bundle that does not parse is an `entries` failure of `height` (null: the chain). */
function entriesRead<T>(height: number | null, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    throw new Failure('entries', height, height === null ? error.message : `block ${height}: ${error.message}`);
  }
}

interface EntryProblem {
  readonly kind: 'entry-decode' | 'tap-keys';
  readonly message: string;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
