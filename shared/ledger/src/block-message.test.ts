import { checkpointOrigin, signCheckpoint, signerKeyFromSeed } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { AssertionError } from '@fareledger/domain';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  type AssembledBlock,
  BlockAssembler,
  type BlockFields,
  type BlockMessage,
  BlockMessageError,
  blockMessageBytesMax,
  blockMessageBytesMin,
  blockMessages,
  BlockSequenceError,
  chunkOverheadBytes,
  decodeBlockMessage,
  encodeBlockMessage,
} from './block-message.js';

const signer = signerKeyFromSeed('test.example/blocks', new Uint8Array(32).fill(7), { ed25519: ed25519Node });
const rawPackr = new Packr({ useRecords: false });

/** A signed checkpoint note of `chain` at block `blockHeight` and tree size `treeSize`. */
function note(chain: number, blockHeight: number, treeSize: number, rootFill = blockHeight + 1): string {
  return signCheckpoint({
    origin: checkpointOrigin('test.example/szm', chain),
    treeSize,
    rootHash: new Uint8Array(32).fill(rootFill),
    fareledger: {
      blockHeight,
      prevCheckpointHash: new Uint8Array(32).fill(blockHeight === 0 ? 0 : 9),
      kafkaOffsetFirst: 0,
      kafkaOffsetNext: 0,
      fareTableVersion: '2026-01',
      sealedAtMs: 1_772_410_530_000,
    },
  }, [signer], { ed25519: ed25519Node });
}

/** `count` distinct entries of `bytes` bytes each, numbered from `first`. */
function entries(first: number, count: number, bytes: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const entry = new Uint8Array(bytes).fill((first + i) % 251);
    new DataView(entry.buffer).setUint32(0, first + i);
    return entry;
  });
}

function block(chain: number, blockHeight: number, blockIndexFirst: number, count: number): { fields: BlockFields; entries: Uint8Array[] } {
  const blockTreeSize = blockIndexFirst + count;
  return { fields: { chain, blockHeight, blockIndexFirst, blockTreeSize, checkpoint: note(chain, blockHeight, blockTreeSize) }, entries: entries(blockIndexFirst, count, 4_000) };
}

/** A block's chunks at the smallest chunk size, so a few big entries make several. */
function chunks(chain: number, blockHeight: number, blockIndexFirst: number, count: number): BlockMessage[] {
  const b = block(chain, blockHeight, blockIndexFirst, count);
  return blockMessages(b.fields, b.entries, blockMessageBytesMin);
}

/** The block the assembler should give back, entries as hex (see view). */
function assembled(chain: number, blockHeight: number, indexFirst: number, count: number) {
  const b = block(chain, blockHeight, indexFirst, count);
  const expected: AssembledBlock = { chain, blockHeight, indexFirst, treeSize: indexFirst + count, entries: b.entries, checkpoint: b.fields.checkpoint };
  return view(expected);
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

/** Entries as hex: exact, and far quicker for toEqual than element-wise Uint8Array comparison. */
const hex = (entries: readonly Uint8Array[]) => entries.map((entry) => Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength).toString('hex'));
const view = <T extends { readonly entries: readonly Uint8Array[] }>(m: T) => ({ ...m, entries: hex(m.entries) });

const valid: BlockMessage = chunks(3, 5, 1_000, 2)[0]!;

