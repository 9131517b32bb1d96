import { CheckpointError, parseCheckpoint, parseNote } from '@fareledger/checkpoint';
import { entryBytesMax } from '@fareledger/codecs';
import { aSafeUint, assert } from '@fareledger/domain';
import { blockEntriesMax, chainMax } from './writer.js';
import { Packr, Unpackr } from 'msgpackr';

// The messages of the fare.blocks topic (docs/fare-blocks.md). A sealed block is sent as
// one or more chunk messages, each a msgpack map of at most blockMessageBytesMax bytes:
//
//   { v: 1, chain, blockHeight, blockIndexFirst, blockTreeSize, indexFirst, entries, checkpoint }
//
// `entries` are the leaf bytes verbatim (bin), the chunk's part of the log indexes
// [blockIndexFirst, blockTreeSize); `checkpoint` is the block's signed note on its last
// chunk only (the chunk that reaches blockTreeSize) and nil on the others. The decoder is
// strict about meaning (every field, type, range and invariant, no unknown or repeated
// key, one msgpack value and nothing after it), so a foreign or damaged message is a
// BlockMessageError, never half a block. It is not strict about encoding choices (key
// order, int vs float64 for an integer, header widths): the topic is kept forever, and
// messages written by this msgpackr must stay readable by the next one, or by Go.

export const blockMessageVersion = 1;
/** Largest message value: a chunk. Every message the decoder accepts is at most this long. */
export const blockMessageBytesMax = 512 * 1024;
/**
 * Smallest chunk size a publisher may be configured with: room for the largest entry
 * (4,096 bytes) beside the largest signed note (noteBytesMax, 64 KiB), with margin.
 */
export const blockMessageBytesMin = 128 * 1024;

export interface BlockMessage {
  readonly v: typeof blockMessageVersion;
  readonly chain: number;
  readonly blockHeight: number;
  /** Log index of the block's first entry: the chain's tree size before the block. */
  readonly blockIndexFirst: number;
  /** The chain's tree size after the block: its checkpoint's. */
  readonly blockTreeSize: number;
  /** Log index of this chunk's first entry. */
  readonly indexFirst: number;
  /** The chunk's entries: canonical entry bytes, the Merkle leaves, verbatim. */
  readonly entries: readonly Uint8Array[];
  /** The block's signed checkpoint note, on the block's last chunk only; null on the others. */
  readonly checkpoint: string | null;
}

/** A whole sealed block, as a publisher takes it from the ledger and a reader gets it back. */
export interface BlockFields {
  readonly chain: number;
  readonly blockHeight: number;
  readonly blockIndexFirst: number;
  readonly blockTreeSize: number;
  /** The signed checkpoint note. */
  readonly checkpoint: string;
}

/** Why bytes are not a block message. Stable strings, listed in docs/fare-blocks.md. */
export const blockMessageReasons = [
  'too-large', // longer than blockMessageBytesMax
  'not-msgpack', // not one complete msgpack value (truncated, trailing bytes, unknown type)
  'not-a-map', // the value is not a map
  'unknown-version', // v is not 1
  'missing-field', // a field of the schema is absent
  'unknown-field', // a key that is not in the schema
  'wrong-type', // a field of the wrong type
  'out-of-range', // a number or length beyond its limit
  'invariant', // fields that disagree (indexes, last chunk without a checkpoint, ...)
  'checkpoint', // the note does not parse, or says another chain, height or tree size
  'duplicate-key', // a key twice in the map
] as const;
export type BlockMessageReason = (typeof blockMessageReasons)[number];

/** Where a message was read: set by readers of the topic. */
export interface TopicPosition {
  readonly partition: number;
  readonly offset: number;
}

/** Bytes that are not a valid block message: a typed error, never an assertion. */
export class BlockMessageError extends Error {
  override readonly name = 'BlockMessageError';
  readonly reason: BlockMessageReason;
  readonly detail: string;
  readonly at: TopicPosition | undefined;

  constructor(reason: BlockMessageReason, detail: string, at?: TopicPosition) {
    super(at === undefined ? `${reason}: ${detail}` : `${reason}: ${detail} (partition ${at.partition}, offset ${at.offset})`);
    this.reason = reason;
    this.detail = detail;
    this.at = at;
  }

  /** The same error, placed on the topic. */
  withPosition(at: TopicPosition): BlockMessageError {
    return new BlockMessageError(this.reason, this.detail, at);
  }
}

