import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseVerifierKey, type VerifierKey } from '@fareledger/checkpoint';
import { seededIntegers } from '@fareledger/domain';
import Database from 'better-sqlite3';
import { auditLedgerFile, type LedgerAudit } from '../services/invoice-audit/src/audit-verify.js';
import { keysOf, UsageError } from '../services/invoice-audit/src/cli-keys.js';
import { positiveIntArg, repoRoot, startChild, usageError } from './processes.js';
import { counterSum } from './sampler.js';
import { fileLayout, recordsOfPages, type StoredRecord } from './sqlite-records.js';

// The tamper test (docs/RELIABILITY.md): one byte of one stored value flipped in a copy of
// a real ledger file, then the auditor's verification (fareledger-audit-verify's
// auditLedgerFile, with the keys GET /v1/keys published) must fail it; a fresh copy for
// each flip. The byte is found in the file through SQLite's file format (sqlite-records.ts),
// so every flip lands in a value: an entry's bytes, a tile's hashes, a checkpoint's note
// or columns, an offset, the chain row, the duplicate index, the key history, the ledger's
// own name and format. Exit 0 when every flip was detected, 1 when one was not, 2 usage.

const command = 'tamper';
const usage = `usage: npm run tamper -- [--flips 1000] [--taps 20000] [--seed <n>] [--ledger <ledger.db> --key <verifier key | file>]

  --flips   byte flips, one at a time, each on a fresh copy (default 1000)
  --taps    taps the city seals into the ledger tampered with (default 20000; not with --ledger)
  --seed    the random choices' seed (default: from the clock; printed, to rerun a run)
  --ledger  tamper with a copy of this ledger instead (the file itself is never written)
  --key     with --ledger: the verifier key(s) to trust, as fareledger-audit-verify takes them
`;

/** A value of the ledger a flip may land in: its table's stored column names, and the kind it is reported under. */
const targets: readonly { readonly kind: string; readonly table: string; readonly columns: readonly string[] }[] = [
  { kind: 'entry', table: 'entry_bundles', columns: ['bytes'] },
  { kind: 'tree hash', table: 'tiles', columns: ['bytes'] },
  { kind: 'checkpoint note', table: 'checkpoints', columns: ['note'] },
  { kind: 'checkpoint column', table: 'checkpoints', columns: ['chain', 'block_height', 'tree_size', 'root_hash', 'fare_table_version', 'sealed_at_ms', 'checkpoint_hash', 'verifier_key'] },
  { kind: 'offset', table: 'checkpoints', columns: ['offset_first', 'offset_next'] },
  { kind: 'offset', table: 'chains', columns: ['next_offset'] },
  { kind: 'chain row', table: 'chains', columns: ['tree_size', 'block_height', 'checkpoint'] },
  { kind: 'duplicate index', table: 'tap_keys', columns: ['chain', 'time_ms', 'key'] },
  { kind: 'key history', table: 'signing_keys', columns: ['verifier_key', 'name', 'first_chain', 'first_block_height', 'first_used_at_ms'] },
  { kind: 'ledger meta', table: 'ledger_meta', columns: ['value'] },
];

interface Spot {
  readonly kind: string;
  readonly table: string;
  readonly column: string;
  readonly record: StoredRecord;
  readonly columnIndex: number;
}

interface Flip {
  readonly kind: string;
  readonly table: string;
  readonly column: string;
  readonly fileOffset: number;
  readonly mask: number;
  /** What the audit said; null when it passed the tampered file. */
  readonly detectedBy: string | null;
}

interface Options {
  readonly flips: number;
  readonly taps: number;
  readonly seed: number;
  readonly ledger?: string;
  readonly keys?: readonly VerifierKey[];
}

