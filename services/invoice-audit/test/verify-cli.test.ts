import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatVerifierKey, verifierKeyOf } from '@fareledger/checkpoint';
import { metroInvoice, otherSigner, testVerifier } from '@fareledger/invoice/test-log';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// fareledger-verify as a user runs it: a process, files, exit codes.

const cli = new URL('../src/verify-cli.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'verify-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verify = (...args: string[]) => runCli(cli, args);

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('fareledger-verify', () => {
  const { log, invoice } = metroInvoice();
  const key = formatVerifierKey(testVerifier);
  const good = file('invoice.json', JSON.stringify(invoice, null, 2));

  it('exits 0 for a valid invoice and says what it checked', async () => {
    const result = await verify(good, '--key', key);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`valid: invoice ${invoice.number}, total 5.00 yuan`);
    expect(result.stdout).toContain('checkpoint signed by fareledger.test/szm-key');
  });

  it('exits 1 with the reason for a tampered invoice', async () => {
    const tampered = structuredClone(invoice) as { amounts: { totalFen: number } };
    tampered.amounts.totalFen = 50;
    const result = await verify(file('tampered.json', JSON.stringify(tampered)), '--key', key, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, reason: 'mismatch' });
    const notJson = await verify(file('broken.json', '{"format":'), '--key', key);
    expect([notJson.code, notJson.stdout.startsWith('invalid (malformed)')]).toEqual([1, true]);
  });

  it('exits 1 for every field of a proof bundle changed', async () => {
    const paths: (string | number)[][] = [];
    for (const bundle of [['trip'], ['taps', 1]] as const) {
      for (const field of ['leaf', 'logIndex', 'treeSize', 'rootHash', 'checkpoint', 'tlogProof'] as const) paths.push(['proofs', ...bundle, field]);
      paths.push(['proofs', ...bundle, 'hashes', 0]);
    }
    const results = await Promise.all(paths.map(async (path, n) => {
      const tampered = structuredClone(invoice) as unknown as Record<string | number, unknown>;
      let at = tampered;
      for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
      const last = path.at(-1)!;
      const value = at[last];
      at[last] = typeof value === 'number' ? value + 1 : (value as string).replace(/[0-9a-f]/, (c) => (c === '0' ? '1' : '0'));
      const result = await verify(file(`tampered-${n}.json`, JSON.stringify(tampered)), '--key', key, '--json');
      return [path.join('.'), result.code, (JSON.parse(result.stdout) as { valid: boolean }).valid] as const;
    }));
    expect(results).toEqual(paths.map((path) => [path.join('.'), 1, false]));
  });

  it('exits 1 for a checkpoint the given key did not sign', async () => {
    const other = formatVerifierKey(verifierKeyOf(otherSigner));
    expect((await verify(good, '--key', other)).code).toBe(1);
  });

  it('reads keys from a file and checks consistency with a kept checkpoint', async () => {
    const keys = file('keys.txt', `# the ledger's keys\n${key}\n`);
    const kept = file('kept.checkpoint', log.checkpoints[0]!);
    const result = await verify(good, '--key', keys, '--since', kept);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('consistent with the checkpoint you kept (tree size 4)');
  });

  it.each([
    [[] as string[], 'name the invoice file'],
    [['x.json', 'y.json', '--key', 'k'], 'one invoice at a time'],
    [['INVOICE'], "give the ledger's verifier key"],
    [['/nonexistent/invoice.json', '--key', 'a+00000000+AAAA'], 'cannot read invoice'],
    [['INVOICE', '--key', 'not+a+key'], 'cannot read key file'],
    [['INVOICE', '--key', 'name+0000000g+AAAA'], 'cannot read key file'],
    [['INVOICE', '--bogus'], "Unknown option '--bogus'"],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const result = await verify(...args.map((arg) => (arg === 'INVOICE' ? good : arg)));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: fareledger-verify');
  });

  it('exits 0 with --help', async () => {
    const result = await verify('--help');
    expect([result.code, result.stdout.startsWith('usage:')]).toEqual([0, true]);
  });
});
