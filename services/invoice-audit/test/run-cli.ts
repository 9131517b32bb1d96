import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// A CLI of this package as a user runs it: `node --import tsx <script> ...`, its exit code
// and output (never a throw for a non-zero exit).

const run = promisify(execFile);

export async function runCli(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
