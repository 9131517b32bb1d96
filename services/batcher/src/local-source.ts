import { LocalTapLog } from '@fareledger/tap-log';
import type { SourceHandlers, TapSource } from './source.js';

export interface LocalSourceOptions {
  readonly path: string;
  readonly partitions: number;
  /** How long an idle round waits before polling again. */
  readonly pollMs: number;
  /** Records read from one partition per round, so one busy partition cannot starve the others. */
  readonly readRecordsMax: number;
}

/**
 * The embedded tap log as a source: this batcher owns every partition, and reads each in
 * turn from its next offset. WAL lets it read while ingest writes the same file.
 */
export class LocalTapSource implements TapSource {
  readonly #options: LocalSourceOptions;
  #log: LocalTapLog | undefined;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: LocalSourceOptions) {
    this.#options = options;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const { path, partitions } = this.#options;
    this.#log = LocalTapLog.open(path, partitions);
    const all = Array.from({ length: partitions }, (_, partition) => partition);
    const next = new Map(await handlers.assigned(all));
    this.#running = this.#loop(handlers, next);
  }

  async #loop(handlers: SourceHandlers, next: Map<number, number>): Promise<void> {
    const log = this.#log!;
    const { pollMs, readRecordsMax } = this.#options;
    while (!this.#stopping) {
      // One round hands every partition's next records over at once: the chain workers
      // seal them in parallel.
      const rounds = [...next].map(async ([partition, offset]) => {
        const records = log.read(partition, offset, readRecordsMax);
        if (records.length === 0) return 0;
        next.set(partition, await handlers.records(partition, records));
        return records.length;
      });
      const read = (await Promise.all(rounds)).reduce((sum, count) => sum + count, 0);
      if (read === 0 && !this.#stopping) await this.#sleep(pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    await this.#log?.close();
  }
}