const fieldNames = ['v', 'chain', 'blockHeight', 'blockIndexFirst', 'blockTreeSize', 'indexFirst', 'entries', 'checkpoint'] as const;
const fieldSet: ReadonlySet<string> = new Set(fieldNames);
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'number' });

/** The wire object, keys in schema order (msgpackr writes them in insertion order). */
function wireObject(m: BlockMessage): Record<(typeof fieldNames)[number], unknown> {
  return {
    v: m.v,
    chain: m.chain,
    blockHeight: m.blockHeight,
    blockIndexFirst: m.blockIndexFirst,
    blockTreeSize: m.blockTreeSize,
    indexFirst: m.indexFirst,
    entries: m.entries,
    checkpoint: m.checkpoint,
  };
}

/** Encodes a chunk. An invalid message or one over blockMessageBytesMax is a bug in the caller. */
export function encodeBlockMessage(message: BlockMessage): Uint8Array {
  const problem = messageProblem(message);
  assert(problem === null, `block message: ${problem?.detail}`);
  const bytes: Uint8Array = packr.pack(wireObject(message));
  assert(bytes.length <= blockMessageBytesMax, `block message of ${bytes.length} bytes, over ${blockMessageBytesMax}`);
  return bytes;
}

/** Decodes and checks a chunk; BlockMessageError for anything encodeBlockMessage would not have made. */
export function decodeBlockMessage(bytes: Uint8Array): BlockMessage {
  if (bytes.length > blockMessageBytesMax) {
    throw new BlockMessageError('too-large', `${bytes.length} bytes, more than ${blockMessageBytesMax}`);
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let value: unknown;
  try {
    value = unpackr.unpack(buffer);
  } catch (error) {
    throw new BlockMessageError('not-msgpack', error instanceof Error ? error.message : String(error));
  }
  const message = messageOf(value);
  // msgpackr keeps the last of a repeated key: the map's header says how many there were.
  if (mapHeaderCount(buffer) !== fieldNames.length) throw new BlockMessageError('duplicate-key', 'a key appears twice');
  const problem = messageProblem(message);
  if (problem !== null) throw new BlockMessageError(problem.reason, problem.detail);
  return message;
}

/** The entry count a msgpack map header declares (fixmap, map 16, map 32); -1 for another type. */
function mapHeaderCount(bytes: Buffer): number {
  const first = bytes[0] ?? 0;
  if (first >= 0x80 && first <= 0x8f) return first - 0x80;
  if (first === 0xde && bytes.length >= 3) return bytes.readUInt16BE(1);
  if (first === 0xdf && bytes.length >= 5) return bytes.readUInt32BE(1);
  return -1;
}

/** Field types and presence; the ranges and invariants are messageProblem's. */
function messageOf(value: unknown): BlockMessage {
  if (!(value instanceof Map)) throw new BlockMessageError('not-a-map', 'the message is not a msgpack map');
  for (const key of value.keys()) {
    if (typeof key !== 'string' || !fieldSet.has(key)) throw new BlockMessageError('unknown-field', `unknown key ${JSON.stringify(key)}`);
  }
  for (const name of fieldNames) {
    if (!value.has(name)) throw new BlockMessageError('missing-field', `no ${name}`);
  }
  const v: unknown = value.get('v');
  if (v !== blockMessageVersion) throw new BlockMessageError('unknown-version', `v is ${JSON.stringify(v)}, this decoder knows ${blockMessageVersion}`);
  const number = (name: (typeof fieldNames)[number]): number => {
    const field: unknown = value.get(name);
    if (typeof field !== 'number') throw new BlockMessageError('wrong-type', `${name} is not a number`);
    return field;
  };
  const entries: unknown = value.get('entries');
  if (!Array.isArray(entries)) throw new BlockMessageError('wrong-type', 'entries is not an array');
  const leaves = entries.map((entry: unknown, i) => {
    if (!(entry instanceof Uint8Array)) throw new BlockMessageError('wrong-type', `entries[${i}] is not bin`);
    // A plain Uint8Array view of msgpackr's Buffer (no copy): what the ledger hands out.
    return new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength);
  });
  const checkpoint: unknown = value.get('checkpoint');
  if (checkpoint !== null && typeof checkpoint !== 'string') throw new BlockMessageError('wrong-type', 'checkpoint is neither a string nor nil');
  return {
    v: blockMessageVersion,
    chain: number('chain'),
    blockHeight: number('blockHeight'),
    blockIndexFirst: number('blockIndexFirst'),
    blockTreeSize: number('blockTreeSize'),
    indexFirst: number('indexFirst'),
    entries: leaves,
    checkpoint,
  };
}

