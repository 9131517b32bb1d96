import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { assert } from '@fareledger/domain';
import { type BlockWrite, type CommitOutcome, LedgerError, type LedgerWriter } from '@fareledger/ledger';

// Where a chain processor's prepared blocks go to be stored. Inline: committed at once on
// the processor's own connection (tests, tools, one thread). Through the commit thread
// (commit-worker.ts): the worker hands the block over and goes on pairing and hashing the
// next one while the commit thread writes and fsyncs; a sealed block counts only once its
// outcome is back, and at most a few blocks are in flight per worker.

export interface BlockSink {
  /**
   * Hands a prepared block over. `settled` gets its outcome once it is stored or refused:
   * during this call (inline) or later, and always in the order blocks were handed over.
   * May throw what a `settled` callback throws.
   */
  submit(write: BlockWrite, settled: (outcome: CommitOutcome) => void): void;
  /** Returns once every block handed over is settled. */
  flush(): void;
}

export function inlineBlockSink(writer: LedgerWriter): BlockSink {
  return {
    submit(write, settled) {
      settled(writer.commit([write])[0]!);
    },
    flush() {},
  };
}

/** A chain worker's end of its channel to the commit thread. */
export interface CommitChannel {
  readonly port: MessagePort;
  /** Bumped and notified by the commit thread after each answer: what a worker waits on. */
  readonly answers: Int32Array;
}

/** How long a worker waits for the commit thread's answer before it gives up (a SQLite busy wait is 5 s). */
const answerWaitMsMax = 60_000;

/**
 * Blocks handed to the commit thread. Outcomes come back on the port as one message per
 * commit group: taken synchronously when the worker must wait (too many in flight, a
 * flush) and by the port's message event when the worker is idle.
 */
export class ThreadBlockSink implements BlockSink {
  readonly #channel: CommitChannel;
  readonly #inFlightMax: number;
  readonly #pending: ((outcome: CommitOutcome) => void)[] = [];

  constructor(channel: CommitChannel, inFlightMax: number) {
    assert(Number.isSafeInteger(inFlightMax) && inFlightMax >= 1, `inFlightMax ${inFlightMax}`);
    this.#channel = channel;
    this.#inFlightMax = inFlightMax;
    channel.port.on('message', (outcomes: CommitOutcome[]) => this.#settle(outcomes));
  }

  /** Blocks handed over and not settled yet. */
  get inFlight(): number {
    return this.#pending.length;
  }

  /** The write's entry bundles and tiles move to the commit thread (their buffers are detached here). */
  submit(write: BlockWrite, settled: (outcome: CommitOutcome) => void): void {
    this.#pending.push(settled);
    this.#channel.port.postMessage(write, ownedBuffers(write));
    while (this.#receive(false));
    while (this.#pending.length > this.#inFlightMax) this.#receive(true);
  }

  flush(): void {
    while (this.#pending.length > 0) this.#receive(true);
  }

  /** Settles the next answer on the port; with `wait`, waits for one. Returns whether there was one. */
  #receive(wait: boolean): boolean {
    const { port, answers } = this.#channel;
    const deadline = Date.now() + answerWaitMsMax;
    for (;;) {
      // Read before looking: an answer posted after the look bumps it, so the wait returns at once.
      const seen = Atomics.load(answers, 0);
      const answer = receiveMessageOnPort(port);
      if (answer !== undefined) {
        this.#settle(answer.message as CommitOutcome[]);
        return true;
      }
      if (!wait) return false;
      if (Date.now() > deadline) throw new LedgerError(`the ledger's commit thread did not answer in ${answerWaitMsMax / 1000} s`);
      Atomics.wait(answers, 0, seen, 1_000);
    }
  }

  #settle(outcomes: readonly CommitOutcome[]): void {
    for (const outcome of outcomes) {
      const settled = this.#pending.shift();
      assert(settled !== undefined, 'the commit thread answered a block that was not handed over');
      settled(outcome);
    }
  }
}

/**
 * The buffers of the write's bundles and tiles that each belong to one array alone: they
 * are moved, not copied (a block's 1.1 MB cost 0.4 ms to copy). The writer keeps none of
 * them: bundles are encoded per block, and TileWriter lets go of the tiles it hands out.
 */
function ownedBuffers(write: BlockWrite): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { bytes } of [...write.bundles, ...write.tiles]) {
    const { buffer } = bytes;
    if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}
