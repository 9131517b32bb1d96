import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
 * (`--cpu-prof`, which NODE_OPTIONS does not allow). A ready line that is not JSON (a
 * banner) resolves with an empty URL: the caller reads its URLs from `onLine`.
 */
export interface StartChildOptions {
  readonly nodeArgs?: readonly string[];
  /** Arguments of the entry point itself. */
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
  /** Every line the child writes on stdout, from the start to its exit (its logs, for URLs it logs). */
  readonly onLine?: (line: string) => void;
}

export function startChild(entry: string, env: Record<string, string>, readyMsg: string, options: StartChildOptions = {}): Promise<Child> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', pathToFileURL(tsxLoader).href, path.join(repoRoot, entry), ...(options.args ?? [])], {
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
    let pending = '';
    let ready = false;
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (!ready) output += text;
      const lines = (pending + text).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        options.onLine?.(line);
        if (ready || !line.includes(readyMsg)) continue;
        const url = line.startsWith('{') ? (JSON.parse(line) as { url?: string }).url : '';
        if (url === undefined) continue;
        ready = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ url, process: child, stop: () => stopChild(child) });
      }
      if (ready && options.onLine === undefined) {
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
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

/** A bad command-line option of a load script: the message on stderr, exit 2. */
export function usageError(command: string, message: string): never {
  console.error(`${command}: ${message}`);
  process.exit(2);
}

/** An option that must be a positive integer, else usageError. */
export function positiveIntArg(command: string, text: string, name: string): number {
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : usageError(command, `${name} must be a positive integer`);
}

// sysconf(_SC_CLK_TCK): 100 on every Linux this runs on; `getconf CLK_TCK` to check.
export const clockTicksPerS = 100;

/** User + system CPU of a child process, all threads, from /proc (Linux; 10 ms ticks). */
export function cpuTimeUs(child: Child): number {
  return (cpuTicks(`/proc/${child.process.pid}/stat`) * 1_000_000) / clockTicksPerS;
}

/** utime + stime in clock ticks of a process (`/proc/<pid>/stat`, all threads) or of one thread (`/proc/<pid>/task/<tid>/stat`). */
export function cpuTicks(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // fields 14, 15 of proc(5)
}
