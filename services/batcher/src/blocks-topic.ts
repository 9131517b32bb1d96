import { randomBytes } from 'node:crypto';
import { blocksTopicConfig, blocksTopicMessageBytesMax, ensureTopics } from '@fareledger/infra/kafka';
import kafkajs from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import {
  type AssembledBlock,
  BlockAssembler,
  BlockMessageError,
  blockMessageBytesMax,
  BlockSequenceError,
  type BlockMessage,
  type ChainPosition,
  decodeBlockMessage,
} from '@fareledger/ledger/block-message';

// The fare.blocks topic on Kafka (docs/fare-blocks.md): its set-up, reading the last
// message of some partitions (where a publisher resumes), and reading the whole topic back
// into blocks (tests, tools, and the future invoice/audit replica). Partition = chain.

export { type AssembledBlock, BlockAssembler, BlockSequenceError, type ChainPosition } from '@fareledger/ledger/block-message';

export { blocksTopicConfig, blocksTopicMessageBytesMax } from '@fareledger/infra/kafka';

const readTimeoutMsDefault = 60_000;
const cleanupTimeoutMs = 2_000;

/** The blocks topic cannot be used as it is (partitions, config): an operator must fix it. */
export class BlocksTopicError extends Error {
  override readonly name = 'BlocksTopicError';
}

/**
 * Creates the topic with `partitions` partitions (one per chain) and blocksTopicConfig if
 * it is missing; checks an existing one has exactly that many partitions, a delete policy
 * and room for a chunk. BlocksTopicError if not; a broker error as kafkajs throws it.
 */
export async function ensureBlocksTopic(brokers: readonly string[], topic: string, partitions: number): Promise<{ created: boolean }> {
  const result = await ensureTopics(brokers, [{ topic, numPartitions: partitions, configEntries: [...blocksTopicConfig] }]);
  const mismatch = result.mismatched[0];
  if (mismatch !== undefined) {
    throw new BlocksTopicError(`Kafka topic ${topic} has ${mismatch.partitions} partitions, it needs one per chain: ${partitions}; ` +
      'recreate it (partitions cannot be moved, blocks would land on other chains)');
  }
  const created = result.created.includes(topic);
  if (!created) await checkTopicConfig(brokers, topic);
  return { created };
}