interface Problem {
  readonly reason: BlockMessageReason;
  readonly detail: string;
}

/** What is wrong with a message's values, or null. Shared by the encoder (assert) and decoder (error). */
function messageProblem(m: BlockMessage): Problem | null {
  const uints = [['chain', m.chain], ['blockHeight', m.blockHeight], ['blockIndexFirst', m.blockIndexFirst],
    ['blockTreeSize', m.blockTreeSize], ['indexFirst', m.indexFirst]] as const;
  for (const [name, value] of uints) {
    if (!Number.isSafeInteger(value) || value < 0) return { reason: 'out-of-range', detail: `${name} ${value} is not an integer in [0, 2^53-1]` };
  }
  if (m.chain > chainMax) return { reason: 'out-of-range', detail: `chain ${m.chain} is over ${chainMax}` };
  const bad = m.entries.findIndex((entry) => entry.length < 1 || entry.length > entryBytesMax);
  if (bad >= 0) return { reason: 'out-of-range', detail: `entries[${bad}] has ${m.entries[bad]?.length} bytes, not 1..${entryBytesMax}` };
  if (m.blockTreeSize < m.blockIndexFirst || m.blockTreeSize - m.blockIndexFirst > blockEntriesMax) {
    return { reason: 'invariant', detail: `block [${m.blockIndexFirst}, ${m.blockTreeSize}) is not 0..${blockEntriesMax} entries` };
  }
  const indexNext = m.indexFirst + m.entries.length;
  if (m.indexFirst < m.blockIndexFirst || indexNext > m.blockTreeSize) {
    return { reason: 'invariant', detail: `chunk [${m.indexFirst}, ${indexNext}) is outside its block [${m.blockIndexFirst}, ${m.blockTreeSize})` };
  }
  const last = indexNext === m.blockTreeSize;
  if (last !== (m.checkpoint !== null)) {
    return { reason: 'invariant', detail: last ? 'the last chunk of a block carries no checkpoint' : 'a chunk before the last carries a checkpoint' };
  }
  if (!last && m.entries.length === 0) return { reason: 'invariant', detail: 'a chunk before the last has no entries' };
  return m.checkpoint === null ? null : checkpointProblem(m, m.checkpoint);
}

/** The note must parse and say this chain (origin `.../chain/<n>`), height and tree size. Signatures are the reader's to verify. */
function checkpointProblem(m: BlockMessage, note: string): Problem | null {
  let treeSize: number;
  let blockHeight: number | undefined;
  let origin: string;
  try {
    const checkpoint = parseCheckpoint(parseNote(note).text);
    ({ treeSize, origin } = checkpoint);
    blockHeight = checkpoint.fareledger?.blockHeight;
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    return { reason: 'checkpoint', detail: `the checkpoint does not parse: ${error.message}` };
  }
  if (treeSize !== m.blockTreeSize) return { reason: 'checkpoint', detail: `the checkpoint has tree size ${treeSize}, the message ${m.blockTreeSize}` };
  if (blockHeight !== m.blockHeight) return { reason: 'checkpoint', detail: `the checkpoint is of block ${blockHeight}, the message of ${m.blockHeight}` };
  if (!origin.endsWith(`/chain/${m.chain}`)) return { reason: 'checkpoint', detail: `the checkpoint's origin ${origin} is not chain ${m.chain}'s` };
  return null;
}

// -----------------------------------------------------------------------------------------
// Chunking

/** Bytes one entry adds to a chunk: its bin header and its bytes. */
export function entryCostBytes(entry: Uint8Array): number {
  const header = entry.length < 0x100 ? 2 : entry.length < 0x10000 ? 3 : 5;
  return header + entry.length;
}

/**
 * Bytes a chunk of this block takes besides its entries' costs, at most: every field with
 * the note (any chunk might be the last), indexFirst at its widest, and the largest array
 * header. So overhead + Σ entryCostBytes ≤ bytesMax keeps a chunk within bytesMax.
 */
export function chunkOverheadBytes(block: BlockFields): number {
  const probe: BlockMessage = { v: blockMessageVersion, ...block, indexFirst: block.blockTreeSize, entries: [] };
  const arrayHeaderGrowthBytes = 4; // fixarray (1 byte) → array 32 (5 bytes)
  return packr.pack(wireObject(probe)).length + arrayHeaderGrowthBytes;
}

