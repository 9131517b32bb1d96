import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatVerifierKey, verifierKeyOf } from '@fareledger/checkpoint';
import { afterAll, describe, expect, it } from 'vitest';
import { block, chainEntries, keyA, logName, tempDir } from '../test/helpers.js';
import { LedgerReader } from './reader.js';
import { verifyChain } from './verify-chain.js';
import { LedgerWriter } from './writer.js';

const dir = tempDir('crash');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const verifiers = [verifierKeyOf(keyA)];
const signedBy = [formatVerifierKey(verifierKeyOf(keyA))];

interface Acked {
  readonly chain: number;
  readonly height: number;
  readonly treeSize: number;
}

/** Runs crash-sealer.ts on `path` and SIGKILLs it once `ackedMin` seals were reported; returns the last ack per chain. */
function runAndKill(path: string, ackedMin: number): Promise<Map<number, Acked>> {
  const script = fileURLToPath(new URL('../test/crash-sealer.ts', import.meta.url));
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const last = new Map<number, Acked>();
  let acked = 0;
  let stderr = '';
  let partial = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^(\d+) (\d+) (\d+)$/.exec(line);
        if (match === null) continue;
        const [chain, height, treeSize] = match.slice(1).map(Number) as [number, number, number];
        last.set(chain, { chain, height, treeSize });
        acked += 1;
      }
      if (acked >= ackedMin && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`crash-sealer exited (${code ?? signal}) before it was killed:\n${stderr}`));
    });
  });
}

describe('LedgerWriter under SIGKILL', () => {
  it('leaves a ledger whose last checkpoint covers exactly the stored entries, and that a new writer continues', async () => {
    const path = join(dir, 'ledger.db');
    const acked = await runAndKill(path, 120);
    expect(acked.size).toBe(4);

    const reader = LedgerReader.open({ path, logName });
    for (const [chain, ack] of acked) {
      const latest = reader.checkpoint(chain)!;
      // Every acknowledged seal is there; at most one more committed before its line was printed.
      expect(latest.blockHeight - ack.height).toBeGreaterThanOrEqual(0);
      expect(latest.blockHeight - ack.height).toBeLessThanOrEqual(1);
      expect(reader.entryCount(chain)).toBe(latest.treeSize);
      expect(reader.chain(chain)).toMatchObject({ treeSize: latest.treeSize, blockHeight: latest.blockHeight, nextOffset: latest.offsetNext });
      expect(verifyChain(reader, chain, verifiers)).toEqual({
        chain, ok: true, blocksVerified: latest.blockHeight + 1, entriesVerified: latest.treeSize, failure: null, verifierKeys: signedBy,
      });
    }

    const writer = LedgerWriter.open({ path, logName, signer: keyA });
    for (const chain of [0, 1, 2, 3]) {
      const state = writer.chainState(chain);
      const sealed = writer.sealBlock(chain, block(chainEntries(chain, state.treeSize, 25), state.nextOffset, state.blockHeight! + 1));
      expect(sealed).toMatchObject({ blockHeight: state.blockHeight! + 1, indexFirst: state.treeSize, treeSize: state.treeSize + 25 });
    }
    writer.close();
    for (const chain of [0, 1, 2, 3]) {
      const latest = reader.checkpoint(chain)!;
      expect(verifyChain(reader, chain, verifiers)).toEqual({
        chain, ok: true, blocksVerified: latest.blockHeight + 1, entriesVerified: latest.treeSize, failure: null, verifierKeys: signedBy,
      });
    }
    reader.close();
  }, 60_000);
});
