import { type Consumer, type EachBatchPayload, Kafka, logLevel } from 'kafkajs';
import type { SourceHandlers, TapSource } from './source.js';

/** kafkajs hands at most this many partitions' batches at once; more than the workers is harmless. */
const partitionsConcurrentlyMax = 64;

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly group: string;
  readonly clientId: string;
  readonly sessionTimeoutMs: number;
}

/**
 * fare.taps through a consumer group: batchers in one group split the partitions. Kafka's
 * committed offsets are only a hint for lag monitoring; the position that counts is the one
 * stored with each sealed block. On every assignment the consumer seeks to it, and records
 * before it (a redelivery) are skipped by the batcher, so nothing is sealed twice.
 */
export class KafkaTapSource implements TapSource {
  readonly #options: KafkaSourceOptions;
  readonly #consumer: Consumer;
  #owned = new Set<number>();

  constructor(options: KafkaSourceOptions) {
    this.#options = options;
    const kafka = new Kafka({ clientId: options.clientId, brokers: [...options.brokers], logLevel: logLevel.NOTHING });
    this.#consumer = kafka.consumer({
      groupId: options.group,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 4 * 1024 * 1024,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 5)),
    });
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const consumer = this.#consumer;
    const { topic } = this.#options;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      void this.#onAssignment(handlers, payload.memberAssignment[topic] ?? []);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Batches of different partitions go to the chain workers at once.
      partitionsConsumedConcurrently: partitionsConcurrentlyMax,
      eachBatch: (payload) => this.#eachBatch(handlers, payload),
    });
  }

  async #onAssignment(handlers: SourceHandlers, partitions: readonly number[]): Promise<void> {
    const now = new Set(partitions);
    const lost = [...this.#owned].filter((partition) => !now.has(partition));
    if (lost.length > 0) await handlers.revoked(lost);
    this.#owned = now;
    const starts = await handlers.assigned(partitions);
    for (const [partition, offset] of starts) {
      this.#consumer.seek({ topic: this.#options.topic, partition, offset: String(offset) });
    }
  }

  async #eachBatch(handlers: SourceHandlers, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const records = batch.messages.map((message) => ({ offset: Number(message.offset), value: message.value ?? new Uint8Array(0) }));
    const next = await handlers.records(batch.partition, records);
    const last = records[records.length - 1]!.offset;
    if (next === last + 1) resolveOffset(String(last));
    else this.#consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(next) });
    await heartbeat();
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}
