import { describe, expect, it } from 'vitest';
import { npmRun } from './npm-run.js';

// `npm run chaos` as a user runs it, small: 3 kill-and-restart cycles under load on a
// broker of its own. Seed 10 kills ingest, then a batcher, then restarts the broker: the
// three a lost or doubled tap would come from (the full run kills every process in turn).

describe('npm run chaos', () => {
  it('3 cycles of SIGKILL and broker restart under load: every acknowledged tap sealed once, chains verify, checkpoints consistent', { timeout: 600_000 }, async () => {
    const { code, stdout, stderr } = await npmRun(['chaos', '--', '--cycles', '3', '--seed', '10'], 600_000);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain('chaos: kills and restarts: ingest 1, batcher-0 1, broker (SIGTERM) 1');
    expect(stdout).toMatch(/chaos: ledger: taps [\d,]+, duplicates 0, losses 0, never sent 0;.* replay mismatches 0/);
    expect(stdout).toMatch(/never acknowledged 0;/);
    expect(stdout).toContain('chaos: chains verified: all (fareledger-audit-verify ok)');
    expect(stdout).toMatch(/chaos: watcher: [\d,]+ polls .*, [1-9][\d,]* consistency proofs verified, 0 failures/);
    expect(stdout).toContain('chaos: PASSED');
  });

  it('refuses bad options with exit 2 and the reason', async () => {
    for (const [args, reason] of [[['--cycles', 'x'], '--cycles must be a positive integer'], [['--batchers', '9'], '--batchers must be 1..4']] as const) {
      const { code, stderr } = await npmRun(['chaos', '--', ...args]);
      expect(code).toBe(2);
      expect(stderr).toContain(reason);
    }
  });
});
