import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * With FARELEDGER_CPU_PROFILE_DIR set (bench:seal --profile sets it), a batcher worker
 * thread profiles itself and writes <dir>/<name>-<threadId>.cpuprofile when it closes:
 * node's --cpu-prof does not reach worker threads.
 */
export async function startProfiler(name: string): Promise<{ stop(): Promise<void> } | undefined> {
  const dir = process.env.FARELEDGER_CPU_PROFILE_DIR;
  if (dir === undefined || dir === '') return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${name}-${threadId}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}
