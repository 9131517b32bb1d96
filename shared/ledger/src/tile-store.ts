import { assert } from '@fareledger/domain';
import { storedTileWidth, TILE_WIDTH, type TileStore } from '@fareledger/merkle';
import type Database from 'better-sqlite3';
import { bytesOf } from './schema.js';

type TileSelect = Database.Statement<[number, number, number], Buffer>;

export function prepareTileSelect(db: Database.Database): TileSelect {
  return db.prepare<[number, number, number], Buffer>(
    'SELECT bytes FROM tiles WHERE chain = ? AND tile_level = ? AND tile_index = ?').pluck();
}

/** The tiles of one chain, read straight from SQLite: the writer's store (restore on open). */
export function sqliteTileStore(select: TileSelect, chain: number): TileStore {
  return {
    readTile(tileLevel: number, tileIndex: number): Uint8Array | undefined {
      const bytes = select.get(chain, tileLevel, tileIndex);
      return bytes === undefined ? undefined : bytesOf(bytes);
    },
  };
}

/**
 * Tiles for proofs, read through two caches. Full tiles (256 hashes at the bottom) never
 * change once written: they are kept, least recently used first out, up to `tilesMax`.
 * Partial tiles, one per tile level on a chain's right edge, are what the writer
 * overwrites each block: they are kept only while the chain's tree size stays what
 * `syncChain` last saw, so every proof on a grown chain reads the new edge. Without the
 * edge cache every proof read its 1-3 edge tiles from SQLite (measured in ledger-store.md).
 */
export class TileCache {
  readonly #full = new Map<string, Uint8Array>();
  readonly #edges = new Map<number, { treeSize: number; tiles: Map<string, Uint8Array> }>();
  readonly #select: TileSelect;
  hits = 0;
  misses = 0;

  constructor(
    select: TileSelect,
    readonly tilesMax: number,
  ) {
    assert(Number.isSafeInteger(tilesMax) && tilesMax >= 0, `tile cache size ${tilesMax}`);
    this.#select = select;
  }

  /** Drops the chain's cached edge tiles when its stored tree size moved on from `treeSize`. */
  syncChain(chain: number, treeSize: number): void {
    const edges = this.#edges.get(chain);
    if (edges === undefined || edges.treeSize !== treeSize) this.#edges.set(chain, { treeSize, tiles: new Map() });
  }

  storeFor(chain: number): TileStore {
    return { readTile: (tileLevel, tileIndex) => this.read(chain, tileLevel, tileIndex) };
  }

  read(chain: number, tileLevel: number, tileIndex: number): Uint8Array | undefined {
    const key = `${chain}/${tileLevel}/${tileIndex}`;
    const cached = this.#full.get(key) ?? this.#edges.get(chain)?.tiles.get(key);
    if (cached !== undefined) {
      this.hits += 1;
      if (this.#full.delete(key)) this.#full.set(key, cached);
      return cached;
    }
    this.misses += 1;
    const stored = this.#select.get(chain, tileLevel, tileIndex);
    if (stored === undefined) return undefined;
    const bytes = bytesOf(stored);
    if (storedTileWidth(bytes) !== TILE_WIDTH) {
      // Read after the writer grew the chain, it may be wider than the size syncChain saw:
      // still right for that size, since a tile only ever gains hashes.
      this.#edges.get(chain)?.tiles.set(key, bytes);
    } else if (this.tilesMax > 0) {
      if (this.#full.size >= this.tilesMax) this.#full.delete(this.#full.keys().next().value as string);
      this.#full.set(key, bytes);
    }
    return bytes;
  }
}
