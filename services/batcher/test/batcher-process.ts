import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A batcher as its own process, as operators run it; resolves once it is consuming. */
export interface BatcherProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** For afterAll: no batcher outlives its test, whatever failed. */
export function killAllBatchers(): void {
  for (const child of live) child.kill('SIGKILL');
}

export async function startBatcherProcess(env: Record<string, string>): Promise<BatcherProcess> {
  const child = spawn(process.execPath, ['--import', tsx, mainPath], {
    env: { PATH: process.env.PATH ?? '', BATCHER_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const process_: BatcherProcess = {
    child,
    output: () => output,
    exited,
    kill: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
  for (let waitedMs = 0; !output.includes('"batcher running"'); waitedMs += 25) {
    if (child.exitCode !== null || waitedMs > 60_000) {
      child.kill('SIGKILL'); // never leave an orphan consuming after the test has failed
      throw new Error(`batcher did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return process_;
}
