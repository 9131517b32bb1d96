import { CompactRange, MemoryTileStore, TileHashReader, TileWriter, type Hasher } from '../src/index.js';

export const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Leaves 0..n-1 with distinct, varied contents. */
export function makeLeaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i} ${'x'.repeat(i % 17)}`));
}

/** A log holding `leaves`, stored in tiles the way services store it. */
export function buildLog(hasher: Hasher, leaves: readonly Uint8Array[], batchSize = 7) {
  const range = new CompactRange(hasher);
  const writer = new TileWriter();
  const store = new MemoryTileStore();
  for (let at = 0; at < leaves.length; at += batchSize) {
    range.appendLeaves(leaves.slice(at, at + batchSize), writer.visit);
    store.writeTiles(writer.flush());
  }
  return { range, store, reader: new TileHashReader(store) };
}
