import { describe, expect, it } from 'vitest';
import { npmRun } from './npm-run.js';

// `npm run tamper` as a user runs it, small: a real ledger sealed by the city, 50 byte
// flips in its values, each on a fresh copy, every one detected by the audit.

describe('npm run tamper', () => {
  it('detects each of 50 byte flips in a ledger the city sealed', { timeout: 300_000 }, async () => {
    const { code, stdout, stderr } = await npmRun(['tamper', '--', '--flips', '50', '--taps', '3000', '--seed', '9']);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/^tamper: ledger\.db, [\d.]+ MiB, 4 chains, [\d,]+ entries/m);
    expect(stdout).toContain('| all | 50 | 50 | |');
    expect(stdout).toContain('tamper: 50 of 50 flips detected');
    for (const kind of ['entry', 'tree hash', 'checkpoint note', 'offset']) expect(stdout).toMatch(new RegExp(`^\\| ${kind} \\| (\\d+) \\| \\1 \\|`, 'm'));
  });

  it('refuses bad options with exit 2 and the reason', async () => {
    for (const [args, reason] of [[['--flips', '0'], '--flips must be a positive integer'], [['--ledger', 'x.db'], '--ledger and --key go together']] as const) {
      const { code, stderr } = await npmRun(['tamper', '--', ...args]);
      expect(code).toBe(2);
      expect(stderr).toContain(reason);
    }
  });
});
