import { AssertionError, aSafeUint, assert } from '@fareledger/domain';
import { LedgerReader } from '@fareledger/ledger';
import type { Logger } from '@fareledger/runtime';
import { Kafka, type LogEntry, logLevel, type Message, type Producer, type RetryOptions } from 'kafkajs';
import {
  type BlockFields,
  blockMessageBytesMax,
  blockMessageBytesMin,
  chunkMessage,
  chunkOverheadBytes,
  encodeBlockMessage,
  entryCostBytes,
} from '@fareledger/ledger/block-message';
import { ensureBlocksTopic, type PartitionTail, readPartitionTails, withDeadline } from './blocks-topic.js';

// Publishes sealed blocks to fare.blocks (docs/fare-blocks.md). It tails the LEDGER, not a
// queue: what it publishes next is decided from the ledger file and the topic, so a crash
// between seal and publish loses nothing, and a broker outage only makes it fall behind.
//
// Per owned chain: read the partition's last message (the last block wholly on the topic),
// then send every later block from the ledger, chunk by chunk, in order. One loop sends one
// chunk per chain per request (a record batch then holds one chunk, within the topic's
// max.message.bytes), waits for acks=all, and moves on; notify() wakes it, and it also
// polls the ledger every pollMs, so blocks sealed by another process are published too.
// Delivery is at least once: a send retried after a failure, or two batchers owning a
// chain during a rebalance, can repeat chunks; readers drop them by (chain, log index).

export interface BlockPublisherOptions {
  readonly brokers: readonly string[];
  /** The blocks topic, fare.blocks in production. Created if missing. */
  readonly topic: string;
  /** Chains = partitions of the tap topic; the blocks topic must have exactly as many. */
  readonly partitions: number;
  /** The ledger file; the publisher opens its own read-only LedgerReader on it. */
  readonly ledgerPath: string;
  readonly logger: Logger;
  readonly clientId: string;
  /** Largest chunk message (default and at most 512 KiB; at least 128 KiB). */
  readonly chunkBytesMax?: number;
  /** Bound on connecting, on one send, and on the topic check. */
  readonly sendTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
  /** Bound on reading the last messages of new chains' partitions (a consumer group join). */
  readonly tailReadTimeoutMs?: number;
  /** Retry backoff after a failure: doubles from min to max. */
  readonly backoffMsMin?: number;
  readonly backoffMsMax?: number;
  /** The ledger is re-read this often even without notify(). */
  readonly pollMs?: number;
  /** stop() flushes what it can and closes within this. */
  readonly stopTimeoutMs?: number;
  /** A chain whose topic disagrees with the ledger is looked at again after this. */
  readonly blockedRetryMs?: number;
}

export const blockPublisherDefaults = Object.freeze({
  chunkBytesMax: blockMessageBytesMax,
  sendTimeoutMs: 10_000,
  connectionTimeoutMs: 1_000,
  tailReadTimeoutMs: 30_000,
  backoffMsMin: 100,
  backoffMsMax: 5_000,
  pollMs: 1_000,
  stopTimeoutMs: 5_000,
  blockedRetryMs: 30_000,
});

export interface BlockPublisherChainStats {
  readonly chain: number;
  /** The ledger's latest block; null before the chain's first. */
  readonly sealedBlockHeight: number | null;
  /** The last block known to be whole on the topic; null for none, or not known yet. */
  readonly publishedBlockHeight: number | null;
  /** Blocks sealed and not known to be published (all sealed blocks until the partition's tail is read). */
  readonly lagBlocks: number;
  /** resuming: the partition's last message is not read yet; blocked: the topic disagrees with the ledger. */
  readonly state: 'resuming' | 'following' | 'blocked';
  readonly blockedReason: string | null;
}

export interface BlockPublisherStats {
  readonly chains: readonly BlockPublisherChainStats[];
  /** Kafka calls are failing now (retrying with backoff). */
  readonly outage: boolean;
  /** Failed attempts since start. */
  readonly failures: number;
  readonly messagesSent: number;
  readonly blocksPublished: number;
  readonly bytesSent: number;
}

