// Throughput of the ledger store alone on this machine: sealing (blocks of 4,096 entries of
// about 200 bytes, 4 chains) from an empty file up to `entries`, where a seal's time goes,
// proofs/s and duplicate lookups/s. Entries look like production: tap keys from 20,011
// devices and 2,000,003 wallet accounts, spread at random. The breakdown also times the
// format-1 layout (a row per entry, indexes by key and by account) beside today's (entry
// bundles, tap keys by event time) on the same blocks. Prints figures, asserts nothing;
// results and the machine are in docs/ledger-store.md.
//
// Usage: npm run bench:ledger [-- <entries, default 1048576> [<dir, default a new temp dir>]]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointOrigin, signCheckpoint } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { examples, tapEntry, tripEntry } from '@fareledger/domain';
import { CompactRange, TileWriter } from '@fareledger/merkle';
import { nodeHasher } from '@fareledger/merkle/node-hasher';
import Database from 'better-sqlite3';
import { encodeBundle } from '../shared/ledger/src/entry-bundle.js';
import { ledgerEntryOf, type LedgerEntryInput } from '../shared/ledger/src/entry-metadata.js';
import { LedgerReader } from '../shared/ledger/src/reader.js';
import { blob } from '../shared/ledger/src/schema.js';
import { LedgerWriter } from '../shared/ledger/src/writer.js';
import { block, keyA, logName } from '../shared/ledger/test/helpers.js';

const chains = 4;
const blockEntries = 4_096;
const windowBlocks = 32;
const totalBlocks = Math.ceil(Number(process.argv[2] ?? 1_048_576) / blockEntries);
const dir = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'ledger-bench-'));
const path = join(dir, 'bench.db');

/** Deterministic spread: entry n's device and account, as a multiplicative hash would scatter them. */
const scatter = (n: number, salt: number, range: number) => Number((BigInt(n) * 2_654_435_761n + BigInt(salt)) % BigInt(range));

/** Entry n (global): a bus tap; every 3rd the one-tap trip of the tap before it. */
function realisticEntry(n: number): LedgerEntryInput {
  const tapN = n % 3 === 2 ? n - 1 : n;
  const deviceId = `bv-${scatter(tapN, 7, 20_011)}`;
  const tapId = String(tapN);
  const account = `wa_${scatter(tapN, 12_345, 2_000_003).toString(36).padStart(5, '0')}Q7`;
  const eventTimeMs = examples.busTap.eventTimeMs + Math.floor(tapN / 40);
  if (tapN !== n) {
    const key = `${deviceId}/${tapId}`;
    return ledgerEntryOf(tripEntry({ ...examples.busTrip, tripId: key, tapKeys: [key], account, startMs: eventTimeMs, endMs: eventTimeMs }));
  }
  return ledgerEntryOf(tapEntry({ ...examples.busTap, deviceId, tapId, account, eventTimeMs, receivedAtMs: eventTimeMs + 210 }));
}

const makeBlock = (b: number) => Array.from({ length: blockEntries }, (_, i) => realisticEntry(b * blockEntries + i));
const usPerEntry = (ms: number, entries: number) => ((ms * 1_000) / entries).toFixed(1);
const rate = (ms: number, count: number) => Math.round(count / (ms / 1_000)).toLocaleString('en');

console.log(`ledger seal bench: ${chains} chains, ${totalBlocks} blocks of ${blockEntries} entries, file ${path}`);
const sample = makeBlock(0);
console.log(`entry size: mean ${(sample.reduce((s, e) => s + e.bytes.length, 0) / blockEntries).toFixed(0)} bytes`);
breakdown();
sealGrowing();
proofsAndLookups();
rmSync(dir, { recursive: true, force: true });