function parseOptions(argv: readonly string[]): Options {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: { flips: { type: 'string' }, taps: { type: 'string' }, seed: { type: 'string' }, ledger: { type: 'string' }, key: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    return usageError(command, `${(error as Error).message}\n\n${usage}`);
  }
  if (values.help === true) {
    process.stdout.write(usage);
    process.exit(0);
  }
  if ((values.ledger === undefined) !== (values.key === undefined)) usageError(command, `--ledger and --key go together\n\n${usage}`);
  if (values.ledger !== undefined && values.taps !== undefined) usageError(command, '--taps makes a ledger; with --ledger there is one');
  let keys: VerifierKey[] | undefined;
  try {
    keys = values.key?.flatMap(keysOf);
  } catch (error) {
    if (error instanceof UsageError) usageError(command, error.message);
    throw error;
  }
  return {
    flips: positiveIntArg(command, values.flips ?? '1000', '--flips'),
    taps: positiveIntArg(command, values.taps ?? '20000', '--taps'),
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : positiveIntArg(command, values.seed, '--seed'),
    ...(values.ledger === undefined ? {} : { ledger: path.resolve(values.ledger) }),
    ...(keys === undefined ? {} : { keys }),
  };
}

/** The city on a fresh data directory, simulator on, until it sealed `taps`; its ledger and the keys it published. */
async function sealedLedger(dataDir: string, taps: number): Promise<{ ledger: string; keys: VerifierKey[] }> {
  const rate = Math.min(4_000, Math.max(200, Math.ceil(taps / 10)));
  const city = await startChild('services/city/src/main.ts', { DATA_DIR: dataDir, PORT: '0', CITY_SIMULATE: 'true', CITY_SIMULATE_RATE: String(rate), LOG_LEVEL: 'info' }, 'city listening', { timeoutMs: 60_000 });
  try {
    for (const deadline = Date.now() + 30_000 + (taps / rate) * 3_000; ;) {
      const sealed = counterSum(await (await fetch(`${city.url}/metrics`)).text(), 'batcher_taps_sealed_total');
      if (sealed >= taps) break;
      if (Date.now() > deadline) throw new Error(`the city sealed only ${sealed} of ${taps} taps in time`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const { keys } = (await (await fetch(`${city.url}/v1/keys`)).json()) as { keys: { verifierKey: string }[] };
    return { ledger: path.join(dataDir, 'ledger.db'), keys: keys.map((key) => parseVerifierKey(key.verifierKey)) };
  } finally {
    await city.stop();
  }
}

/** A self-contained copy (rollback journal, so no -wal beside it holds part of it) through SQLite's backup. */
async function pristineCopy(source: string, copy: string): Promise<Buffer> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(copy);
  } finally {
    db.close();
  }
  const written = new Database(copy);
  written.pragma('journal_mode = DELETE');
  written.close();
  return readFileSync(copy);
}

/** Every value byte a flip may land in, from the copy's pages (dbstat names each page's table). */
function spotsOf(copy: string, file: Buffer): Spot[] {
  const db = new Database(copy, { readonly: true });
  try {
    const layout = fileLayout(file);
    return targets.flatMap(({ kind, table, columns }) => {
      const order = storedColumnOrder(db, table);
      const pages = db.prepare<[string], number>("SELECT pageno FROM dbstat WHERE name = ? AND pagetype IN ('leaf', 'internal') ORDER BY pageno").pluck().all(table);
      return recordsOfPages(file, layout, pages).flatMap((record) => columns.map((column) => ({ kind, table, column, record, columnIndex: order.indexOf(column) })))
        .filter(({ record, columnIndex }) => record.columns[columnIndex]!.end > record.columns[columnIndex]!.start);
    });
  } finally {
    db.close();
  }
}

/** Columns in record order: as declared, but a WITHOUT ROWID table's primary key first. */
function storedColumnOrder(db: Database.Database, table: string): string[] {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; pk: number }[];
  const withoutRowid = (db.prepare<[string], string>("SELECT sql FROM sqlite_schema WHERE name = ?").pluck().get(table) ?? '').includes('WITHOUT ROWID');
  if (!withoutRowid) return columns.map((column) => column.name);
  return [...columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk), ...columns.filter((c) => c.pk === 0)].map((c) => c.name);
}

function verdict(audit: LedgerAudit): string | null {
  if (audit.ok) return null;
  if (audit.damaged !== null) return audit.damaged.startsWith('SQLite integrity check') ? 'sqlite integrity' : 'unreadable';
  const failed = audit.verification!.chains.find((chain) => !chain.ok);
  return failed === undefined ? 'key history' : failed.failure!.kind;
}

