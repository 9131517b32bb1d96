import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `node --import tsx`, not the tsx CLI: the CLI runs the script in a second process, which
// would get neither the node flags nor the signals.
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

export interface Child {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a TypeScript entry point as its own process and resolves with the URL it logs
 * (a JSON line with `url`, as every service logs when listening). Its output is shown only
 * if it fails to start, so figures stay readable. `nodeArgs` go to node itself
 * (`--cpu-prof`, which NODE_OPTIONS does not allow).
 */
export function startChild(entry: string, env: Record<string, string>, readyMsg: string, options: { nodeArgs?: readonly string[]; timeoutMs?: number } = {}): Promise<Child> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', pathToFileURL(tsxLoader).href, path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${entry} did not log "${readyMsg}" within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${output.slice(-4000)}`));
    };
    child.on('exit', (code) => fail(new Error(`${entry} exited with ${code} before it was ready`)));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes(readyMsg)) continue;
        const url = (JSON.parse(line) as { url?: string }).url;
        if (url === undefined) continue;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ url, process: child, stop: () => stopChild(child) });
        return;
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
