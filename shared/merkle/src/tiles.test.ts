import { describe, expect, it } from 'vitest';
import { buildLog, makeLeaves, toHex } from '../test/helpers.js';
import { nodeHasher } from './node-hasher.js';
import {
  CompactRange,
  compactRangeIds,
  consistencyProof,
  inclusionProof,
  MemoryTileStore,
  MissingHashError,
  rootAt,
  TileHashReader,
  tileBottomRow,
  tileCoordinates,
  tilePath,
  TileWriter,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type HashReader,
  type NodeId,
} from './index.js';

const hasher = nodeHasher;

describe('tile layout', () => {
  it.each([
    [0, 0, 'tile/0/000'],
    [0, 1234067, 'tile/0/x001/x234/067'],
    [1, 999, 'tile/1/999'],
    [2, 1000, 'tile/2/x001/000'],
  ])('names tile %d/%d as %s (C2SP tlog-tiles)', (level, index, path) => expect(tilePath(level, index)).toBe(path));

  it('names partial tiles with .p/<width>', () => {
    expect(tilePath(0, 1234067, 8)).toBe('tile/0/x001/x234/067.p/8');
    expect(() => tilePath(0, 1, 0)).toThrow(RangeError);
    expect(() => tilePath(0, 1, 257)).toThrow(RangeError);
  });

  it.each([
    [{ level: 0, index: 255 }, { tileLevel: 0, tileIndex: 0, row: 0, position: 255 }],
    [{ level: 0, index: 256 }, { tileLevel: 0, tileIndex: 1, row: 0, position: 0 }],
    [{ level: 7, index: 5 }, { tileLevel: 0, tileIndex: 2, row: 7, position: 1 }],
    [{ level: 8, index: 3 }, { tileLevel: 1, tileIndex: 0, row: 0, position: 3 }],
    [{ level: 17, index: 2 ** 40 + 1 }, { tileLevel: 2, tileIndex: 2 ** 33, row: 1, position: 1 }],
  ])('puts node %o at %o', (node, want) => expect(tileCoordinates(node)).toEqual(want));
});

describe('tile storage', () => {
  const leaves = makeLeaves(70_000);

  it('stores every perfect subtree once, in the same tiles whatever the batch sizes', () => {
    const a = buildLog(hasher, leaves, 4096);
    const b = buildLog(hasher, leaves, 333);
    expect(a.store.tileCount).toBe(b.store.tileCount);
    // 70,000 leaves: 274 level-0 tiles (273 full, one of width 112), 2 level-1 tiles (width 256 and 17), 1 level-2 tile (width 1).
    expect(a.store.tileCount).toBe(274 + 2 + 1);
    for (const [level, index] of [[0, 0], [0, 273], [1, 0], [1, 1], [2, 0]] as const) {
      expect(toHex(a.store.readTile(level, index)!)).toBe(toHex(b.store.readTile(level, index)!));
    }
    expect(tileBottomRow(a.store.readTile(0, 273)!).length).toBe(112 * 32);
    expect(tileBottomRow(a.store.readTile(1, 1)!).length).toBe(17 * 32);
    expect(toHex(rootAt(a.reader, hasher, leaves.length))).toBe(toHex(a.range.root()));
  });

  it('serves a C2SP bottom row equal to the leaf hashes', () => {
    const { store } = buildLog(hasher, leaves.slice(0, 300));
    const row = tileBottomRow(store.readTile(0, 1)!);
    expect(row.length).toBe(44 * 32);
    expect(toHex(row.subarray(0, 32))).toBe(toHex(hasher.hashLeaf(leaves[256]!)));
    expect(toHex(row.subarray(43 * 32))).toBe(toHex(hasher.hashLeaf(leaves[299]!)));
  });

  it('reads one tile per tile level on the path, plus the right edge tiles, for a proof', () => {
    const { store, reader } = buildLog(hasher, leaves, 1000);
    store.reads = 0;
    const proof = inclusionProof(reader, hasher, 12_345, leaves.length);
    expect(proof.length).toBe(17);
    // Path: tiles 0/48 and 1/0. Right edge [65536, 70000): tiles 1/1 and 0/273.
    expect(store.reads).toBe(4);
    store.reads = 0;
    consistencyProof(reader, hasher, 33_333, leaves.length);
    expect(store.reads).toBe(4);
  });

  it('resumes after a restart from stored tiles alone and continues the same tree', () => {
    const straight = buildLog(hasher, leaves, 500);
    const store = new MemoryTileStore();
    let range = new CompactRange(hasher);
    let writer = new TileWriter();
    for (const [from, to] of [[0, 1], [1, 257], [257, 20_000], [20_000, 65_536], [65_536, 65_537], [65_537, 70_000]] as const) {
      // A new process: the compact range and the edge tiles come back from the store.
      const reader = new TileHashReader(store);
      range = new CompactRange(hasher, from, reader.readHashes(compactRangeIds(from)));
      writer = TileWriter.resume(store, from);
      range.appendLeaves(leaves.slice(from, to), writer.visit);
      store.writeTiles(writer.flush());
    }
    expect(toHex(range.root())).toBe(toHex(straight.range.root()));
    expect(store.tileCount).toBe(straight.store.tileCount);
    for (const [level, index] of [[0, 0], [0, 78], [0, 273], [1, 0], [1, 1], [2, 0]] as const) {
      expect(toHex(store.readTile(level, index)!), `tile ${level}/${index}`).toBe(toHex(straight.store.readTile(level, index)!));
    }
  });

  it('refuses to resume when an edge tile is missing, and reports missing hashes', () => {
    const { store } = buildLog(hasher, leaves.slice(0, 300));
    expect(() => TileWriter.resume(store, 301)).toThrow(MissingHashError);
    expect(() => new TileHashReader(store).readHashes([{ level: 0, index: 300 }])).toThrow(MissingHashError);
    expect(() => new TileHashReader(new MemoryTileStore()).readHashes([{ level: 0, index: 0 }])).toThrow(MissingHashError);
  });

  it('refuses nodes visited out of order', () => {
    const writer = new TileWriter();
    writer.visit(0, 0, new Uint8Array(32));
    expect(() => writer.visit(0, 2, new Uint8Array(32))).toThrow(/out of order/);
  });
});