function flipOnce(pristine: Buffer, spot: Spot, random: (n: number) => number, copy: string, keys: readonly VerifierKey[]): Flip {
  const { start, end } = spot.record.columns[spot.columnIndex]!;
  const fileOffset = spot.record.fileOffset(start + random(end - start));
  const mask = 1 + random(255);
  const tampered = Buffer.from(pristine);
  tampered[fileOffset] = tampered[fileOffset]! ^ mask;
  rmSync(`${copy}-journal`, { force: true });
  writeFileSync(copy, tampered);
  return { kind: spot.kind, table: spot.table, column: spot.column, fileOffset, mask, detectedBy: verdict(auditLedgerFile(copy, keys)) };
}

function summary(flips: readonly Flip[]): string {
  const kinds = [...new Set(targets.map((target) => target.kind))];
  const rows = kinds.map((kind) => {
    const of = flips.filter((flip) => flip.kind === kind);
    const by = new Map<string, number>();
    for (const flip of of) by.set(flip.detectedBy ?? 'NOT DETECTED', (by.get(flip.detectedBy ?? 'NOT DETECTED') ?? 0) + 1);
    const detected = of.filter((flip) => flip.detectedBy !== null).length;
    return `| ${kind} | ${of.length} | ${detected} | ${[...by].sort((a, b) => b[1] - a[1]).map(([what, n]) => `${what} ${n}`).join(', ')} |`;
  });
  const detected = flips.filter((flip) => flip.detectedBy !== null).length;
  return ['| flipped in | flips | detected | detected by |', '| --- | ---: | ---: | --- |', ...rows, `| all | ${flips.length} | ${detected} | |`].join('\n');
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(path.join(tmpdir(), 'fareledger-tamper-'));
  const stop = () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', stop);
  try {
    const source = options.ledger === undefined ? await sealedLedger(path.join(dir, 'city'), options.taps) : { ledger: options.ledger, keys: options.keys! };
    const copy = path.join(dir, 'copy.db');
    const pristine = await pristineCopy(source.ledger, copy);
    const startedMs = Date.now();
    const untouched = auditLedgerFile(copy, source.keys);
    if (!untouched.ok) throw new Error(`the untouched copy does not verify: ${JSON.stringify(untouched).slice(0, 500)}`);
    const chains = untouched.verification!.chains;
    console.log(`tamper: ${path.basename(source.ledger)}, ${(pristine.length / 2 ** 20).toFixed(1)} MiB, ${chains.length} chains, ` +
      `${chains.reduce((sum, c) => sum + c.entriesVerified, 0).toLocaleString('en')} entries, ${chains.reduce((sum, c) => sum + c.blocksVerified, 0).toLocaleString('en')} blocks; ` +
      `verified untouched in ${Date.now() - startedMs} ms; seed ${options.seed}`);
    const spots = spotsOf(copy, pristine);
    const kinds = [...new Set(spots.map((spot) => spot.kind))];
    const random = seededIntegers(options.seed);
    const flips: Flip[] = [];
    for (let i = 0; i < options.flips; i += 1) {
      // Kinds in turn, so that small tables get their share; then a value of that kind, then a byte of it.
      const ofKind = spots.filter((spot) => spot.kind === kinds[i % kinds.length]);
      flips.push(flipOnce(pristine, ofKind[random(ofKind.length)]!, random, copy, source.keys));
      if ((i + 1) % 50 === 0) process.stderr.write(`\r${i + 1}/${options.flips} flips`);
    }
    process.stderr.write('\n');
    console.log(summary(flips));
    const missed = flips.filter((flip) => flip.detectedBy === null);
    for (const flip of missed) console.log(`NOT DETECTED: ${flip.table}.${flip.column}, byte ${flip.fileOffset} of the file ^ 0x${flip.mask.toString(16)}`);
    const reportPath = path.join(repoRoot, 'load-tests', 'reports', `tamper-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(reportPath), { recursive: true });
    writeFileSync(reportPath, `${JSON.stringify({ seed: options.seed, fileBytes: pristine.length, flips }, null, 1)}\n`);
    console.log(`tamper: ${flips.length - missed.length} of ${flips.length} flips detected in ${((Date.now() - startedMs) / 1000).toFixed(1)} s; flips in ${path.relative(repoRoot, reportPath)}`);
    return missed.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