function sealGrowing(): void {
  const writer = LedgerWriter.open({ path, logName, signer: keyA, create: true });
  let windowMs = 0;
  let totalMs = 0;
  for (let b = 0; b < totalBlocks; b++) {
    const entries = makeBlock(b); // encoding is the batcher's cost: not timed
    const chain = b % chains;
    const height = Math.floor(b / chains);
    const startedMs = performance.now();
    writer.sealBlock(chain, block(entries, height * blockEntries, height));
    const ms = performance.now() - startedMs;
    windowMs += ms;
    totalMs += ms;
    if ((b + 1) % windowBlocks === 0 || b === totalBlocks - 1) {
      const done = (b + 1) * blockEntries;
      const count = ((b % windowBlocks) + 1) * blockEntries;
      console.log(`seal, ledger at ${(done / 1e6).toFixed(2)}M entries (${(statSync(path).size / 1e6).toFixed(0)} MB): ` +
        `${rate(windowMs, count)} entries/s, ${usPerEntry(windowMs, count)} µs/entry over the last ${count}`);
      windowMs = 0;
    }
  }
  writer.close();
  console.log(`seal, whole run: ${rate(totalMs, totalBlocks * blockEntries)} entries/s`);
}

/** The parts of a seal, one at a time, on the first 48 blocks, into fresh files. */
function breakdown(): void {
  const blocks = Array.from({ length: 48 }, (_, b) => makeBlock(b));
  const n = blocks.length * blockEntries;
  const range = new CompactRange(nodeHasher);
  const tiles = new TileWriter();
  let tileBytes = 0;
  const hashStartedMs = performance.now();
  for (const entries of blocks) {
    range.appendLeaves(entries.map((e) => e.bytes), tiles.visit);
    for (const t of tiles.flush()) tileBytes += t.bytes.length;
    range.root();
  }
  console.log(`  hashing + tile building: ${usPerEntry(performance.now() - hashStartedMs, n)} µs/entry; tiles written ${(tileBytes / n).toFixed(0)} bytes/entry`);
  const signStartedMs = performance.now();
  for (let i = 0; i < blocks.length; i++) {
    signCheckpoint({ origin: checkpointOrigin(logName, 0), treeSize: i, rootHash: new Uint8Array(32), fareledger: null }, [keyA], { ed25519: ed25519Node });
  }
  const signMs = (performance.now() - signStartedMs) / blocks.length;
  console.log(`  signing: ${signMs.toFixed(3)} ms/block = ${((signMs * 1_000) / blockEntries).toFixed(3)} µs/entry`);
  for (const indexes of [[], ['key'], ['key', 'account']] as const) insertRows(blocks, indexes);
  insertBundles(blocks);
}

function scratchDb(name: string): { db: Database.Database; scratch: string } {
  const scratch = join(dir, `${name}.db`);
  const db = new Database(scratch);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 16384');
  return { db, scratch };
}

/** Today's layout: 256-entry bundles (the partial one rewritten) and tap keys by event time. */
function insertBundles(blocks: LedgerEntryInput[][]): void {
  const { db, scratch } = scratchDb('insert-bundles');
  db.exec(`CREATE TABLE entry_bundles (chain INTEGER NOT NULL, bundle_index INTEGER NOT NULL, bytes BLOB NOT NULL,
    PRIMARY KEY (chain, bundle_index)) STRICT;
    CREATE TABLE tap_keys (chain INTEGER NOT NULL, time_ms INTEGER NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (chain, time_ms, key)) WITHOUT ROWID, STRICT`);
  const upsert = db.prepare('INSERT INTO entry_bundles VALUES (?, ?, ?) ON CONFLICT (chain, bundle_index) DO UPDATE SET bytes = excluded.bytes');
  const insertKey = db.prepare('INSERT INTO tap_keys VALUES (?, ?, ?)');
  const sealOne = db.transaction((chain: number, height: number, entries: LedgerEntryInput[]) => {
    for (let i = 0; i < entries.length; i += 256) {
      upsert.run(chain, height * 16 + i / 256, blob(encodeBundle(entries.slice(i, i + 256).map((e) => e.bytes))));
    }
    for (const e of entries) if (e.kind === 'tap') insertKey.run(chain, e.timeMs, e.key);
  });
  const startedMs = performance.now();
  blocks.forEach((entries, i) => sealOne.immediate(i % chains, Math.floor(i / chains), entries));
  const ms = performance.now() - startedMs;
  db.close();
  rmSync(scratch, { force: true });
  console.log(`  format 2: entry bundles + tap keys by time + commit, first ${blocks.length * blockEntries}: ${usPerEntry(ms, blocks.length * blockEntries)} µs/entry`);
}