// Backoffs of ~100, 200, 400 ms inside kafkajs, as the tap log's: a failure reaches the
// loop within about a second, and the loop's own backoff takes over from there.
const retry: RetryOptions = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000, factor: 0.2, multiplier: 2 };
/** Entries read from the ledger at once while filling chunks (≤ 4 MiB at 4 KiB each). */
const readAheadEntries = 1_024;
const partitionsMax = 1_000;

interface BlockCursor {
  readonly block: BlockFields;
  readonly sealedAtMs: number;
  readonly overheadBytes: number;
  /** Log index of the next entry to send. */
  nextIndex: number;
  /** Entries read ahead: log indexes [bufferFirst, bufferFirst + buffer.length). */
  buffer: readonly Uint8Array[];
  bufferFirst: number;
}

interface ChainState {
  readonly chain: number;
  /** The last block known to be whole on the topic; -1 for none; undefined until the tail is read. */
  published: number | undefined;
  cursor: BlockCursor | null;
  blocked: { readonly reason: string; readonly untilMs: number } | null;
  /** The problem last logged, so a chain that stays blocked is logged once. */
  loggedProblem: string | null;
}

interface PlannedChunk {
  readonly state: ChainState;
  readonly cursor: BlockCursor;
  readonly indexNext: number;
  readonly last: boolean;
  readonly message: Message;
  readonly bytes: number;
}

/** Thrown inside the loop once stop() has given up waiting: unwinds without touching the ledger. */
const stopped = Symbol('stopped');

export class BlockPublisher {
  readonly topic: string;
  readonly #options: Required<Omit<BlockPublisherOptions, 'brokers' | 'logger'>> & { readonly brokers: readonly string[] };
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  readonly #chains = new Map<number, ChainState>();
  readonly #sealedCache = new Map<number, number>();
  #reader: LedgerReader | undefined;
  #readerOpen = false;
  #producer: Producer | undefined;
  #topicChecked = false;
  #loop: Promise<void> | undefined;
  #stopping = false;
  /** Set once stop() stops waiting: the loop unwinds, a tail read in progress is abandoned. */
  readonly #abort = new AbortController();
  #stopped: Promise<void> | undefined;
  #dirty = false;
  #sleeper: { readonly wake: () => void; readonly onNotify: boolean } | undefined;
  #outage: { readonly sinceMs: number; failures: number } | null = null;
  #backoffAttempt = 0;
  #failures = 0;
  #messagesSent = 0;
  #blocksPublished = 0;
  #bytesSent = 0;