/**
 * A tree of 2^41 + 999 leaves that exists only as arithmetic: every leaf is `plain` except
 * leaf `target`, so the hash of any node is either the all-plain hash of its level or, on
 * target's path, computed from it. Proofs for sizes far past 2^32 then run through the
 * same code as small ones, and a single wrong left/right decision changes the root.
 */
function sparseTree(target: number) {
  const plain: Hash[] = [hasher.hashLeaf(Buffer.from('plain'))];
  for (let level = 1; level <= 53; level++) plain.push(hasher.hashChildren(plain[level - 1]!, plain[level - 1]!));
  const onPath: Hash[] = [hasher.hashLeaf(Buffer.from('target'))];
  for (let level = 1; level <= 53; level++) {
    const childIndex = Math.floor(target / 2 ** (level - 1));
    onPath.push(
      childIndex % 2 === 0
        ? hasher.hashChildren(onPath[level - 1]!, plain[level - 1]!)
        : hasher.hashChildren(plain[level - 1]!, onPath[level - 1]!),
    );
  }
  const reader: HashReader = {
    readHashes: (ids: readonly NodeId[]) =>
      ids.map(({ level, index }) => (Math.floor(target / 2 ** level) === index ? onPath[level]! : plain[level]!)),
  };
  return { reader, targetHash: onPath[0]! };
}

describe('trees past 2^32 leaves', () => {
  it('proves inclusion and consistency with indices and sizes above 2^40', () => {
    const target = 2 ** 40 + 12_345;
    const { reader, targetHash } = sparseTree(target);
    for (const size of [target + 1, 2 ** 41, 2 ** 41 + 999, 3 * 2 ** 40 + 7]) {
      const root = rootAt(reader, hasher, size);
      const proof = inclusionProof(reader, hasher, target, size);
      expect(() => verifyInclusion(hasher, target, size, targetHash, proof, root)).not.toThrow();
      expect(() => verifyInclusion(hasher, target + 1, size, targetHash, proof, root)).toThrow();
      expect(() => verifyInclusion(hasher, target - 2 ** 33, size, targetHash, proof, root)).toThrow();
    }
    for (const [size1, size2] of [[target + 1, 2 ** 41 + 999], [2 ** 41, 2 ** 41 + 999], [2 ** 40 + 2 ** 33 + 5, 3 * 2 ** 40]]) {
      const proof = consistencyProof(reader, hasher, size1!, size2!);
      const root1 = rootAt(reader, hasher, size1!);
      const root2 = rootAt(reader, hasher, size2!);
      expect(() => verifyConsistency(hasher, size1!, size2!, proof, root1, root2)).not.toThrow();
      expect(() => verifyConsistency(hasher, size1! + 1, size2!, proof, root1, root2)).toThrow();
    }
  });
});