/** Format 1: a row per entry (one transaction per block, WAL, synchronous=FULL), with some of its secondary indexes. */
function insertRows(blocks: LedgerEntryInput[][], indexes: readonly ('key' | 'account')[]): void {
  const { db, scratch } = scratchDb(`insert-${indexes.join('-') || 'none'}`);
  db.exec(`CREATE TABLE entries (chain INTEGER NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    account TEXT NOT NULL, time_ms INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (chain, idx)) WITHOUT ROWID, STRICT`);
  if (indexes.includes('key')) db.exec('CREATE UNIQUE INDEX entries_by_key ON entries (kind, key, chain)');
  if (indexes.includes('account')) db.exec('CREATE INDEX entries_by_account ON entries (account, time_ms)');
  const insert = db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)');
  const next = new Array<number>(chains).fill(0);
  const sealOne = db.transaction((chain: number, entries: LedgerEntryInput[]) => {
    for (const e of entries) insert.run(chain, next[chain]!++, e.kind, e.key, e.account, e.timeMs, blob(e.bytes));
  });
  const startedMs = performance.now();
  blocks.forEach((entries, i) => sealOne.immediate(i % chains, entries));
  const ms = performance.now() - startedMs;
  db.close();
  rmSync(scratch, { force: true });
  console.log(`  format 1: entry rows + commit, indexes [${indexes.join(', ')}], first ${blocks.length * blockEntries}: ${usPerEntry(ms, blocks.length * blockEntries)} µs/entry`);
}

function proofsAndLookups(): void {
  // Uniformly random leaves (an auditor's sample) and leaves of the last 16,384 (invoices for recent trips).
  for (const [what, span] of [['random', 0], ['recent', 16_384]] as const) {
    for (const tilesMax of [1_024, 0]) {
      const reader = LedgerReader.open({ path, tileCacheTilesMax: tilesMax });
      const size = reader.chain(0)!.treeSize;
      const count = 50_000;
      let seed = 12_345;
      const startedMs = performance.now();
      for (let i = 0; i < count; i++) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        reader.inclusionProof(i % chains, span === 0 ? seed % size : size - 1 - (seed % span), size);
      }
      console.log(`inclusion proofs, ${what} leaves of trees of ${size}, full-tile cache ${tilesMax}: ` +
        `${rate(performance.now() - startedMs, count)}/s (tile hits ${reader.tiles.hits}, misses ${reader.tiles.misses})`);
      reader.close();
    }
  }
  const writer = LedgerWriter.open({ path, logName, signer: keyA });
  const lookups = 100_000;
  let found = 0;
  const startedMs = performance.now();
  for (let i = 0; i < lookups; i++) {
    const b = (i * 7_919) % totalBlocks;
    const n = b * blockEntries + ((i * 31) % blockEntries);
    const tapN = n % 3 === 2 ? n - 1 : n;
    const eventTimeMs = examples.busTap.eventTimeMs + Math.floor(tapN / 40);
    if (writer.hasTap(b % chains, `bv-${scatter(tapN, 7, 20_011)}/${tapN}`, eventTimeMs)) found += 1;
  }
  writer.close();
  console.log(`hasTap: ${rate(performance.now() - startedMs, lookups)} lookups/s (${found} of ${lookups} found)`);
}
