import { assertIndex, pow2, shiftRight } from './bits.js';
import { MissingHashError } from './errors.js';
import { HASH_BYTES, type Hash } from './hasher.js';
import type { NodeId } from './node-id.js';
import type { HashReader } from './proof.js';

// Tree storage in tiles, after C2SP tlog-tiles: a tile at tile level L and index N holds
// the hashes of the tree-level 8L nodes N*256 .. N*256+W-1 (its bottom row, W <= 256),
// which is exactly what tlog-tiles serves at tile/<L>/<N>[.p/<W>]. Fareledger stores a
// tile with its interior rows too (tree levels 8L+1 .. 8L+7, row k holding floor(W/2^k)
// hashes), so that any node hash is one tile read and a proof costs one read per tile
// level (4 reads for a tree of 2^32 entries) and no hashing; a full tile is 510 hashes,
// 16,320 bytes. The stored layout is rows 0..7 concatenated, each row left to right.

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 2 ** TILE_HEIGHT;

/** Number of hashes in row `row` of a tile whose bottom row holds `width` hashes. */
function rowLength(width: number, row: number): number {
  return Math.floor(width / pow2(row));
}

function rowOffset(width: number, row: number): number {
  let offset = 0;
  for (let k = 0; k < row; k++) offset += rowLength(width, k);
  return offset;
}

function storedTileBytes(width: number): number {
  return rowOffset(width, TILE_HEIGHT) * HASH_BYTES;
}

// Byte offset of each row in a full tile: the open-tile buffers use the full layout, and
// visit() runs for every append, so it must not recompute this.
const fullRowByteOffset = Array.from({ length: TILE_HEIGHT }, (_, row) => rowOffset(TILE_WIDTH, row) * HASH_BYTES);

const widthByStoredBytes = new Map<number, number>();
for (let width = 1; width <= TILE_WIDTH; width++) widthByStoredBytes.set(storedTileBytes(width), width);

/** The bottom-row width of a stored tile, or undefined when its length fits no width. */
export function storedTileWidth(stored: Uint8Array): number | undefined {
  return widthByStoredBytes.get(stored.length);
}

export interface TileCoordinates {
  readonly tileLevel: number;
  readonly tileIndex: number;
  readonly row: number;
  readonly position: number;
}

/** Which tile holds a node's hash, and where inside it. */
export function tileCoordinates(node: NodeId): TileCoordinates {
  assertIndex(node.level, 'node level');
  assertIndex(node.index, 'node index');
  const tileLevel = Math.floor(node.level / TILE_HEIGHT);
  const row = node.level % TILE_HEIGHT;
  const rowWidth = pow2(TILE_HEIGHT - row);
  return { tileLevel, tileIndex: Math.floor(node.index / rowWidth), row, position: node.index % rowWidth };
}

/** The C2SP tlog-tiles content of a stored tile: its bottom row of W hashes. */
export function tileBottomRow(stored: Uint8Array): Uint8Array {
  const width = storedTileWidth(stored);
  if (width === undefined) throw new RangeError(`${stored.length} bytes is not a stored tile`);
  return stored.subarray(0, width * HASH_BYTES);
}

/**
 * The C2SP tlog-tiles path of a tile: tile/<L>/<N>, with N written in 3-digit groups,
 * all but the last prefixed by "x" (1234067 -> x001/x234/067), and ".p/<W>" for a
 * partial tile of width W < 256.
 */
export function tilePath(tileLevel: number, tileIndex: number, width: number = TILE_WIDTH): string {
  assertIndex(tileIndex, 'tile index');
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new RangeError(`tile width ${width} is not in 1..256`);
  const groups: string[] = [];
  let rest = tileIndex;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  const index = groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
  const partial = width < TILE_WIDTH ? `.p/${width}` : '';
  return `tile/${tileLevel}/${index}${partial}`;
}

/** Where tiles are kept. readTile returns the stored layout above, or undefined. */
export interface TileStore {
  readTile(tileLevel: number, tileIndex: number): Uint8Array | undefined;
}

