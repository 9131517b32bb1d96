import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerifierKey, verifierKeyOf } from '@fareledger/checkpoint';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { block, chainEntries, keyA, keyB, logName, tempDir } from '../test/helpers.js';
import { bundleWidth, decodeBundle } from './entry-bundle.js';
import { LedgerError } from './errors.js';
import { LedgerReader } from './reader.js';
import { verifyChain, type ChainVerification } from './verify-chain.js';
import { verifyLedger } from './verify-ledger.js';
import { LedgerWriter } from './writer.js';

// Tampering with a copy of a sealed ledger: each case changes the file the way an attacker
// or a bad disk would (one byte of a blob, one column, one row) and verifyChain must name
// the first block at fault and the kind of failure.

const dir = tempDir('verify');
const basePath = join(dir, 'base.db');
const verifiers = [verifierKeyOf(keyA)];
let serial = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // Chain 0: blocks of 300 entries at offsets 0-299, 300-599, 600-899. Chain 1: one block.
  const writer = LedgerWriter.open({ path: basePath, logName, signer: keyA, create: true });
  for (let height = 0; height < 3; height++) writer.sealBlock(0, block(chainEntries(0, height * 300, 300), height * 300, height));
  writer.sealBlock(1, block(chainEntries(1, 0, 10), 0, 0));
  writer.close();
});

/** A copy of the base ledger with `mutate` applied through a plain SQLite connection. */
function tampered(mutate: (db: Database.Database) => void): string {
  const path = join(dir, `copy-${serial++}.db`);
  copyFileSync(basePath, path);
  const db = new Database(path);
  mutate(db);
  db.close();
  return path;
}

/** verifyChain of a copy, without the keys it names (one test checks those). */
function verify(path: string, chain = 0, keys = verifiers): Omit<ChainVerification, 'verifierKeys'> {
  const reader = LedgerReader.open({ path, logName });
  try {
    const { verifierKeys: _, ...result } = verifyChain(reader, chain, keys);
    return result;
  } finally {
    reader.close();
  }
}

function flipBlobByte(db: Database.Database, select: string, update: string, params: unknown[], byte: number): void {
  const bytes = db.prepare(select).pluck().get(...params) as Buffer;
  bytes[byte] = (bytes[byte] as number) ^ 0x01;
  db.prepare(update).run(bytes, ...params);
}

/** Flips a byte of entry `idx` of chain 0 inside its entry bundle. */
const flipEntry = (idx: number, byte: number) => (db: Database.Database) => {
  const bundleIndex = Math.floor(idx / bundleWidth);
  const bytes = db.prepare('SELECT bytes FROM entry_bundles WHERE chain = 0 AND bundle_index = ?').pluck().get(bundleIndex) as Buffer;
  const entry = decodeBundle(bytes, 'test')[idx % bundleWidth]!;
  flipBlobByte(db, 'SELECT bytes FROM entry_bundles WHERE chain = 0 AND bundle_index = ?',
    'UPDATE entry_bundles SET bytes = ? WHERE chain = 0 AND bundle_index = ?', [bundleIndex], entry.byteOffset - bytes.byteOffset + byte);
};
/** Chain 0's last bundle (entries 768-899) with `change` applied to its bytes. */
const rewriteLastBundle = (change: (bytes: Buffer) => Buffer) => (db: Database.Database) => {
  const bytes = db.prepare('SELECT bytes FROM entry_bundles WHERE chain = 0 AND bundle_index = 3').pluck().get() as Buffer;
  db.prepare('UPDATE entry_bundles SET bytes = ? WHERE chain = 0 AND bundle_index = 3').run(change(bytes));
};
const tap10 = chainEntries(0, 10, 1)[0]!;
const chain0Taps = chainEntries(0, 0, 900).filter((e) => e.kind !== 'trip').length;
const flipTile = (level: number, index: number, byte: number) => (db: Database.Database) =>
  flipBlobByte(db, 'SELECT bytes FROM tiles WHERE chain = 0 AND tile_level = ? AND tile_index = ?',
    'UPDATE tiles SET bytes = ? WHERE chain = 0 AND tile_level = ? AND tile_index = ?', [level, index], byte);

