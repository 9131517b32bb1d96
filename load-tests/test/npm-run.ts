import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// A load or fault script as a user runs it: `npm run --silent <script> -- ...` from the
// repository root, with its exit code and output (never a throw for a non-zero exit).

export const repoRoot = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export async function npmRun(args: readonly string[], timeoutMs = 300_000, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