/** Serves node hashes from a TileStore, reading each tile a request touches once. */
export class TileHashReader implements HashReader {
  constructor(private readonly store: TileStore) {}

  readHashes(ids: readonly NodeId[]): Hash[] {
    const tiles = new Map<string, Uint8Array | undefined>();
    return ids.map((id) => {
      const { tileLevel, tileIndex, row, position } = tileCoordinates(id);
      const key = `${tileLevel}/${tileIndex}`;
      if (!tiles.has(key)) tiles.set(key, this.store.readTile(tileLevel, tileIndex));
      const stored = tiles.get(key);
      const width = stored === undefined ? undefined : storedTileWidth(stored);
      if (stored === undefined || width === undefined || position >= rowLength(width, row)) {
        throw new MissingHashError(id.level, id.index);
      }
      const offset = (rowOffset(width, row) + position) * HASH_BYTES;
      return stored.slice(offset, offset + HASH_BYTES);
    });
  }
}

/** A tile to store (insert or replace): the full stored layout for bottom width `width`. */
export interface TileWrite {
  readonly tileLevel: number;
  readonly tileIndex: number;
  readonly width: number;
  readonly bytes: Uint8Array;
}

interface OpenTile {
  readonly tileIndex: number;
  /** Hashes laid out as in a full tile; rows fill left to right. */
  readonly hashes: Uint8Array;
  readonly rowFill: number[];
  dirty: boolean;
}

/**
 * Collects the nodes a CompactRange append visits into tiles. Between appends only the
 * right edge of each tile level is incomplete, so the writer keeps one open tile per tile
 * level (during a batch append, the several its runs span); flush() hands out every tile
 * completed since the last flush plus each open tile that changed, ready to be written in
 * the same transaction as the entries.
 */
export class TileWriter {
  /** Per tile level, the open tiles by tile index. */
  readonly #open: Map<number, OpenTile>[] = [];
  #completed: TileWrite[] = [];

  /** Picks up an existing tree of `size` leaves: loads its partial edge tiles. */
  static resume(store: TileStore, size: number): TileWriter {
    assertIndex(size, 'size');
    const writer = new TileWriter();
    for (let tileLevel = 0; pow2(TILE_HEIGHT * tileLevel) <= size; tileLevel++) {
      const bottomNodes = shiftRight(size, TILE_HEIGHT * tileLevel);
      const tileIndex = Math.floor(bottomNodes / TILE_WIDTH);
      const width = bottomNodes % TILE_WIDTH;
      if (width === 0) continue;
      const stored = store.readTile(tileLevel, tileIndex);
      if (stored === undefined || storedTileWidth(stored) !== width) {
        throw new MissingHashError(TILE_HEIGHT * tileLevel, tileIndex * TILE_WIDTH + width - 1);
      }
      writer.#levelTiles(tileLevel).set(tileIndex, loadEdge(tileIndex, width, stored));
    }
    return writer;
  }