describe('verifyChain', () => {
  it('passes an untouched ledger, chain by chain, and an empty chain', () => {
    expect(verify(basePath)).toEqual({ chain: 0, ok: true, blocksVerified: 3, entriesVerified: 900, failure: null });
    expect(verify(basePath, 1)).toEqual({ chain: 1, ok: true, blocksVerified: 1, entriesVerified: 10, failure: null });
    expect(verify(basePath, 2)).toEqual({ chain: 2, ok: true, blocksVerified: 0, entriesVerified: 0, failure: null });
  });

  it('names the keys the verified blocks were signed by', () => {
    const reader = LedgerReader.open({ path: basePath, logName });
    expect(verifyChain(reader, 0, verifiers).verifierKeys).toEqual([formatVerifierKey(verifierKeyOf(keyA))]);
    reader.close();
  });

  it('reports progress after each block that passed', () => {
    const reader = LedgerReader.open({ path: basePath, logName });
    const progress: [number, number][] = [];
    verifyChain(reader, 0, verifiers, { onProgress: (blocks, entries) => progress.push([blocks, entries]) });
    reader.close();
    expect(progress).toEqual([[1, 300], [2, 600], [3, 900]]);
  });

  const cases: [string, (db: Database.Database) => void, ChainVerification['failure'] & object, number][] = [
    ['a flipped byte in an entry', flipEntry(400, 30), { kind: 'root', blockHeight: 1, message: 'block 1: the stored entries 0..599 give another root than its checkpoint' }, 1],
    ['a flipped byte in a tile the proofs do not read', flipTile(0, 1, 4 * 32 + 7),
      { kind: 'tiles', blockHeight: 1, message: 'block 1: stored tile 0/1 differs from the tile rebuilt from the entries' }, 1],
    // Node (level 2, index 74) covers leaves 296-299: the seed of the consistency proof 300 -> 600,
    // stored in tile 0/1 at row 2, position 10 (rows 0 and 1 hold 256 + 128 hashes).
    ['a flipped byte in a tile a consistency proof reads', flipTile(0, 1, (256 + 128 + 10) * 32),
      { kind: 'consistency', blockHeight: 1, message: 'block 1: consistency proof from tree size 300 fails: consistency proof does not lead to the root of tree size 300' }, 1],
    ['a flipped byte in a checkpoint note', (db) => {
      const note = db.prepare('SELECT note FROM checkpoints WHERE chain = 0 AND block_height = 2').pluck().get() as string;
      db.prepare('UPDATE checkpoints SET note = ? WHERE chain = 0 AND block_height = 2').run(note.replace('fares szm-2026.1', 'fares szm-2026.2'));
    }, { kind: 'checkpoint-signature', blockHeight: 2, message: expect.stringMatching(/^block 2: checkpoint does not open: invalid signature for key fareledger.test\/szm-2026a\+/) as unknown as string }, 2],
    ['a checkpoint row whose root column disagrees with its note', (db) => db.prepare("UPDATE checkpoints SET root_hash = zeroblob(32) WHERE chain = 0 AND block_height = 0").run(),
      { kind: 'checkpoint-row', blockHeight: 0, message: "block 0: the checkpoint row's columns disagree with its signed note" }, 0],
    ['a checkpoint row naming another key than the one that signed it', (db) => db.prepare('UPDATE checkpoints SET verifier_key = ? WHERE chain = 0 AND block_height = 1').run(formatVerifierKey(verifierKeyOf(keyB))),
      { kind: 'checkpoint-row', blockHeight: 1, message: "block 1: the row's verifier key is not a trusted key that signed its note" }, 1],
    ['a tap missing from the duplicate index', (db) => db.prepare('DELETE FROM tap_keys WHERE chain = 0 AND time_ms = ? AND key = ?').run(tap10.timeMs, tap10.key),
      { kind: 'tap-keys', blockHeight: 0, message: 'entry 10: tap bv-0457/t0x10 is not in the duplicate index' }, 0],
    ['an adjustment missing from the duplicate index', (db) => db.prepare("DELETE FROM tap_keys WHERE chain = 0 AND key = 'adjustment:adj-0-96'").run(),
      { kind: 'tap-keys', blockHeight: 0, message: 'entry 96: adjustment adjustment:adj-0-96 is not in the duplicate index' }, 0],
    ['a row in the duplicate index that no tap entry has', (db) => db.prepare("INSERT INTO tap_keys VALUES (0, 1, 'bv-0457/forged')").run(),
      { kind: 'tap-keys', blockHeight: null, message: `the duplicate index holds ${chain0Taps + 1} keys, the chain ${chain0Taps} tap and adjustment entries` }, 3],
    ['a deleted entry bundle', (db) => db.prepare('DELETE FROM entry_bundles WHERE chain = 0 AND bundle_index = 3').run(),
      { kind: 'entries', blockHeight: 2, message: 'block 2: entry 768 is missing' }, 2],
    ['an entry bundle cut short', rewriteLastBundle((bytes) => bytes.subarray(0, bytes.length - 1)),
      { kind: 'entries', blockHeight: 2, message: expect.stringMatching(/^block 2: ledger chain 0, bundle 3: entry bundle holds a bad length \d+ at byte \d+$/) as unknown as string }, 2],
    ['an entry past the last checkpoint', rewriteLastBundle((bytes) => Buffer.concat([bytes, bytes.subarray(0, 2 + bytes.readUInt16BE(0))])),
      { kind: 'entries', blockHeight: null, message: 'chain holds 901 entries, its checkpoints cover 900' }, 3],
    ['a deleted checkpoint', (db) => db.prepare('DELETE FROM checkpoints WHERE chain = 0 AND block_height = 1').run(),
      { kind: 'block-height', blockHeight: 1, message: 'block 1 is missing (next stored: 2)' }, 1],
    ['a chain row with another offset', (db) => db.prepare('UPDATE chains SET next_offset = 0 WHERE chain = 0').run(),
      { kind: 'chain-row', blockHeight: null, message: 'chain row disagrees with the latest checkpoint (block 2)' }, 3],
  ];

  it.each(cases)('detects %s', (_, mutate, failure, blocksVerified) => {
    const result = verify(tampered(mutate));
    expect(result).toEqual({ chain: 0, ok: false, blocksVerified, entriesVerified: blocksVerified === 3 ? 900 : blocksVerified * 300, failure });
  });

  it('detects a gap in the Kafka offsets, even under valid signatures', () => {
    // A buggy batcher moved the stored position on without sealing: the next block is signed but leaves offsets 900-904 uncovered.
    const path = tampered((db) => db.prepare('UPDATE chains SET next_offset = next_offset + 5 WHERE chain = 0').run());
    const writer = LedgerWriter.open({ path, logName, signer: keyA });
    writer.sealBlock(0, block(chainEntries(0, 900, 4), writer.chainState(0).nextOffset, 3));
    writer.close();
    expect(verify(path)).toEqual({
      chain: 0, ok: false, blocksVerified: 3, entriesVerified: 900,
      failure: { kind: 'offsets', blockHeight: 3, message: 'block 3 starts at offset 905, block 2 ended at 900' },
    });
  });

  it('(writer) refuses to extend a chain whose edge tiles give another root than its checkpoint', () => {
    // Tree 900 = 512 + 256 + 128 + 4: the 128-leaf node (level 7, index 6) is the single
    // hash of row 7 of tile 0/3, which is 132 wide: after rows of 132+66+33+16+8+4+2 hashes.
    const path = tampered(flipTile(0, 3, 261 * 32));
    expect(() => LedgerWriter.open({ path, logName, signer: keyA })).toThrow(new LedgerError(
      'ledger chain 0: the stored tiles give another root than its latest checkpoint; the file is damaged (run verifyChain) and must not be extended'));
    expect(verify(path).failure).toMatchObject({ kind: 'consistency', blockHeight: 2 });
  });

  it('trusts only the keys it is given, not the ones the file lists', () => {
    expect(verify(basePath, 0, [verifierKeyOf(keyB)]).failure).toEqual({
      kind: 'checkpoint-signature', blockHeight: 0, message: 'block 0: checkpoint does not open: note has no verifiable signatures',
    });
  });

  it('verifies the checkpoints of a rotated key with both keys, and names the first block each alone cannot open', () => {
    const path = tampered(() => {});
    const writer = LedgerWriter.open({ path, logName, signer: keyB });
    writer.sealBlock(0, block(chainEntries(0, 900, 50), 900, 3));
    writer.sealBlock(1, block(chainEntries(1, 10, 5), 10, 1));
    writer.close();
    const reader = LedgerReader.open({ path });
    expect(reader.verifierKeys()).toEqual([
      { name: keyA.name, verifierKey: formatVerifierKey(verifierKeyOf(keyA)), firstChain: 0, firstBlockHeight: 0, firstUsedAtMs: 1_772_500_000_000 },
      { name: keyB.name, verifierKey: formatVerifierKey(verifierKeyOf(keyB)), firstChain: 0, firstBlockHeight: 3, firstUsedAtMs: 1_772_500_000_750 },
    ]);
    reader.close();
    const both = [verifierKeyOf(keyA), verifierKeyOf(keyB)];
    expect(verify(path, 0, both)).toEqual({ chain: 0, ok: true, blocksVerified: 4, entriesVerified: 950, failure: null });
    expect(verify(path, 1, both)).toEqual({ chain: 1, ok: true, blocksVerified: 2, entriesVerified: 15, failure: null });
    expect(verify(path, 0, [verifierKeyOf(keyA)])).toMatchObject({ ok: false, blocksVerified: 3, failure: { kind: 'checkpoint-signature', blockHeight: 3 } });
    expect(verify(path, 0, [verifierKeyOf(keyB)])).toMatchObject({ ok: false, blocksVerified: 0, failure: { kind: 'checkpoint-signature', blockHeight: 0 } });
  });
});