/** How many of `entries`, from `from` on, fit in one chunk after `overheadBytes`: at least one. */
export function chunkEntryCount(entries: readonly Uint8Array[], from: number, overheadBytes: number, bytesMax: number): number {
  let bytes = overheadBytes;
  let count = 0;
  for (let i = from; i < entries.length; i += 1) {
    bytes += entryCostBytes(entries[i]!);
    if (bytes > bytesMax) break;
    count += 1;
  }
  assert(count > 0 || from === entries.length, `an entry of ${entries[from]?.length} bytes fits in a chunk of ${bytesMax}`);
  return count;
}

/** The chunk message of `entries` (log indexes from indexFirst) of a block. */
export function chunkMessage(block: BlockFields, indexFirst: number, entries: readonly Uint8Array[]): BlockMessage {
  const last = indexFirst + entries.length === block.blockTreeSize;
  return { v: blockMessageVersion, ...block, indexFirst, entries, checkpoint: last ? block.checkpoint : null };
}

/**
 * A whole block as its chunk messages, in order: as many entries per chunk as fit in
 * bytesMax; an empty block is one chunk with no entries. The publisher makes the same
 * chunks one at a time, reading the entries from the ledger as it goes.
 */
export function blockMessages(block: BlockFields, entries: readonly Uint8Array[], bytesMax: number = blockMessageBytesMax): BlockMessage[] {
  aSafeUint(bytesMax, 'bytesMax');
  assert(bytesMax >= blockMessageBytesMin && bytesMax <= blockMessageBytesMax, `bytesMax ${bytesMax} in ${blockMessageBytesMin}..${blockMessageBytesMax}`);
  assert(entries.length === block.blockTreeSize - block.blockIndexFirst, 'entries are the whole block');
  const overheadBytes = chunkOverheadBytes(block);
  const messages: BlockMessage[] = [];
  let from = 0;
  do {
    const count = chunkEntryCount(entries, from, overheadBytes, bytesMax);
    messages.push(chunkMessage(block, block.blockIndexFirst + from, entries.slice(from, from + count)));
    from += count;
  } while (from < entries.length);
  return messages;
}

// -----------------------------------------------------------------------------------------
// Reassembly

/** A block put back together from its chunks. */
export interface AssembledBlock {
  readonly chain: number;
  readonly blockHeight: number;
  /** Log index of the block's first entry. */
  readonly indexFirst: number;
  /** The chain's tree size after the block. */
  readonly treeSize: number;
  readonly entries: readonly Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
}

/** The last block a chain is complete up to. */
export interface ChainPosition {
  readonly blockHeight: number;
  readonly treeSize: number;
}

export type BlockSequenceErrorKind =
  | 'gap' // a block or chunk is missing: a later one came first
  | 'conflict' // a message disagrees with what came before (another block at that height, other indexes)
  | 'misplaced'; // a message on another chain's partition

/** The topic's messages do not make a chain of blocks: a typed error naming the chain and block. */
export class BlockSequenceError extends Error {
  override readonly name = 'BlockSequenceError';

  constructor(
    readonly kind: BlockSequenceErrorKind,
    readonly chain: number,
    readonly blockHeight: number,
    detail: string,
  ) {
    super(`${kind}: chain ${chain} block ${blockHeight}: ${detail}`);
  }
}

export interface AddResult {
  /** Nothing new in the message: all of it was received before (delivery is at least once). */
  readonly duplicate: boolean;
  /** The block this message completed. */
  readonly block: AssembledBlock | null;
}

interface Pending {
  readonly blockHeight: number;
  readonly blockTreeSize: number;
  readonly entries: Uint8Array[];
}

interface ChainAssembly {
  /** Next block height expected. */
  height: number;
  /** Tree size after the last complete block: where the next block starts. */
  size: number;
  /** The last complete block's note (null when unknown: before any, or resumed from a position). */
  lastCheckpoint: string | null;
  pending: Pending | null;
}

/**
 * Puts blocks back together from decoded messages in each partition's order, dropping
 * what was delivered twice. Dedupe is by (chain, log index): entries before the next one
 * expected are duplicates, whatever chunk carries them; an empty block, which has no
 * index, by its height. Pure: no I/O. A gap or conflict throws BlockSequenceError and
 * leaves the chain as it was. Signatures and roots are not checked here: a replica opens
 * each checkpoint with the keys it trusts and recomputes the root from the entries.
 */