async function checkTopicConfig(brokers: readonly string[], topic: string): Promise<void> {
  const admin = kafkaClient(brokers, 'fareledger-blocks-topic').admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'max.message.bytes'] }],
    });
    const entries = described.resources[0]?.configEntries ?? [];
    const value = (name: string) => entries.find((entry) => entry.configName === name)?.configValue;
    if (value('cleanup.policy')?.includes('compact') ?? false) {
      throw new BlocksTopicError(`Kafka topic ${topic} has cleanup.policy=${value('cleanup.policy')}; it must be delete (compaction keeps one block per chain)`);
    }
    const messageBytesMax = Number(value('max.message.bytes') ?? 0);
    if (messageBytesMax < blockMessageBytesMax + 4096) {
      throw new BlocksTopicError(`Kafka topic ${topic} has max.message.bytes=${messageBytesMax}; a chunk needs ${blockMessageBytesMax + 4096}`);
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The last message of a partition, as a publisher resuming sees it. */
export type PartitionTail =
  | { readonly kind: 'empty' }
  | { readonly kind: 'message'; readonly offset: number; readonly message: BlockMessage }
  | { readonly kind: 'malformed'; readonly offset: number; readonly error: BlockMessageError };

/**
 * The last message of each of `partitions`, through `kafka` (the caller's client, with its
 * timeouts). kafkajs 2 has no manual assignment, so a throwaway consumer group joins, seeks
 * each partition to its last offset, reads one message, and is deleted. Bounded by timeoutMs.
 */
export async function readPartitionTails(
  kafka: Kafka,
  topic: string,
  partitions: readonly number[],
  options: { readonly timeoutMs: number; readonly groupPrefix: string; readonly signal?: AbortSignal },
): Promise<Map<number, PartitionTail>> {
  const tails = new Map<number, PartitionTail>();
  const targets = new Map<number, number>();
  const ends = await withDeadline(partitionEnds(kafka, topic), options.timeoutMs, `no offsets of ${topic} within ${options.timeoutMs} ms`);
  for (const partition of partitions) {
    const end = ends.get(partition);
    if (end === undefined) throw new BlocksTopicError(`Kafka topic ${topic} has no partition ${partition}`);
    if (end.high > end.low) targets.set(partition, end.high - 1);
    else tails.set(partition, { kind: 'empty' });
  }
  if (targets.size === 0) return tails;

  const groupId = `${options.groupPrefix}-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const read = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const target = targets.get(batch.partition);
        if (target === undefined || tails.has(batch.partition)) return;
        const record = batch.messages.find((message) => Number(message.offset) >= target);
        if (record === undefined) return;
        tails.set(batch.partition, tailOf(Number(record.offset), record.value ?? Buffer.alloc(0)));
        if ([...targets.keys()].every((partition) => tails.has(partition))) resolveDone();
      },
    });
    for (const [partition, offset] of targets) consumer.seek({ topic, partition, offset: String(offset) });
    await done;
  };
  try {
    await withDeadline(read(), options.timeoutMs, `the last messages of ${topic} not read within ${options.timeoutMs} ms`, options.signal);
    return tails;
  } finally {
    await cleanUp(kafka, consumer, groupId);
  }
}

function tailOf(offset: number, value: Uint8Array): PartitionTail {
  try {
    return { kind: 'message', offset, message: decodeBlockMessage(value) };
  } catch (error) {
    if (!(error instanceof BlockMessageError)) throw error;
    return { kind: 'malformed', offset, error };
  }
}

export interface ReadBlocksOptions {
  /** Read each partition up to (not including) this offset. Default: the end offsets when called. */
  readonly untilOffsets?: readonly number[];
  /** Reject when the offsets are not reached within this time (default 60 s). */
  readonly timeoutMs?: number;
  /** Chains already complete up to these blocks: their messages count as duplicates. */
  readonly after?: ReadonlyMap<number, ChainPosition>;
}

export interface ReadBlocksResult {
  /** By chain (= partition): the complete blocks in height order, each once. */
  readonly blocks: AssembledBlock[][];
  /** Messages that brought nothing new (delivery is at least once). */
  readonly duplicates: number;
  /** Blocks begun and not finished by the offsets read up to (a publisher mid-block). */
  readonly incomplete: ReturnType<BlockAssembler['incomplete']>;
}

/**
 * Every block on `topic`, reassembled per chain with duplicates dropped. A malformed
 * message is a BlockMessageError (with its partition and offset), a gap, conflict or
 * misplaced message a BlockSequenceError: the read stops at the first.
 */
export async function readBlocks(brokers: readonly string[], topic: string, options: ReadBlocksOptions = {}): Promise<ReadBlocksResult> {
  const kafka = kafkaClient(brokers, 'fareledger-blocks-reader');
  const timeoutMs = options.timeoutMs ?? readTimeoutMsDefault;
  const until = options.untilOffsets ?? [...(await partitionEnds(kafka, topic))].sort(([a], [b]) => a - b).map(([, end]) => end.high);
  const assembler = new BlockAssembler(options.after === undefined ? {} : { after: options.after });
  const blocks: AssembledBlock[][] = until.map(() => []);
  const lastOffsets = until.map(() => -1);
  const remaining = new Set(until.flatMap((end, partition) => (end > 0 ? [partition] : [])));
  const result = () => ({ blocks, duplicates: assembler.duplicates, incomplete: assembler.incomplete() });
  if (remaining.size === 0) return result();

  const groupId = `fareledger-blocks-reader-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * blocksTopicMessageBytesMax });
  let settle!: (error?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (error) => (error === undefined ? resolve() : reject(error))));
  done.catch(() => {}); // a failure may come before read() awaits it; it is still thrown there
  let failed = false;
  const accept = (partition: number, offset: number, value: Uint8Array) => {
    let message: BlockMessage;
    try {
      message = decodeBlockMessage(value);
    } catch (error) {
      throw error instanceof BlockMessageError ? error.withPosition({ partition, offset }) : error;
    }
    if (message.chain !== partition) {
      throw new BlockSequenceError('misplaced', message.chain, message.blockHeight, `found on partition ${partition}, offset ${offset}`);
    }
    const { block } = assembler.add(message);
    if (block !== null) blocks[partition]?.push(block);
  };
  const read = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = until[batch.partition] ?? 0;
        if (failed) return;
        try {
          for (const record of batch.messages) {
            const offset = Number(record.offset);
            if (offset >= end) break;
            // A redelivery to this reader (same offset again) is not a duplicate on the topic.
            if (offset <= (lastOffsets[batch.partition] ?? -1)) continue;
            lastOffsets[batch.partition] = offset;
            accept(batch.partition, offset, record.value ?? Buffer.alloc(0));
          }
        } catch (error) {
          failed = true;
          settle(error);
          return;
        }
        if ((lastOffsets[batch.partition] ?? -1) + 1 >= end) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) settle();
        }
      },
    });
    await done;
  };
  try {
    await withDeadline(read(), timeoutMs, `readBlocks: ${topic} did not reach ${JSON.stringify(until)} within ${timeoutMs} ms; ` +
      `partitions still short: ${[...remaining].join(',')}`);
    return result();
  } finally {
    await cleanUp(kafka, consumer, groupId);
  }
}

interface PartitionEnd {
  readonly low: number;
  readonly high: number;
}

async function partitionEnds(kafka: Kafka, topic: string): Promise<Map<number, PartitionEnd>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map(({ partition, low, high }) => [partition, { low: Number(low), high: Number(high) }]));
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Disconnects a throwaway consumer and deletes its group, each within cleanupTimeoutMs; never throws. */
async function cleanUp(kafka: Kafka, consumer: ReturnType<Kafka['consumer']>, groupId: string): Promise<void> {
  await withDeadline(consumer.disconnect(), cleanupTimeoutMs, 'disconnect').catch(() => {});
  const admin = kafka.admin();
  await withDeadline(admin.connect().then(() => admin.deleteGroups([groupId])), cleanupTimeoutMs, 'deleteGroups').catch(() => {});
  await withDeadline(admin.disconnect(), cleanupTimeoutMs, 'disconnect').catch(() => {});
}

function kafkaClient(brokers: readonly string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING });
}

/** `promise`, or a rejection with `message` once `timeoutMs` has passed (or at once when `signal` aborts). */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, message: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
    onAbort = () => reject(new Error(`${message}: aborted`));
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  });
}
