import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatVerifierKey, verifierKeyOf } from '@fareledger/checkpoint';
import { otherSigner } from '@fareledger/invoice/test-log';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { blocks, chain, TestLedger, tempDir, verifier } from './fixture.js';

// fareledger-audit-verify as an auditor runs it: a process, a ledger file, exit codes.

const cli = new URL('../src/audit-verify-cli.ts', import.meta.url).pathname;
const dir = tempDir();
const ledgerPath = join(dir, 'ledger.db');
const key = formatVerifierKey(verifier);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const ledger = new TestLedger(ledgerPath);
  for (const entries of blocks) ledger.seal(entries);
  ledger.close();
});

const auditVerify = (...args: string[]) => runCli(cli, args);

function copyWith(name: string, sql: string): string {
  const path = join(dir, name);
  copyFileSync(ledgerPath, path);
  const db = new Database(path);
  db.exec(sql);
  db.close();
  return path;
}

describe('fareledger-audit-verify', () => {
  it('exits 0 for an untouched ledger and says what it verified', async () => {
    const result = await auditVerify(ledgerPath, '--key', key);
    expect(result.stdout).toBe(`${ledgerPath}: verified (1 chain)\n  chain ${chain}: ok, 2 blocks, 8 entries verified\n  key history: ok\n`);
    expect(result.code).toBe(0);
  });

  it('exits 1 naming the block and the kind of failure of a tampered copy', async () => {
    const result = await auditVerify(copyWith('moved.db', `UPDATE checkpoints SET offset_next = offset_next + 1 WHERE block_height = 0`), '--key', key);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`chain ${chain}: FAILED (checkpoint-row, block 0) after 0 blocks, 0 entries verified`);
  });

  it('exits 1 for a file that is not a ledger at all, with --json', async () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(path, Buffer.alloc(65_536, 7));
    const result = await auditVerify(path, '--key', key, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, damaged: expect.stringContaining('not a database') });
  });

  it('exits 1 when the keys given are not the ones that signed', async () => {
    const result = await auditVerify(ledgerPath, '--key', formatVerifierKey(verifierKeyOf(otherSigner)));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED (checkpoint-signature, block 0)');
  });

  it('exits 2 with the usage for a missing file, a missing key or a bad key', async () => {
    for (const args of [[join(dir, 'none.db'), '--key', key], [ledgerPath], [ledgerPath, '--key', 'not+a+key']]) {
      const result = await auditVerify(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('usage: fareledger-audit-verify');
    }
  });
});