  constructor(options: BlockPublisherOptions) {
    this.#options = { ...blockPublisherDefaults, ...options };
    checkOptions(this.#options);
    this.topic = options.topic;
    this.#logger = options.logger;
    const logger = options.logger;
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: this.#options.connectionTimeoutMs,
      requestTimeout: this.#options.sendTimeoutMs,
      retry,
      // kafkajs logs every retry; the publisher logs an outage once, so its lines go to debug.
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => logger.debug({ kafkajs: entry.namespace }, entry.log.message),
    });
  }

  /** Opens the ledger (LedgerFormatError if it is not there) and starts publishing in the background. */
  start(): void {
    assert(this.#loop === undefined && !this.#stopping, 'block publisher: start once, before stop');
    this.#reader = LedgerReader.open({ path: this.#options.ledgerPath });
    this.#readerOpen = true;
    this.#loop = this.#run().catch((error: unknown) => {
      this.#logger.fatal({ err: error }, 'block publisher: bug, publishing stopped');
      throw error;
    });
    this.#logger.info({ topic: this.topic, chains: [...this.#chains.keys()] }, 'block publisher started');
  }

  /** The chains this batcher owns now; only these are published. New ones resume from their partition's last message. */
  setChains(chains: readonly number[]): void {
    for (const chain of chains) {
      aSafeUint(chain, 'chain');
      assert(chain < this.#options.partitions, `chain ${chain} of ${this.#options.partitions} partitions`);
    }
    const owned = new Set(chains);
    for (const chain of this.#chains.keys()) if (!owned.has(chain)) this.#chains.delete(chain);
    for (const chain of owned) {
      if (!this.#chains.has(chain)) this.#chains.set(chain, { chain, published: undefined, cursor: null, blocked: null, loggedProblem: null });
    }
    this.#wake(true);
  }

  /** A block of `chain` was sealed: publish soon. Never blocks, never throws for Kafka's state. */
  notify(chain: number): void {
    aSafeUint(chain, 'chain');
    if (this.#chains.has(chain)) this.#wake(true);
  }

  /** Blocks of `chain` sealed and not known to be published; 0 for a chain not owned. */
  lag(chain: number): number {
    const state = this.#chains.get(chain);
    return state === undefined ? 0 : Math.max(0, this.#sealedHeight(chain) - (state.published ?? -1));
  }

  stats(): BlockPublisherStats {
    const chains = [...this.#chains.values()].sort((a, b) => a.chain - b.chain).map((s): BlockPublisherChainStats => {
      const sealed = this.#sealedHeight(s.chain);
      return {
        chain: s.chain,
        sealedBlockHeight: sealed < 0 ? null : sealed,
        publishedBlockHeight: s.published === undefined || s.published < 0 ? null : s.published,
        lagBlocks: Math.max(0, sealed - (s.published ?? -1)),
        state: s.blocked !== null ? 'blocked' : s.published === undefined ? 'resuming' : 'following',
        blockedReason: s.blocked?.reason ?? null,
      };
    });
    return {
      chains, outage: this.#outage !== null, failures: this.#failures,
      messagesSent: this.#messagesSent, blocksPublished: this.#blocksPublished, bytesSent: this.#bytesSent,
    };
  }

  /**
   * Publishes what is sealed for the owned chains, for up to stopTimeoutMs less a reserve
   * for closing, then disconnects and closes the ledger reader. Resolves within
   * stopTimeoutMs whether Kafka answers or not; what is left is published by the next
   * publisher of the chain (it resumes from the topic).
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const { stopTimeoutMs } = this.#options;
    const deadlineMs = Date.now() + stopTimeoutMs;
    const closeReserveMs = Math.min(1_000, Math.floor(stopTimeoutMs / 4));
    this.#stopping = true;
    this.#wake(false);
    if (this.#loop !== undefined) {
      await withDeadline(this.#loop, stopTimeoutMs - closeReserveMs, 'flush').catch((error: unknown) => {
        if (error instanceof AssertionError) throw error;
      });
    }
    this.#abort.abort();
    this.#wake(false);
    const producer = this.#producer;
    this.#producer = undefined;
    if (producer !== undefined) {
      await withDeadline(producer.disconnect(), Math.max(1, deadlineMs - Date.now()), 'disconnect').catch(() => {});
    }
    const unpublished = Object.fromEntries([...this.#chains.keys()].map((chain) => [chain, this.lag(chain)]));
    if (this.#readerOpen) this.#reader?.close();
    this.#readerOpen = false;
    if (Object.values(unpublished).every((lag) => lag === 0)) this.#logger.info({ topic: this.topic }, 'block publisher stopped, every sealed block published');
    else this.#logger.warn({ topic: this.topic, unpublished }, 'block publisher stopped with blocks unpublished; the next publisher of each chain sends them');
  }

  // ---------------------------------------------------------------------------------------
  // The loop

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      let busy: boolean;
      try {
        busy = await this.#step();
      } catch (error) {
        if (error === stopped || this.#abort.signal.aborted) return;
        if (error instanceof AssertionError) throw error;
        this.#failed(error);
        await this.#sleep(this.#backoffMs(), false);
        continue;
      }
      if (busy) continue;
      if (this.#stopping) return;
      await this.#sleep(this.#options.pollMs, true);
    }
  }

  /** One round: read the tails of new chains, then send one chunk of each chain behind. Resolves whether it did anything. */
  async #step(): Promise<boolean> {
    this.#dirty = false;
    const nowMs = Date.now();
    for (const state of this.#chains.values()) {
      if (state.blocked !== null && state.blocked.untilMs <= nowMs) Object.assign(state, { blocked: null, published: undefined, cursor: null });
    }
    const unread = [...this.#chains.values()].filter((s) => s.published === undefined && s.blocked === null);
    if (unread.length === 0 && ![...this.#chains.values()].some((s) => this.#behind(s))) return false;
    const producer = await this.#ready();
    if (unread.length > 0) await this.#readTails(unread);
    const round = [...this.#chains.values()].flatMap((s) => (this.#behind(s) ? [this.#planChunk(s)] : []));
    if (round.length === 0) {
      this.#recovered();
      return unread.length > 0;
    }
    const { topic } = this;
    const { sendTimeoutMs } = this.#options;
    await withDeadline(producer.send({ topic, acks: -1, timeout: sendTimeoutMs, messages: round.map((chunk) => chunk.message) }),
      sendTimeoutMs, `Kafka did not acknowledge within ${sendTimeoutMs} ms`, this.#abort.signal);
    this.#checkRunning();
    this.#recovered();
    this.#apply(round);
    return true;
  }

  #behind(state: ChainState): boolean {
    return state.published !== undefined && state.blocked === null && this.#sealedHeight(state.chain) > state.published;
  }

  /** A connected idempotent producer, and the topic created or checked (once). */
  async #ready(): Promise<Producer> {
    if (this.#producer !== undefined) return this.#producer;
    const { sendTimeoutMs, brokers, partitions } = this.#options;
    const producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry });
    try {
      // connect() runs InitProducerId: a new producer id after every failure.
      await withDeadline(producer.connect(), sendTimeoutMs, `no connection to Kafka within ${sendTimeoutMs} ms`, this.#abort.signal);
      if (!this.#topicChecked) {
        const { created } = await withDeadline(ensureBlocksTopic(brokers, this.topic, partitions), sendTimeoutMs,
          `topic ${this.topic} not checked within ${sendTimeoutMs} ms`, this.#abort.signal);
        this.#topicChecked = true;
        if (created) this.#logger.info({ topic: this.topic, partitions }, 'created the blocks topic');
      }
      this.#checkRunning();
    } catch (error) {
      producer.disconnect().catch(() => {});
      throw error;
    }
    this.#producer = producer;
    return producer;
  }

  async #readTails(states: readonly ChainState[]): Promise<void> {
    const { tailReadTimeoutMs, clientId } = this.#options;
    const tails = await readPartitionTails(this.#kafka, this.topic, states.map((s) => s.chain),
      { timeoutMs: tailReadTimeoutMs, groupPrefix: `${clientId}-tail`, signal: this.#abort.signal });
    this.#checkRunning();
    for (const state of states) {
      const tail = tails.get(state.chain);
      if (this.#chains.get(state.chain) !== state || tail === undefined) continue; // given up meanwhile
      const resume = this.#resumePoint(state.chain, tail);
      if (typeof resume === 'string') {
        this.#block(state, resume);
        continue;
      }
      state.published = resume;
      state.cursor = null;
      if (state.loggedProblem !== null) this.#logger.info({ chain: state.chain, topic: this.topic }, 'fare.blocks: chain agrees with the ledger again');
      state.loggedProblem = null;
      this.#logger.info({ chain: state.chain, topic: this.topic, publishedBlockHeight: resume, sealedBlockHeight: this.#sealedHeight(state.chain) },
        'fare.blocks: chain resumed after its last published block');
    }
  }

  /** The last block wholly on the topic (-1: none), or why the topic and the ledger disagree. */
  #resumePoint(chain: number, tail: PartitionTail): number | string {
    if (tail.kind === 'empty') return -1;
    if (tail.kind === 'malformed') return `the partition's last message (offset ${tail.offset}) is not a block message: ${tail.error.message}`;
    const m = tail.message;
    if (m.chain !== chain) return `the partition's last message (offset ${tail.offset}) is chain ${m.chain}'s`;
    const [stored] = this.#ledger().checkpoints(chain, { from: m.blockHeight, limit: 1 });
    if (stored?.blockHeight !== m.blockHeight) {
      return `the topic has block ${m.blockHeight}, the ledger does not: another ledger published to this topic`;
    }
    if (stored.treeSize !== m.blockTreeSize || (m.checkpoint !== null && m.checkpoint !== stored.note)) {
      return `block ${m.blockHeight} on the topic is not the ledger's: another ledger published to this topic`;
    }
    // A last chunk: that block is whole. An earlier chunk: a publisher stopped inside the block; send it again whole.
    return m.checkpoint !== null ? m.blockHeight : m.blockHeight - 1;
  }

  #block(state: ChainState, reason: string): void {
    state.blocked = { reason, untilMs: Date.now() + this.#options.blockedRetryMs };
    state.cursor = null;
    if (state.loggedProblem === reason) return;
    state.loggedProblem = reason;
    this.#logger.error({ chain: state.chain, topic: this.topic, reason, retryMs: this.#options.blockedRetryMs },
      'fare.blocks: chain not published, the topic disagrees with the ledger');
  }

  /** The next chunk of the chain's next block, entries read from the ledger. */
  #planChunk(state: ChainState): PlannedChunk {
    assert(state.published !== undefined, 'a chain is planned once its tail is read');
    state.cursor ??= this.#openCursor(state.chain, state.published + 1);
    const cursor = state.cursor;
    const { block } = cursor;
    const entries: Uint8Array[] = [];
    let bytes = cursor.overheadBytes;
    let index = cursor.nextIndex;
    while (index < block.blockTreeSize) {
      const entry = this.#entryAt(cursor, index);
      bytes += entryCostBytes(entry);
      if (bytes > this.#options.chunkBytesMax) break;
      entries.push(entry);
      index += 1;
    }
    assert(entries.length > 0 || index === block.blockTreeSize, `an entry fits in a chunk of ${this.#options.chunkBytesMax} bytes`);
    const value = encodeBlockMessage(chunkMessage(block, cursor.nextIndex, entries));
    assert(value.length <= this.#options.chunkBytesMax, `chunk of ${value.length} bytes within ${this.#options.chunkBytesMax}`);
    const message: Message = {
      key: String(state.chain),
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      partition: state.chain,
      timestamp: String(cursor.sealedAtMs),
    };
    return { state, cursor, indexNext: index, last: index === block.blockTreeSize, message, bytes: value.length };
  }

  #openCursor(chain: number, blockHeight: number): BlockCursor {
    const rows = this.#ledger().checkpoints(chain, { from: Math.max(0, blockHeight - 1), limit: 2 });
    const current = rows.find((row) => row.blockHeight === blockHeight);
    const previous = blockHeight === 0 ? undefined : rows.find((row) => row.blockHeight === blockHeight - 1);
    assert(current !== undefined && (blockHeight === 0 || previous !== undefined), `ledger chain ${chain} holds blocks ${blockHeight - 1} and ${blockHeight}`);
    const block: BlockFields = {
      chain, blockHeight, blockIndexFirst: previous?.treeSize ?? 0, blockTreeSize: current.treeSize, checkpoint: current.note,
    };
    const overheadBytes = chunkOverheadBytes(block);
    return { block, sealedAtMs: current.sealedAtMs, overheadBytes, nextIndex: block.blockIndexFirst, buffer: [], bufferFirst: block.blockIndexFirst };
  }

  #entryAt(cursor: BlockCursor, index: number): Uint8Array {
    if (index < cursor.bufferFirst || index >= cursor.bufferFirst + cursor.buffer.length) {
      const { chain, blockTreeSize } = cursor.block;
      const to = Math.min(blockTreeSize, index + readAheadEntries);
      const rows = this.#ledger().entries(chain, index, to);
      // Entries are committed with their checkpoint in one transaction: a sealed block's are all there.
      assert(rows.length === to - index && rows[0]?.index === index, `ledger chain ${chain} holds entries [${index}, ${to})`);
      cursor.buffer = rows.map((row) => row.bytes);
      cursor.bufferFirst = index;
    }
    return cursor.buffer[index - cursor.bufferFirst]!;
  }

  /** After acks: move each chain's cursor on, unless the chain was given up or re-read meanwhile. */
  #apply(round: readonly PlannedChunk[]): void {
    for (const chunk of round) {
      this.#messagesSent += 1;
      this.#bytesSent += chunk.bytes;
      const { state, cursor } = chunk;
      if (this.#chains.get(state.chain) !== state || state.cursor !== cursor) continue;
      cursor.nextIndex = chunk.indexNext;
      if (!chunk.last) continue;
      state.published = cursor.block.blockHeight;
      state.cursor = null;
      this.#blocksPublished += 1;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Failures, waiting, ledger

  #failed(error: unknown): void {
    this.#failures += 1;
    this.#backoffAttempt += 1;
    const producer = this.#producer;
    this.#producer = undefined;
    // A producer whose sequence numbers are in doubt is not reused (the tap log's rule).
    producer?.disconnect().catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    if (this.#outage !== null) {
      this.#outage.failures += 1;
      this.#logger.debug({ topic: this.topic, reason }, 'fare.blocks: still failing');
      return;
    }
    this.#outage = { sinceMs: Date.now(), failures: 1 };
    this.#logger.warn({ topic: this.topic, reason },
      'fare.blocks: cannot publish; sealing goes on, blocks wait in the ledger, retrying with backoff');
  }

  #recovered(): void {
    this.#backoffAttempt = 0;
    if (this.#outage === null) return;
    const { sinceMs, failures } = this.#outage;
    this.#outage = null;
    this.#logger.info({ topic: this.topic, outageMs: Date.now() - sinceMs, failures }, 'fare.blocks: publishing again, catching up');
  }

  /** min · 2^(attempt-1), at most max, ±20 % so batchers restarted together do not retry together. */
  #backoffMs(): number {
    const { backoffMsMin, backoffMsMax } = this.#options;
    const ms = Math.min(backoffMsMax, backoffMsMin * 2 ** Math.min(30, this.#backoffAttempt - 1));
    return Math.round(ms * (0.8 + 0.4 * Math.random()));
  }

  #checkRunning(): void {
    if (this.#abort.signal.aborted) throw stopped;
  }

  /** Waits `ms`, or less: stop always ends the wait, notify/setChains only when `onNotify`. */
  #sleep(ms: number, onNotify: boolean): Promise<void> {
    if (this.#abort.signal.aborted || (onNotify && (this.#dirty || this.#stopping))) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        if (this.#sleeper?.wake === wake) this.#sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleeper = { wake, onNotify };
    });
  }

  #wake(byNotify: boolean): void {
    if (byNotify) this.#dirty = true;
    const sleeper = this.#sleeper;
    if (sleeper !== undefined && (sleeper.onNotify || !byNotify)) sleeper.wake();
  }

  #ledger(): LedgerReader {
    assert(this.#reader !== undefined && this.#readerOpen, 'block publisher: the ledger is open (started, not stopped)');
    return this.#reader;
  }

  /** The chain's latest sealed block height (-1: none), from the ledger while it is open, else as last read. */
  #sealedHeight(chain: number): number {
    if (!this.#readerOpen) return this.#sealedCache.get(chain) ?? -1;
    const height = this.#ledger().chain(chain)?.blockHeight ?? -1;
    this.#sealedCache.set(chain, height);
    return height;
  }
}

function checkOptions(o: Required<Omit<BlockPublisherOptions, 'logger'>>): void {
  assert(o.brokers.length > 0, 'block publisher: brokers is not empty');
  assert(o.topic !== '' && o.clientId !== '', 'block publisher: topic and clientId are not empty');
  const ranges: [string, number, number, number][] = [
    ['partitions', o.partitions, 1, partitionsMax],
    ['chunkBytesMax', o.chunkBytesMax, blockMessageBytesMin, blockMessageBytesMax],
    ['sendTimeoutMs', o.sendTimeoutMs, 100, 600_000],
    ['connectionTimeoutMs', o.connectionTimeoutMs, 10, 600_000],
    ['tailReadTimeoutMs', o.tailReadTimeoutMs, 100, 600_000],
    ['backoffMsMin', o.backoffMsMin, 1, 600_000],
    ['backoffMsMax', o.backoffMsMax, o.backoffMsMin, 600_000],
    ['pollMs', o.pollMs, 1, 600_000],
    ['stopTimeoutMs', o.stopTimeoutMs, 100, 600_000],
    ['blockedRetryMs', o.blockedRetryMs, 1, 86_400_000],
  ];
  for (const [name, value, min, max] of ranges) {
    assert(Number.isSafeInteger(value) && value >= min && value <= max, `block publisher: ${name} ${value} in ${min}..${max}`);
  }
}
