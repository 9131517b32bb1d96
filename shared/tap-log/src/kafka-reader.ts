import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { withDeadline } from './kafka-log.js';
import type { StoredTapRecord } from './record.js';

// Reading a tap topic back, for tests and tools: what the batcher will see, partition by
// partition in offset order. Not the batcher's consumer (that one commits its position
// with its blocks); this one uses a throwaway consumer group and deletes it afterwards.

export interface ReadKafkaTapsOptions {
  /**
   * Read each partition up to (not including) this offset. Default: the end offsets at the
   * time of the call, so everything appended before it.
   */
  readonly untilOffsets?: readonly number[];
  /** Give up (reject) when the offsets are not reached within this time. */
  readonly timeoutMs?: number;
}

const readTimeoutMsDefault = 60_000;

function client(brokers: readonly string[]): Kafka {
  return new Kafka({ clientId: 'fareledger-tap-log-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
}

/** The next offset of each partition of `topic` (Kafka's high watermark), by partition. */
export async function kafkaEndOffsets(brokers: readonly string[], topic: string): Promise<number[]> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends: number[] = [];
    for (const { partition, high } of offsets) ends[partition] = Number(high);
    return ends;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Every record of `topic` from the start up to `untilOffsets`, one array per partition. */
export async function readKafkaTaps(
  brokers: readonly string[],
  topic: string,
  options: ReadKafkaTapsOptions = {},
): Promise<StoredTapRecord[][]> {
  const until = options.untilOffsets ?? (await kafkaEndOffsets(brokers, topic));
  const byPartition: StoredTapRecord[][] = until.map(() => []);
  const remaining = new Set(until.flatMap((end, partition) => (end > 0 ? [partition] : [])));
  if (remaining.size === 0) return byPartition;

  const kafka = client(brokers);
  const groupId = `fareledger-tap-log-reader-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const end = until[batch.partition] ?? 0;
        const records = byPartition[batch.partition];
        if (records === undefined) return;
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset >= end) break;
          // A redelivery (same offset again) is the reader's, not the log's: skip it.
          if (offset <= (records.at(-1)?.offset ?? -1)) continue;
          records.push({
            partition: batch.partition,
            offset,
            key: message.key?.toString('utf8') ?? '',
            value: new Uint8Array(message.value ?? []),
            timestampMs: Number(message.timestamp),
          });
        }
        const last = records.at(-1);
        if (last !== undefined && last.offset + 1 >= end) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) resolveDone();
        }
      },
    });
    const timeoutMs = options.timeoutMs ?? readTimeoutMsDefault;
    await withDeadline(done, timeoutMs, `readKafkaTaps: ${topic} did not reach ${JSON.stringify(until)} ` +
      `within ${timeoutMs} ms; partitions still short: ${[...remaining].join(',')}`);
    return byPartition;
  } finally {
    await consumer.disconnect().catch(() => {});
    const admin = kafka.admin();
    await admin.connect().then(() => admin.deleteGroups([groupId])).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
