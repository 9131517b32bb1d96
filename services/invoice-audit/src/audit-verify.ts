import { existsSync } from 'node:fs';
import type { VerifierKey } from '@fareledger/checkpoint';
import { LedgerError, LedgerReader, type LedgerVerification, verifyLedger, type VerifyChainOptions } from '@fareledger/ledger';
import Database from 'better-sqlite3';

// The auditor's offline check of a ledger file (a copy, or the live file beside a running
// batcher): first SQLite's own integrity check of the file (every page, every index
// against its table: a row whose columns were changed in the table but not in its index
// reads differently by each path), then verifyLedger with the keys the auditor trusts. A
// file SQLite or the ledger cannot read (not a database, damaged pages, another format) is
// a verdict too, not a crash: it fails the audit with what was wrong.

export interface LedgerAudit {
  readonly ok: boolean;
  /** Why the file could not be read as a ledger, when it could not; then nothing else was checked. */
  readonly damaged: string | null;
  readonly verification: LedgerVerification | null;
}

export function auditLedgerFile(path: string, verifiers: readonly VerifierKey[], options: VerifyChainOptions = {}): LedgerAudit {
  if (!existsSync(path)) throw new Error(`no ledger at ${path}`);
  let reader: LedgerReader | undefined;
  try {
    const structure = integrityProblems(path);
    if (structure.length > 0) return { ok: false, damaged: `SQLite integrity check: ${structure.join('; ')}`, verification: null };
    reader = LedgerReader.open({ path });
    const verification = verifyLedger(reader, verifiers, options);
    return { ok: verification.ok, damaged: null, verification };
  } catch (error) {
    if (!(error instanceof Database.SqliteError) && !(error instanceof LedgerError)) throw error;
    return { ok: false, damaged: error.message, verification: null };
  } finally {
    reader?.close();
  }
}

/** PRAGMA integrity_check's first few findings; none for a sound file. */
function integrityProblems(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check(5)', { simple: false }) as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).filter((finding) => finding !== 'ok');
  } finally {
    db.close();
  }
}
