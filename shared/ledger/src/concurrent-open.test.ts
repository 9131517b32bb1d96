import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { logName, tempDir } from '../test/helpers.js';
import { LedgerWriter } from './writer.js';

// Batchers of one consumer group share the ledger file, each sealing its own chains. A
// batcher that starts (or takes a partition) while another seals must read every chain's
// state as of one commit: the chain row, its edge tiles and its last bundle. Read in
// separate statements, a commit between them gave a tree size whose edge tile had grown
// already, and the start failed with MissingHashError (found by npm run chaos).

const dir = tempDir('concurrent-open');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LedgerWriter beside another process sealing', () => {
  it('opens and reads each chain consistently while every chain is being sealed', { timeout: 60_000 }, async () => {
    const path = join(dir, 'ledger.db');
    const script = fileURLToPath(new URL('../test/crash-sealer.ts', import.meta.url));
    const sealer = spawn(process.execPath, ['--import', 'tsx', script, path], { cwd: fileURLToPath(new URL('../../../', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let seals = 0;
      sealer.stdout.on('data', (chunk: Buffer) => (seals += chunk.toString().split('\n').length - 1));
      while (seals < 50) await new Promise((resolve) => setTimeout(resolve, 50));
      let opens = 0;
      for (const deadline = Date.now() + 4_000; Date.now() < deadline; opens += 1) {
        const writer = LedgerWriter.open({ path, logName });
        try {
          for (let chain = 0; chain < 4; chain += 1) {
            const state = writer.chainState(chain);
            expect(state.treeSize).toBeGreaterThan(0);
          }
        } finally {
          writer.close();
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(opens).toBeGreaterThan(20);
      expect(sealer.exitCode).toBe(null);
    } finally {
      sealer.kill('SIGKILL');
    }
  });
});