describe('verifyLedger', () => {
  const audit = (path: string, keys = verifiers) => {
    const reader = LedgerReader.open({ path, logName });
    try {
      return verifyLedger(reader, keys);
    } finally {
      reader.close();
    }
  };

  it('passes an untouched ledger: every chain any table holds, and the key history', () => {
    const result = audit(basePath);
    expect(result.ok).toBe(true);
    expect(result.chains.map((c) => [c.chain, c.ok, c.entriesVerified])).toEqual([[0, true, 900], [1, true, 10]]);
    expect(result.keyFailures).toEqual([]);
  });

  it('audits a chain whose chains row was moved to another number: both numbers fail', () => {
    const result = audit(tampered((db) => db.prepare('UPDATE chains SET chain = 5 WHERE chain = 1').run()));
    expect(result.ok).toBe(false);
    expect(result.chains.map((c) => [c.chain, c.failure?.kind ?? null])).toEqual([[0, null], [1, 'chain-row'], [5, 'chain-row']]);
  });

  it('detects a key history that lists an untrusted key, misnames a key or points at the wrong first block', () => {
    const listed = formatVerifierKey(verifierKeyOf(keyA));
    expect(audit(tampered((db) => db.prepare('UPDATE signing_keys SET verifier_key = ?').run(formatVerifierKey(verifierKeyOf(keyB))))).keyFailures).toEqual([
      expect.stringMatching(/^signing_keys lists .*, which is not a trusted key$/),
      expect.stringMatching(/^checkpoints are signed by .*, which signing_keys does not list$/),
    ]);
    expect(audit(tampered((db) => db.prepare("UPDATE signing_keys SET name = 'other'").run())).keyFailures).toEqual([
      `signing_keys names ${JSON.stringify(listed)} "other", not its key's name`,
    ]);
    expect(audit(tampered((db) => db.prepare('UPDATE signing_keys SET first_block_height = 1').run())).keyFailures).toEqual([
      expect.stringMatching(/^signing_keys says .* was first used by chain 0 block 1 at \d+; that checkpoint says otherwise$/),
    ]);
  });
});
