// The ingest entry point as an operator runs it: a real process, real files, real HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { metroTap, postTaps, registerDevice } from './ingest-client.js';

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const dir = mkdtempSync(path.join(tmpdir(), 'ingest-main-'));
const adminToken = 'main-test-admin-token-0123456789abcdef';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>): ChildProcess & { output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', tsx, mainPath, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => output, exited });
}

async function urlOf(child: ReturnType<typeof run>): Promise<string> {
  for (let waitedMs = 0; waitedMs < 30_000; waitedMs += 50) {
    const line = child.output().split('\n').find((text) => text.includes('"ingest listening"'));
    if (line !== undefined) return (JSON.parse(line) as { url: string }).url;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`ingest did not start:\n${child.output()}`);
}

describe('services/ingest/src/main.ts', () => {
  it('--help lists every variable and exits 0', async () => {
    const child = run(['--help'], {});
    expect(await child.exited).toBe(0);
    expect(child.output()).toContain('INGEST_ADMIN_TOKEN');
    expect(child.output()).toContain('INGEST_APPEND_TIMEOUT_MS');
  });

  it('a bad configuration names the variable and exits 2', async () => {
    const child = run([], { INGEST_ADMIN_TOKEN: adminToken, INGEST_PORT: 'eighty' });
    expect(await child.exited).toBe(2);
    expect(child.output()).toContain('INGEST_PORT="eighty": must be a decimal integer');
  });

  it('serves, and on SIGTERM finishes what it accepted, closes and exits 0; a restart keeps the devices', async () => {
    const env = { INGEST_ADMIN_TOKEN: adminToken, INGEST_PORT: '0' };
    const first = run([], env);
    const url = await urlOf(first);
    const device = await registerDevice(url, adminToken, 'g1');
    const posted = await postTaps(url, device, [metroTap(device, { tapId: 't1', account: 'wa_1', kind: 'in', stationId: 'L1-S01' })]);
    expect(posted.status).toBe(202);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('"ingest stopped"');

    const second = run([], env);
    const again = await postTaps(await urlOf(second), device, [metroTap(device, { tapId: 't2', account: 'wa_1', kind: 'out', stationId: 'L1-S05' })]);
    expect(again.status).toBe(202);
    second.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });
});