describe('block messages on the wire', () => {
  it('round-trip: a chunk decodes to what was encoded, entries as plain Uint8Array views', () => {
    const bytes = encodeBlockMessage(valid);
    const decoded = decodeBlockMessage(bytes);
    expect(view(decoded)).toEqual(view(valid));
    expect(decoded.entries.map((entry) => entry.constructor)).toEqual([Uint8Array, Uint8Array]);
    expect(decoded.checkpoint).toBe(note(3, 5, 1_002));
  });

  it('writes a map 16 of the keys in schema order: v, chain, blockHeight, blockIndexFirst, blockTreeSize, indexFirst, entries, checkpoint', () => {
    const empty = chunks(0, 0, 0, 0)[0]!;
    const bytes = Buffer.from(encodeBlockMessage(empty));
    const head = Buffer.concat([
      Buffer.from([0xde, 0x00, 0x08]),
      ...['v', 1, 'chain', 0, 'blockHeight', 0, 'blockIndexFirst', 0, 'blockTreeSize', 0, 'indexFirst', 0, 'entries', []].map((value) => rawPackr.pack(value)),
    ]);
    expect(bytes.subarray(0, head.length).toString('hex')).toBe(head.toString('hex'));
    expect(bytes.subarray(head.length).equals(Buffer.concat([rawPackr.pack('checkpoint'), rawPackr.pack(empty.checkpoint)]))).toBe(true);
  });

  it('an empty block (every tap a duplicate) is one chunk with no entries and its checkpoint', () => {
    const b = block(2, 7, 300, 0);
    expect(blockMessages(b.fields, [])).toEqual([
      { v: 1, chain: 2, blockHeight: 7, blockIndexFirst: 300, blockTreeSize: 300, indexFirst: 300, entries: [], checkpoint: b.fields.checkpoint },
    ]);
  });

  const wire = (m: BlockMessage) => ({ ...m });
  const mutated: [string, string, unknown][] = [
    ['v 2', 'unknown-version', { ...wire(valid), v: 2 }],
    ['no checkpoint key', 'missing-field', (({ checkpoint: _, ...rest }) => rest)(wire(valid))],
    ['an extra key', 'unknown-field', { ...wire(valid), extra: 1 }],
    ['chain as a string', 'wrong-type', { ...wire(valid), chain: '3' }],
    ['entries not an array', 'wrong-type', { ...wire(valid), entries: new Uint8Array(3) }],
    ['an entry as a string', 'wrong-type', { ...wire(valid), entries: ['tap'] }],
    ['checkpoint as a number', 'wrong-type', { ...wire(valid), checkpoint: 1 }],
    ['a negative height', 'out-of-range', { ...wire(valid), blockHeight: -1 }],
    ['a fractional index', 'out-of-range', { ...wire(valid), indexFirst: 1_000.5 }],
    ['chain 65,536', 'out-of-range', { ...wire(valid), chain: 65_536 }],
    ['an empty entry', 'out-of-range', { ...wire(valid), entries: [new Uint8Array(0)] }],
    ['an entry of 4,097 bytes', 'out-of-range', { ...wire(valid), entries: [new Uint8Array(4_097)] }],
    ['a chunk before its block', 'invariant', { ...wire(valid), indexFirst: 999 }],
    ['a chunk past its block', 'invariant', { ...wire(valid), indexFirst: 1_001, checkpoint: null }],
    ['a block over 65,536 entries', 'invariant', { ...wire(valid), blockTreeSize: 1_000 + 65_537 }],
    ['the last chunk without its checkpoint', 'invariant', { ...wire(chunks(3, 5, 1_000, 2).at(-1)!), checkpoint: null }],
    ['an earlier chunk with a checkpoint', 'invariant', { ...wire(chunks(3, 5, 1_000, 40)[0]!), checkpoint: note(3, 5, 1_040) }],
    ['an earlier chunk with no entries', 'invariant', { ...wire(valid), blockTreeSize: 1_003, entries: [], checkpoint: null }],
    ['a checkpoint that is not a note', 'checkpoint', { ...wire(valid), checkpoint: 'not a note\n' }],
    ['the checkpoint of another tree size', 'checkpoint', { ...wire(valid), checkpoint: note(3, 5, 1_003) }],
    ['the checkpoint of another block', 'checkpoint', { ...wire(valid), checkpoint: note(3, 6, 1_002) }],
    ['the checkpoint of another chain', 'checkpoint', { ...wire(valid), checkpoint: note(4, 5, 1_002) }],
    ['an array, not a map', 'not-a-map', [1, 3, 5]],
    ['a bare number', 'not-a-map', 7],
  ];
  it.each(mutated)('refuses %s (%s)', (_name, reason, value) => {
    const error = errorOf(() => decodeBlockMessage(rawPackr.pack(value)));
    expect(error).toBeInstanceOf(BlockMessageError);
    expect((error as BlockMessageError).reason).toBe(reason);
  });

  const bytes = Buffer.from(encodeBlockMessage(valid));
  const versionAt = bytes.indexOf(Buffer.from([0xa1, 0x76, 0x01])) + 2; // "v": 1
  const keyCount = (count: number) => Buffer.from([0x80 + count]);
  const schemaOrder = ['v', 'chain', 'blockHeight', 'blockIndexFirst', 'blockTreeSize', 'indexFirst', 'entries', 'checkpoint'] as const;
  const fields = (m: BlockMessage) => schemaOrder.map((key) => Buffer.concat([rawPackr.pack(key), rawPackr.pack(m[key])]));
  it('reads other encodings of the same message (another writer, a later msgpackr): fixmap, keys in any order, integers as float 64', () => {
    const floatVersion = Buffer.concat([bytes.subarray(0, versionAt), Buffer.from('cb3ff0000000000000', 'hex'), bytes.subarray(versionAt + 1)]);
    const encodings = [Buffer.concat([keyCount(8), ...fields(valid)]), Buffer.concat([keyCount(8), ...fields(valid).reverse()]), floatVersion];
    for (const encoding of encodings) expect(view(decodeBlockMessage(encoding))).toEqual(view(valid));
  });
  const damaged: [string, string, Uint8Array][] = [
    ['no bytes', 'not-msgpack', new Uint8Array(0)],
    ['truncated', 'not-msgpack', bytes.subarray(0, bytes.length - 1)],
    ['trailing bytes', 'not-msgpack', Buffer.concat([bytes, Buffer.from([0xc0])])],
    ['the never-used byte 0xc1', 'not-a-map', Buffer.from([0xc1])],
    ['an ext type', 'not-msgpack', Buffer.from([0xd4, 0x01, 0x02])],
    ['a key twice', 'duplicate-key', Buffer.concat([keyCount(9), ...fields(valid), Buffer.concat([rawPackr.pack('chain'), rawPackr.pack(3)])])],
    ['over 512 KiB', 'too-large', new Uint8Array(blockMessageBytesMax + 1)],
  ];
  it.each(damaged)('refuses %s (%s)', (_name, reason, input) => {
    const error = errorOf(() => decodeBlockMessage(input));
    expect(error).toBeInstanceOf(BlockMessageError);
    expect((error as BlockMessageError).reason).toBe(reason);
  });

  it('a typed error carries where it was read; encoding a bad message is a bug (assertion)', () => {
    const error = errorOf(() => decodeBlockMessage(new Uint8Array(0))) as BlockMessageError;
    const placed = error.withPosition({ partition: 2, offset: 41 });
    expect([placed.reason, placed.at, placed.message]).toEqual(['not-msgpack', { partition: 2, offset: 41 }, `not-msgpack: ${error.detail} (partition 2, offset 41)`]);
    expect(() => encodeBlockMessage({ ...valid, checkpoint: null })).toThrow(AssertionError);
  });
});

