// Real-broker check of the guarantees the ingest → batcher path relies on: an idempotent
// producer with acks=all writes each message exactly once, keyed messages stay on one
// partition, and a consumer group reads each partition in order.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigResourceTypes, Kafka, Partitioners, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';

const keysCount = 200;
const seqsPerKey = 50;
const messagesCount = keysCount * seqsPerKey; // 10,000
const messagesPerBatch = 1_000;
const partitionsCount = 4;
const consumeTimeoutMs = 60_000;

interface Received {
  /** The Kafka message key; the value carries the key too, to check they agree. */
  readonly messageKey: string | undefined;
  readonly key: string;
  readonly seq: number;
  readonly partition: number;
  readonly offset: bigint;
}

const brokers = inject('kafkaBrokers').split(',');
const runId = `${Date.now()}-${randomBytes(4).toString('hex')}`;
const topic = `infra-test.broker.${runId}`;
const groupId = `infra-test-broker-${runId}`;

const kafka = new Kafka({ clientId: 'infra-test', brokers, logLevel: logLevel.ERROR });
let admin: Admin;
let producer: Producer;
let consumer: Consumer | undefined;

const keyOf = (k: number) => `account-${String(k).padStart(3, '0')}`;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitionsCount, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  expect(created).toBe(true);
  producer = kafka.producer({
    idempotent: true,
    // One request in flight keeps retries from reordering a partition's batches.
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
});

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  if (admin !== undefined) {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
});

async function produceAll(): Promise<void> {
  // Interleave keys (seq-major) so every batch carries many keys and many partitions.
  const messages: { key: string; value: string }[] = [];
  for (let seq = 0; seq < seqsPerKey; seq++) {
    for (let k = 0; k < keysCount; k++) {
      messages.push({ key: keyOf(k), value: JSON.stringify({ key: keyOf(k), seq }) });
    }
  }
  for (let start = 0; start < messages.length; start += messagesPerBatch) {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: messages.slice(start, start + messagesPerBatch) }],
    });
  }
}

async function consumeAll(): Promise<Received[]> {
  const received: Received[] = [];
  consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const value = JSON.parse(message.value?.toString() ?? 'null') as { key: string; seq: number };
      // No assertions in here: a throw would make kafkajs redeliver, not fail the test.
      received.push({
        messageKey: message.key?.toString(),
        key: value.key,
        seq: value.seq,
        partition,
        offset: BigInt(message.offset),
      });
      if (received.length >= messagesCount) resolveDone();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, consumeTimeoutMs)));
  await Promise.race([done, timeout]);
  clearTimeout(timer);
  await consumer.stop();
  return received;
}

describe('real Kafka broker', () => {
  test('fare.taps and fare.blocks exist and are kept forever (retention.ms = -1)', async () => {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: ['fare.taps', 'fare.blocks'].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['retention.ms'],
      })),
    });
    const retention = described.resources.map((r) => [r.resourceName, r.configEntries[0]?.configValue]);
    expect(retention.sort()).toEqual([['fare.blocks', '-1'], ['fare.taps', '-1']]);
  });

  test('idempotent producer + consumer group: exactly 10,000 keyed messages, in order per key', async () => {
    await produceAll();

    // The log itself holds exactly messagesCount records: no duplicate appended anywhere.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => o.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0)).toBe(messagesCount);

    const received = await consumeAll();
    expect(received.length).toBe(messagesCount);

    const seen = new Set(received.map((r) => `${r.key}/${r.seq}`));
    expect(seen.size).toBe(messagesCount); // no duplicates ...
    for (let k = 0; k < keysCount; k++) {
      for (let seq = 0; seq < seqsPerKey; seq++) expect(seen.has(`${keyOf(k)}/${seq}`)).toBe(true);
    } // ... and none missing

    const lastSeqByKey = new Map<string, number>();
    const partitionByKey = new Map<string, number>();
    const lastOffsetByPartition = new Map<number, bigint>();
    for (const r of received) {
      expect(r.messageKey).toBe(r.key);
      expect(r.seq).toBe((lastSeqByKey.get(r.key) ?? -1) + 1); // strictly increasing, no gaps
      lastSeqByKey.set(r.key, r.seq);
      expect(r.partition).toBe(partitionByKey.get(r.key) ?? r.partition);
      partitionByKey.set(r.key, r.partition);
      expect(r.offset > (lastOffsetByPartition.get(r.partition) ?? -1n)).toBe(true);
      lastOffsetByPartition.set(r.partition, r.offset);
    }
    expect(lastSeqByKey.size).toBe(keysCount);
    // 200 fixed keys hash onto all 4 partitions (murmur2, deterministic for these names).
    expect([...new Set(partitionByKey.values())].sort()).toEqual([0, 1, 2, 3]);
  });
});
