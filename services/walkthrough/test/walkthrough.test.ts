// npm run walkthrough, run as a new user runs it: a separate process, checked by its
// output and exit status.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function runStart(...args: string[]) {
  return spawnSync('npx', ['tsx', 'services/walkthrough/src/main.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
}

describe('npm run walkthrough', () => {
  it('seals two signed blocks and verifies the trip proof and consistency offline', () => {
    const run = runStart();
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ {2}ok {4}metro trip inclusion in block 1: leaf 2 of 8 is trip szm-l1-g042\/g042-000123, L1-S07 -> L1-S19, charged 5\.00 yuan$/m);
    expect(run.stdout).toMatch(/^ {2}ok {4}block 0 -> block 1 consistency: tree 3 is a prefix of tree 8 \(4 proof hashes\)$/m);
    expect(run.stdout).toMatch(/^ {2}ok {4}the same bundle with one leaf byte changed: rejected/m);
    expect(run.stdout).toMatch(/^ {2}ok {4}the same bundle checked against another key: rejected/m);
    expect(run.stdout).toMatch(/^ {2}fareledger\/fares szm-2026\.1$/m);
    expect(run.stdout).toContain('All checks hold.');
  });

  it('answers --help with exit 0 and refuses unknown arguments with exit 2', () => {
    const help = runStart('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm start/);
    const bad = runStart('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown arguments --bogus');
  });
});
