import type { LedgerReader } from '@fareledger/ledger';
import { ProofRequestError, TILE_WIDTH, tileBottomRow } from '@fareledger/merkle';
import { parseRequest, pathParam, problem } from '@fareledger/runtime';
import { bytesToHex } from '@noble/hashes/utils.js';
import { type Context, Hono } from 'hono';
import { invoiceProblemTypes } from './problem-types.js';
import { chainSchema, consistencyQuerySchema, inclusionQuerySchema, treeSizeSchema } from './schemas.js';

// The public transparency door: anyone may follow each chain and check that it only grows.
// Keys, checkpoints and proofs here; hash tiles in the C2SP tlog-tiles layout, so standard
// monitors and witnesses can follow a chain at /v1/chains/<n>/ (checkpoint, tile/...).
// Entry contents (accounts, trips) are not served here: they are for wallets and auditors.

const noteType = 'text/plain; charset=utf-8';

export function transparencyRoutes(reader: LedgerReader, auditVerifierKey: string): Hono {
  const app = new Hono();

  app.get('/keys', (c) => {
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ keys: reader.verifierKeys(), auditKey: auditVerifierKey });
  });

  app.get('/chains', (c) => {
    c.header('Cache-Control', 'no-cache');
    return c.json({ logName: reader.logName, chains: reader.chains().map(({ chain, treeSize, blockHeight, checkpoint }) => ({ chain, treeSize, blockHeight, checkpoint })) });
  });

  // tlog-tiles: <prefix>/checkpoint, the latest signed checkpoint, as text.
  app.get('/chains/:chain/checkpoint', (c) => {
    const chain = chainOf(c, reader);
    c.header('Cache-Control', 'no-cache');
    return c.body(reader.chain(chain)!.checkpoint, 200, { 'content-type': noteType });
  });

  app.get('/chains/:chain/checkpoints/:size', (c) => {
    const chain = chainOf(c, reader);
    const size = pathParam(treeSizeSchema, c.req.param('size'), 'checkpoint');
    const checkpoint = reader.checkpoint(chain, size);
    if (checkpoint === undefined) throw problem('not-found', `Chain ${chain} has no checkpoint of tree size ${size}.`);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(checkpoint.note, 200, { 'content-type': noteType });
  });

  const inclusionQuery = inclusionQuerySchema();
  app.get('/chains/:chain/proofs/inclusion', (c) => {
    const chain = chainOf(c, reader);
    const { index, size } = parseRequest(inclusionQuery, c.req.query());
    const hashes = proof(() => reader.inclusionProof(chain, index, size));
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.json({ chain, logIndex: index, treeSize: size, hashes: hashes.map((hash) => bytesToHex(hash)) });
  });

  const consistencyQuery = consistencyQuerySchema();
  app.get('/chains/:chain/proofs/consistency', (c) => {
    const chain = chainOf(c, reader);
    const { from, to } = parseRequest(consistencyQuery, c.req.query());
    if (from > to) throw problem(invoiceProblemTypes['proof-unavailable'], `from (${from}) must not be larger than to (${to}).`);
    const hashes = proof(() => reader.consistencyProof(chain, from, to));
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.json({ chain, fromSize: from, toSize: to, hashes: hashes.map((hash) => bytesToHex(hash)) });
  });

  // tlog-tiles: <prefix>/tile/<L>/<N>[.p/<W>], the bottom row of hashes of a tile.
  app.get('/chains/:chain/tile/*', (c) => {
    const chain = chainOf(c, reader);
    const path = c.req.path.slice(c.req.path.indexOf('/tile/') + '/tile/'.length);
    const coordinates = parseTilePath(path);
    if (coordinates === null) throw problem('not-found', `No tile at ${JSON.stringify(path.slice(0, 80))}: tile/<L>/<N>[.p/<W>] (entry bundles are not public).`);
    const stored = reader.tile(chain, coordinates.tileLevel, coordinates.tileIndex);
    const bottom = stored === undefined ? undefined : tileBottomRow(stored);
    const width = bottom === undefined ? 0 : bottom.length / 32;
    // A full tile is served at its full path only; a partial one at its own width (the
    // stored tile may have grown since: a wider tile holds the narrower one's hashes first).
    if (bottom === undefined || width < coordinates.width) throw problem('not-found', `Chain ${chain} has no tile ${path}.`);
    c.header('Cache-Control', coordinates.width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(bottom.slice(0, coordinates.width * 32), 200, { 'content-type': 'application/octet-stream' });
  });
  return app;
}

/** The chain a `:chain` path parameter names: 404 when it is not a chain number or the ledger has no such chain (yet). */
export function chainOf(c: Context, reader: LedgerReader): number {
  const chain = pathParam(chainSchema, c.req.param('chain')!, 'chain');
  if (reader.chain(chain) === undefined) throw problem('not-found', `No chain ${chain} in this ledger (yet).`);
  return chain;
}

function proof<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ProofRequestError) throw problem(invoiceProblemTypes['proof-unavailable'], `${error.message}.`);
    throw error;
  }
}

/** tile/<L>/<N>[.p/<W>] with N in x001/x234/067 groups (C2SP tlog-tiles), or null. */
export function parseTilePath(path: string): { tileLevel: number; tileIndex: number; width: number } | null {
  const match = /^([0-9]|[1-5][0-9]|6[0-3])\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (match === null) return null;
  const groups = match[2]!.split('/').map((group) => group.replace('x', ''));
  if (groups.length > 1 && groups[0] === '000') return null;
  const tileIndex = Number(groups.join(''));
  const width = match[3] === undefined ? TILE_WIDTH : Number(match[3]);
  if (!Number.isSafeInteger(tileIndex) || width >= TILE_WIDTH + (match[3] === undefined ? 1 : 0)) return null;
  return { tileLevel: Number(match[1]), tileIndex, width };
}