  /**
   * A NodeVisitor: pass it to CompactRange appends. Takes a run of consecutive nodes of
   * one level, which must continue where the tile rows it lands in stopped.
   */
  readonly visit = (level: number, firstIndex: number, hashes: Uint8Array): void => {
    if (hashes.length === 0 || hashes.length % HASH_BYTES !== 0) throw new RangeError(`a run of node hashes, got ${hashes.length} bytes`);
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const row = level % TILE_HEIGHT;
    const rowWidth = pow2(TILE_HEIGHT - row);
    const tiles = this.#levelTiles(tileLevel);
    let index = firstIndex;
    for (let at = 0; at < hashes.length;) {
      const tileIndex = Math.floor(index / rowWidth);
      const position = index % rowWidth;
      const count = Math.min((hashes.length - at) / HASH_BYTES, rowWidth - position);
      let tile = tiles.get(tileIndex);
      if (tile === undefined) {
        tile = { tileIndex, hashes: new Uint8Array(storedTileBytes(TILE_WIDTH)), rowFill: new Array<number>(TILE_HEIGHT).fill(0), dirty: false };
        tiles.set(tileIndex, tile);
      }
      if (position !== tile.rowFill[row]) {
        throw new Error(`node (${level}, ${index}) visited out of order: tile row ${row} holds ${tile.rowFill[row]} hashes`);
      }
      tile.hashes.set(hashes.subarray(at, at + count * HASH_BYTES), fullRowByteOffset[row]! + position * HASH_BYTES);
      tile.rowFill[row] = position + count;
      tile.dirty = true;
      // The top row's second node completes the tile: every node below it is in.
      if (row === TILE_HEIGHT - 1 && tile.rowFill[row] === 2) {
        // A full tile's layout is the stored one: its buffer is handed out as is.
        this.#completed.push({ tileLevel, tileIndex, width: TILE_WIDTH, bytes: tile.hashes });
        tiles.delete(tileIndex);
      }
      index += count;
      at += count * HASH_BYTES;
    }
  };

  /** Tiles to write since the last flush, in order of tile level then index. */
  flush(): TileWrite[] {
    const writes = this.#completed;
    this.#completed = [];
    this.#open.forEach((tiles, tileLevel) => {
      if (tiles.size > 1) throw new Error(`tile level ${tileLevel} left ${tiles.size} tiles incomplete: an append was cut short`);
      for (const tile of tiles.values()) {
        if (!tile.dirty) continue;
        writes.push(serialize(tileLevel, tile));
        tile.dirty = false;
      }
    });
    return writes.sort((a, b) => a.tileLevel - b.tileLevel || a.tileIndex - b.tileIndex);
  }

  #levelTiles(tileLevel: number): Map<number, OpenTile> {
    let tiles = this.#open[tileLevel];
    if (tiles === undefined) {
      tiles = new Map();
      this.#open[tileLevel] = tiles;
    }
    return tiles;
  }
}

function loadEdge(tileIndex: number, width: number, stored: Uint8Array): OpenTile {
  const hashes = new Uint8Array(storedTileBytes(TILE_WIDTH));
  const rowFill: number[] = [];
  for (let row = 0; row < TILE_HEIGHT; row++) {
    const length = rowLength(width, row);
    const from = rowOffset(width, row) * HASH_BYTES;
    hashes.set(stored.subarray(from, from + length * HASH_BYTES), fullRowByteOffset[row]!);
    rowFill.push(length);
  }
  return { tileIndex, hashes, rowFill, dirty: false };
}

function serialize(tileLevel: number, edge: OpenTile): TileWrite {
  const width = edge.rowFill[0] as number;
  const bytes = new Uint8Array(storedTileBytes(width));
  for (let row = 0; row < TILE_HEIGHT; row++) {
    if (edge.rowFill[row] !== rowLength(width, row)) throw new Error(`tile row ${row} holds ${edge.rowFill[row]} hashes, want ${rowLength(width, row)}`);
    const from = fullRowByteOffset[row]!;
    bytes.set(edge.hashes.subarray(from, from + rowLength(width, row) * HASH_BYTES), rowOffset(width, row) * HASH_BYTES);
  }
  return { tileLevel, tileIndex: edge.tileIndex, width, bytes };
}

/** Tiles kept in a Map: for tests, benchmarks and short-lived tools. Counts reads. */
export class MemoryTileStore implements TileStore {
  readonly #tiles = new Map<string, Uint8Array>();
  reads = 0;

  readTile(tileLevel: number, tileIndex: number): Uint8Array | undefined {
    this.reads += 1;
    return this.#tiles.get(`${tileLevel}/${tileIndex}`);
  }

  writeTiles(writes: readonly TileWrite[]): void {
    for (const write of writes) this.#tiles.set(`${write.tileLevel}/${write.tileIndex}`, write.bytes);
  }

  get tileCount(): number {
    return this.#tiles.size;
  }
}