describe('blockMessages (chunking)', () => {
  it('splits 100 entries of 4,000 bytes at 128 KiB into chunks of 32, 32, 32 and 4, each within the limit', () => {
    const b = block(1, 4, 500, 100);
    const messages = blockMessages(b.fields, b.entries, blockMessageBytesMin);
    expect(messages.map((m) => [m.indexFirst, m.entries.length, m.checkpoint !== null])).toEqual([
      [500, 32, false], [532, 32, false], [564, 32, false], [596, 4, true],
    ]);
    for (const m of messages) expect(encodeBlockMessage(m).length).toBeLessThanOrEqual(blockMessageBytesMin);
    expect(hex(messages.flatMap((m) => m.entries))).toEqual(hex(b.entries));
    expect(messages.at(-1)!.checkpoint).toBe(b.fields.checkpoint);
  });

  it('a full default block (4,096 entries of 215 bytes, 880,640 bytes) is 2 chunks of at most 512 KiB', () => {
    const all = entries(0, 4_096, 215);
    const fields: BlockFields = { chain: 0, blockHeight: 0, blockIndexFirst: 0, blockTreeSize: 4_096, checkpoint: note(0, 0, 4_096) };
    const messages = blockMessages(fields, all);
    const overhead = chunkOverheadBytes(fields);
    const perChunk = Math.floor((blockMessageBytesMax - overhead) / 217);
    expect(messages.map((m) => m.entries.length)).toEqual([perChunk, 4_096 - perChunk]);
    expect(perChunk).toBe(2_413);
    expect(messages.map((m) => encodeBlockMessage(m).length <= blockMessageBytesMax)).toEqual([true, true]);
    expect(hex(messages.flatMap((m) => m.entries))).toEqual(hex(all));
  });

  it('the largest entries (4,096 bytes) with a maximal block stay within 512 KiB a chunk', () => {
    const all = entries(0, 1_000, 4_096);
    const fields: BlockFields = { chain: 65_535, blockHeight: 2 ** 40, blockIndexFirst: 2 ** 50, blockTreeSize: 2 ** 50 + 1_000, checkpoint: note(65_535, 2 ** 40, 2 ** 50 + 1_000) };
    const messages = blockMessages(fields, all);
    expect(messages.map((m) => m.entries.length)).toEqual([127, 127, 127, 127, 127, 127, 127, 111]);
    for (const m of messages) expect(view(decodeBlockMessage(encodeBlockMessage(m)))).toEqual(view(m));
  });
});

