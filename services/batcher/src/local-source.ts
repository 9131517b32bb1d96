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
  readonly #wakes = new Set<() => void>();

  constructor(options: LocalSourceOptions) {
    this.#options = options;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const { path, partitions } = this.#options;
    this.#log = LocalTapLog.open(path, partitions);
    const all = Array.from({ length: partitions }, (_, partition) => partition);
    const starts = await handlers.assigned(all);
    this.#running = Promise.all(all.map((partition) => this.#follow(handlers, partition, starts.get(partition) ?? 0))).then(() => {});
  }

  /**
   * One partition: hands a batch over, and while its chain worker seals it, reads the
   * batch after it (the next offset is almost always the last one + 1); so reading on this
   * thread overlaps sealing on the workers, and no partition waits for another.
   */
  async #follow(handlers: SourceHandlers, partition: number, startOffset: number): Promise<void> {
    const log = this.#log!;
    const { pollMs, readRecordsMax } = this.#options;
    let offset = startOffset;
    let records = log.readValues(partition, offset, readRecordsMax);
    while (!this.#stopping) {
      if (records.length === 0) {
        await this.#sleep(pollMs);
        if (this.#stopping) break;
        records = log.readValues(partition, offset, readRecordsMax);
        continue;
      }
      const handed = handlers.records(partition, records);
      const expected = records[records.length - 1]!.offset + 1;
      const prefetched = log.readValues(partition, expected, readRecordsMax);
      offset = await handed;
      records = offset === expected ? prefetched : log.readValues(partition, offset, readRecordsMax);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wakes = this.#wakes;
      function done() {
        clearTimeout(timer);
        wakes.delete(done);
        resolve();
      }
      wakes.add(done);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const wake of [...this.#wakes]) wake();
    await this.#running;
    await this.#log?.close();
  }
}