export class BlockAssembler {
  readonly #chains = new Map<number, ChainAssembly>();
  #duplicates = 0;

  /** `after`: chains already complete up to these blocks (a replica resuming); their messages are duplicates. */
  constructor(options: { readonly after?: ReadonlyMap<number, ChainPosition> } = {}) {
    for (const [chain, { blockHeight, treeSize }] of options.after ?? []) {
      this.#chains.set(chain, { height: blockHeight + 1, size: treeSize, lastCheckpoint: null, pending: null });
    }
  }

  /** Messages that brought nothing new. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** The last complete block of a chain, or null before any. */
  position(chain: number): ChainPosition | null {
    const state = this.#chains.get(chain);
    return state === undefined || state.height === 0 ? null : { blockHeight: state.height - 1, treeSize: state.size };
  }

  /** Blocks begun and not finished: their last chunks have not come (yet). */
  incomplete(): { chain: number; blockHeight: number; indexNext: number; blockTreeSize: number }[] {
    return [...this.#chains].flatMap(([chain, { size, pending }]) =>
      pending === null ? [] : [{ chain, blockHeight: pending.blockHeight, indexNext: size + pending.entries.length, blockTreeSize: pending.blockTreeSize }]);
  }

  add(m: BlockMessage): AddResult {
    const state = this.#chains.get(m.chain) ?? { height: 0, size: 0, lastCheckpoint: null, pending: null };
    this.#chains.set(m.chain, state);
    if (m.blockHeight < state.height) return this.#duplicate(state, m);
    if (m.blockHeight > state.height) {
      throw new BlockSequenceError('gap', m.chain, m.blockHeight, `block ${state.height} is not complete yet`);
    }
    if (m.blockIndexFirst !== state.size) {
      throw new BlockSequenceError('conflict', m.chain, m.blockHeight,
        `starts at log index ${m.blockIndexFirst}, the chain's previous block ended at ${state.size}`);
    }
    const pending = state.pending ?? { blockHeight: m.blockHeight, blockTreeSize: m.blockTreeSize, entries: [] };
    if (pending.blockTreeSize !== m.blockTreeSize) {
      throw new BlockSequenceError('conflict', m.chain, m.blockHeight, `ends at tree size ${m.blockTreeSize}, its earlier chunks said ${pending.blockTreeSize}`);
    }
    const indexNext = state.size + pending.entries.length;
    if (m.indexFirst > indexNext) {
      throw new BlockSequenceError('gap', m.chain, m.blockHeight, `a chunk from log index ${m.indexFirst} came before index ${indexNext}`);
    }
    // The last chunk always completes the block (it reaches blockTreeSize), so it is new
    // even when its entries all came before; an earlier chunk is new if it brings entries.
    const fresh = m.entries.slice(indexNext - m.indexFirst);
    const completes = m.checkpoint !== null;
    if (!completes && fresh.length === 0) return this.#duplicate(state, m);
    for (const entry of fresh) pending.entries.push(entry);
    if (!completes) {
      state.pending = pending;
      return { duplicate: false, block: null };
    }
    const block: AssembledBlock = {
      chain: m.chain, blockHeight: m.blockHeight, indexFirst: state.size, treeSize: m.blockTreeSize, entries: pending.entries, checkpoint: m.checkpoint,
    };
    state.height += 1;
    state.size = m.blockTreeSize;
    state.lastCheckpoint = m.checkpoint;
    state.pending = null;
    return { duplicate: false, block };
  }

  #duplicate(state: ChainAssembly, m: BlockMessage): AddResult {
    // A resend of the last complete block must be that block: another note there is a fork.
    const isLast = m.blockHeight === state.height - 1;
    if (isLast && m.checkpoint !== null && state.lastCheckpoint !== null && m.checkpoint !== state.lastCheckpoint) {
      throw new BlockSequenceError('conflict', m.chain, m.blockHeight, 'received twice with different checkpoints');
    }
    if (isLast && m.blockTreeSize !== state.size) {
      throw new BlockSequenceError('conflict', m.chain, m.blockHeight, `received twice with tree sizes ${state.size} and ${m.blockTreeSize}`);
    }
    this.#duplicates += 1;
    return { duplicate: true, block: null };
  }
}
