import { tilePath } from '@fareledger/merkle';
import { describe, expect, it } from 'vitest';
import { parseTilePath } from './transparency-routes.js';

describe('parseTilePath', () => {
  it.each([
    [0, 0, 256], [0, 0, 11], [1, 1234067, 256], [2, 999, 255], [0, 1000, 1],
  ])('reads back tilePath(%i, %i, %i)', (tileLevel, tileIndex, width) => {
    expect(parseTilePath(tilePath(tileLevel, tileIndex, width).slice('tile/'.length))).toEqual({ tileLevel, tileIndex, width });
  });

  it.each(['0/0', '0/000.p/256', '0/000.p/0', '0/x000/001', 'entries/000', '0/000/', '64/000', '0/1000', '0/000.p/011'])('refuses %s', (path) => {
    expect(parseTilePath(path)).toBeNull();
  });
});