describe('BlockAssembler', () => {
  /** Feeds messages in order; returns the blocks completed and the duplicate count. */
  function run(messages: readonly BlockMessage[], assembler = new BlockAssembler()) {
    const blocks = messages.flatMap((m) => assembler.add(m).block ?? []);
    return { blocks: blocks.map(view), duplicates: assembler.duplicates };
  }

  const block0 = chunks(0, 0, 0, 70); // 3 chunks: 32, 32, 6
  const block1 = chunks(0, 1, 70, 10); // 1 chunk
  const block2 = chunks(0, 2, 80, 0); // empty
  const block3 = chunks(0, 3, 80, 33); // 2 chunks: 32, 1

  it('puts chunks back together, one block per last chunk, empty blocks included', () => {
    expect(block0.map((m) => m.entries.length)).toEqual([32, 32, 6]);
    expect(run([...block0, ...block1, ...block2, ...block3])).toEqual({
      blocks: [assembled(0, 0, 0, 70), assembled(0, 1, 70, 10), assembled(0, 2, 80, 0), assembled(0, 3, 80, 33)],
      duplicates: 0,
    });
  });

  it('drops a chunk sent twice', () => {
    const [a, b, c] = block0 as [BlockMessage, BlockMessage, BlockMessage];
    expect(run([a, a, b, b, c])).toEqual({ blocks: [assembled(0, 0, 0, 70)], duplicates: 2 });
  });

  it('drops a whole block sent twice, empty blocks too', () => {
    expect(run([...block0, ...block1, ...block0, ...block1, ...block2, ...block2])).toEqual({
      blocks: [assembled(0, 0, 0, 70), assembled(0, 1, 70, 10), assembled(0, 2, 80, 0)],
      duplicates: 5,
    });
  });

  it('a block sent again from its start after a publisher stopped inside it (crash between chunks)', () => {
    const [a, b, c] = block0 as [BlockMessage, BlockMessage, BlockMessage];
    expect(run([a, b, a, b, c, ...block1])).toEqual({ blocks: [assembled(0, 0, 0, 70), assembled(0, 1, 70, 10)], duplicates: 2 });
  });

  it('two publishers of one chain interleaved (a rebalance): each block once', () => {
    const [a, b, c] = block0 as [BlockMessage, BlockMessage, BlockMessage];
    const [d] = block1 as [BlockMessage];
    expect(run([a, b, a, c, d, b, c, d])).toEqual({ blocks: [assembled(0, 0, 0, 70), assembled(0, 1, 70, 10)], duplicates: 4 });
  });

  it('takes the new tail of a chunk that overlaps what it has (publishers with other chunk sizes)', () => {
    const whole = block(0, 0, 0, 70);
    const bigger = blockMessages(whole.fields, whole.entries, 2 * blockMessageBytesMin); // 65, 5
    const [a] = block0 as [BlockMessage];
    expect(run([a, ...bigger])).toEqual({ blocks: [assembled(0, 0, 0, 70)], duplicates: 0 });
  });

  it('keeps chains apart', () => {
    const other = chunks(1, 0, 0, 40);
    expect(run([block0[0]!, other[0]!, block0[1]!, other[1]!, block0[2]!]).blocks).toEqual([assembled(1, 0, 0, 40), assembled(0, 0, 0, 70)]);
  });

  it('resumes after a known position: earlier blocks are duplicates', () => {
    const assembler = new BlockAssembler({ after: new Map([[0, { blockHeight: 1, treeSize: 80 }]]) });
    expect(run([...block0, ...block1, ...block2], assembler)).toEqual({ blocks: [assembled(0, 2, 80, 0)], duplicates: 4 });
    expect(assembler.position(0)).toEqual({ blockHeight: 2, treeSize: 80 });
  });

  const failures: [string, BlockMessage[], string, string][] = [
    ['a missing block', [...block0, ...block2], 'gap', 'gap: chain 0 block 2: block 1 is not complete yet'],
    ['chunks out of order', [block0[1]!], 'gap', 'gap: chain 0 block 0: a chunk from log index 32 came before index 0'],
    ['a chunk skipped', [block0[0]!, block0[2]!], 'gap', 'gap: chain 0 block 0: a chunk from log index 64 came before index 32'],
    ['a block that does not start where the last ended', [...block0, ...chunks(0, 1, 71, 10)], 'conflict', 'conflict: chain 0 block 1: starts at log index 71, the chain\'s previous block ended at 70'],
    ['chunks of two different blocks at one height', [block0[0]!, chunks(0, 0, 0, 69)[1]!], 'conflict', 'conflict: chain 0 block 0: ends at tree size 69, its earlier chunks said 70'],
    ['a block received twice with different checkpoints (a fork)', [...block0, { ...block0[2]!, checkpoint: note(0, 0, 70, 99) }], 'conflict', 'conflict: chain 0 block 0: received twice with different checkpoints'],
  ];
  it.each(failures)('refuses %s', (_name, messages, kind, message) => {
    const assembler = new BlockAssembler();
    const error = errorOf(() => messages.forEach((m) => assembler.add(m)));
    expect(error).toBeInstanceOf(BlockSequenceError);
    expect([(error as BlockSequenceError).kind, (error as Error).message]).toEqual([kind, message]);
  });

  it('reports a block begun and not finished', () => {
    const assembler = new BlockAssembler();
    const next = chunks(0, 1, 70, 40); // 32, 8
    expect(run([...block0, next[0]!], assembler).blocks).toEqual([assembled(0, 0, 0, 70)]);
    expect(assembler.incomplete()).toEqual([{ chain: 0, blockHeight: 1, indexNext: 102, blockTreeSize: 110 }]);
    expect(assembler.position(0)).toEqual({ blockHeight: 0, treeSize: 70 });
    expect(assembler.position(1)).toBe(null);
  });
});
