import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// runService owns process signals and the exit code, so it is tested in real child processes.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const childScript = path.join(repoRoot, 'shared/runtime/testdata/lifecycle-child.ts');

interface Child {
  readonly process: ChildProcess;
  /** Resolves with the first JSON log line whose `msg` is `msg`. */
  line(msg: string): Promise<Record<string, unknown>>;
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; lines: Record<string, unknown>[]; stderr: string }>;
}

function spawnChild(mode: string, env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, mode], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: Array<{ msg: string; resolve: (line: Record<string, unknown>) => void }> = [];
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const complete = stdout.split('\n');
    stdout = complete.pop() ?? '';
    for (const text of complete) {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.msg === line['msg'])) waiter.resolve(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; lines: Record<string, unknown>[]; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, lines, stderr }));
  });
  return {
    process: child,
    exited,
    line: (msg) => {
      const seen = lines.find((line) => line['msg'] === msg);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ msg, resolve }));
    },
  };
}

function messages(lines: readonly Record<string, unknown>[]): unknown[] {
  return lines.map((line) => [line['level'], line['msg']]);
}

describe.concurrent('runService', { timeout: 30_000 }, () => {
  it('stops cleanly on SIGTERM: exit 0, the signal aborted', async () => {
    const child = spawnChild('clean');
    await child.line('started');
    child.process.kill('SIGTERM');
    const { code, lines, stderr } = await child.exited;
    expect([code, stderr]).toEqual([0, '']);
    expect(messages(lines)).toEqual([
      ['info', 'starting'],
      ['info', 'started'],
      ['info', 'stopping'],
      ['info', 'closing'],
      ['info', 'stopped'],
    ]);
    expect(lines[2]).toMatchObject({ name: 'lifecycle-child', service: 'lifecycle-child', signal: 'SIGTERM' });
    expect(lines[3]).toMatchObject({ aborted: true });
  });

  it('stops on SIGINT as well', async () => {
    const child = spawnChild('clean');
    await child.line('started');
    child.process.kill('SIGINT');
    const { code, lines } = await child.exited;
    expect(code).toBe(0);
    expect(lines[2]).toMatchObject({ msg: 'stopping', signal: 'SIGINT' });
  });

  it('stops as soon as start returns when the signal came during start', async () => {
    const child = spawnChild('signal-during-start');
    await child.line('starting');
    child.process.kill('SIGTERM');
    const { code, lines } = await child.exited;
    expect(code).toBe(0);
    expect(messages(lines)).toEqual([
      ['info', 'starting'],
      ['info', 'stopping'],
      ['info', 'started'],
      ['info', 'stopped'],
    ]);
  });

  it('exits 1 when stop fails', async () => {
    const child = spawnChild('stop-fails');
    await child.line('started');
    child.process.kill('SIGTERM');
    const { code, lines } = await child.exited;
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'stop failed', err: { message: 'could not commit offsets' } });
  });

  it('forces exit 1 when stop hangs past shutdownMsMax', async () => {
    const child = spawnChild('stop-hangs');
    await child.line('started');
    child.process.kill('SIGTERM');
    const { code, lines } = await child.exited;
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatchObject({ level: 'fatal', msg: 'stop did not finish within shutdownMsMax; forcing exit', shutdownMsMax: 300 });
  });

  it('exits 1, not 0, when stop hangs on something that does not hold the loop', async () => {
    const child = spawnChild('stop-hangs-idle');
    await child.line('started');
    child.process.kill('SIGTERM');
    const { code, lines } = await child.exited;
    expect(code).toBe(1);
    expect(messages(lines).at(-1)).toEqual(['info', 'stopping']);
  });

  it('forces exit 1 when something still holds the loop after a clean stop', async () => {
    const child = spawnChild('leak');
    await child.line('started');
    child.process.kill('SIGTERM');
    const { code, lines } = await child.exited;
    expect(code).toBe(1);
    expect(messages(lines).slice(-2)).toEqual([
      ['info', 'stopped'],
      ['fatal', 'stopped, but something still holds the event loop; forcing exit'],
    ]);
  });

  it('forces exit 1 on a second signal', async () => {
    const child = spawnChild('second-signal');
    await child.line('started');
    child.process.kill('SIGTERM');
    await child.line('stopping');
    child.process.kill('SIGINT');
    const { code, lines } = await child.exited;
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatchObject({ level: 'fatal', msg: 'second signal; forcing exit', signal: 'SIGINT' });
  });

  it('takes the same signal twice at once (npm and tsx relaying one kill) as one', async () => {
    const child = spawnChild('relayed-signal');
    await child.line('started');
    child.process.kill('SIGTERM');
    child.process.kill('SIGTERM');
    const { code, lines } = await child.exited;
    expect(code).toBe(0);
    expect(messages(lines).slice(-2)).toEqual([['info', 'stopping'], ['info', 'stopped']]);
  });

  it('logs a failed start and exits 1', async () => {
    const { code, lines, stderr } = await spawnChild('start-fails').exited;
    expect([code, stderr]).toEqual([1, '']);
    expect(messages(lines)).toEqual([
      ['info', 'starting'],
      ['fatal', 'failed to start'],
    ]);
    expect(lines[1]).toMatchObject({ err: { type: 'Error', message: 'no broker reachable at 127.0.0.1:1' } });
  });

  it('prints just the message of a ConfigError and exits 2', async () => {
    const { code, lines, stderr } = await spawnChild('config-error').exited;
    expect(code).toBe(2);
    expect(stderr).toBe('lifecycle-child: Invalid configuration (1 variable):\n  CHILD_PORT: required, not set\n');
    expect(messages(lines)).toEqual([['info', 'starting']]);
  });

  it('treats a logger factory that throws ConfigError the same way', async () => {
    const { code, lines, stderr } = await spawnChild('bad-log-level', { LOG_LEVEL: 'verbose' }).exited;
    expect(code).toBe(2);
    expect(stderr).toBe(
      'lifecycle-child: Invalid configuration (1 variable):\n  LOG_LEVEL="verbose": must be one of: fatal, error, warn, info, debug, trace, silent\n',
    );
    expect(lines).toEqual([]);
  });
});
