import { assert } from '@fareledger/domain';
import {
  type Admin,
  Kafka,
  type LogEntry,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
  type RetryOptions,
} from 'kafkajs';
import { LogUnavailableError, TapLogConfigError } from './errors.js';
import { partitionOf } from './murmur2.js';
import type { ProbeResult, TapRecord } from './record.js';

// The production tap log: the fare.taps topic on Kafka, written by one idempotent producer
// with acks=all. A group from the group commit is ONE send, so one produce request per
// partition leader; one send at a time (the group commit's rule) plus maxInFlightRequests 1
// keeps each partition in submission order.
//
// Failure handling. kafkajs's defaults retry an idempotent producer forever, and its
// retriers nest (send → reconnect → connect broker), so an unreachable broker would hang
// a send for minutes. Here every retrier gets a few short retries, every request the send
// budget, and the send itself a hard deadline of sendTimeoutMs: a failure reaches the
// group commit (and the clients, as 503) within about sendTimeoutMs. After any failed send
// the producer is dropped and the next group gets a new one with a new producer id: a
// producer whose sequence numbers are in doubt must not be reused (the broker would reject
// its next batch as out of order, or accept a gap).

export interface KafkaTapLogConfig {
  readonly brokers: readonly string[];
  /** The topic; production uses fare.taps. It must exist with exactly `partitions`. */
  readonly topic: string;
  readonly clientId: string;
  /**
   * The partition count the system was set up with: the number of ledger chains. Each
   * record's partition is computed from it (murmur2 of the key), never from the broker's
   * metadata, so adding partitions to the topic cannot silently move accounts to other
   * chains; start-up checks the topic has exactly this many.
   */
  readonly partitions: number;
  /** Hard bound on one send, retries and reconnects included. */
  readonly sendTimeoutMs?: number;
  /** TCP connect timeout for one broker connection. */
  readonly connectionTimeoutMs?: number;
  /** Bound on one probe (readiness) call. */
  readonly probeTimeoutMs?: number;
  /** A probe result is reused this long, so frequent /readyz calls do not load the broker. */
  readonly probeCacheMs?: number;
  /**
   * true (default): open() connects and checks the topic, and fails if it cannot. false:
   * open() returns at once and the first append connects (and checks the topic), so a
   * service can start while Kafka is down and answer 503 until it is back.
   */
  readonly verifyOnOpen?: boolean;
  /** kafkajs's own warnings and errors; without it they are dropped. */
  readonly onLog?: (entry: KafkaLogLine) => void;
}

export interface KafkaLogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly namespace: string;
  readonly message: string;
}

export const kafkaTapLogDefaults = Object.freeze({
  sendTimeoutMs: 5_000,
  connectionTimeoutMs: 1_000,
  probeTimeoutMs: 1_000,
  probeCacheMs: 1_000,
});

// Backoffs of ~100, 200, 400 ms: under a second in all, so the nested retriers fit easily
// in the send budget and a broker restart (connection refused for a moment) is ridden out.
const retry: RetryOptions = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000, factor: 0.2, multiplier: 2 };
const partitionsMax = 1_000;

export class KafkaTapLog {
  readonly kind = 'kafka' as const;
  readonly topic: string;
  readonly partitions: number;
  readonly sendTimeoutMs: number;
  readonly probeTimeoutMs: number;
  readonly probeCacheMs: number;
  readonly #kafka: Kafka;
  #producer: Producer | undefined;
  #admin: Promise<Admin> | undefined;
  #topicVerified = false;
  #sending = false;
  #closed = false;
  #probeCached: { result: ProbeResult; atMs: number } | undefined;
  #probeInFlight: Promise<ProbeResult> | undefined;

  private constructor(config: KafkaTapLogConfig) {
    this.topic = config.topic;
    this.partitions = config.partitions;
    this.sendTimeoutMs = config.sendTimeoutMs ?? kafkaTapLogDefaults.sendTimeoutMs;
    this.probeTimeoutMs = config.probeTimeoutMs ?? kafkaTapLogDefaults.probeTimeoutMs;
    this.probeCacheMs = config.probeCacheMs ?? kafkaTapLogDefaults.probeCacheMs;
    const onLog = config.onLog;
    this.#kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      connectionTimeout: config.connectionTimeoutMs ?? kafkaTapLogDefaults.connectionTimeoutMs,
      requestTimeout: this.sendTimeoutMs,
      retry,
      logLevel: onLog === undefined ? logLevel.NOTHING : logLevel.WARN,
      ...(onLog === undefined ? {} : { logCreator: () => (entry: LogEntry) => onLog(logLine(entry)) }),
    });
  }

  /** A Kafka tap log; unless verifyOnOpen is false, connected and with its topic checked. */
  static async open(config: KafkaTapLogConfig): Promise<KafkaTapLog> {
    checkConfig(config);
    const log = new KafkaTapLog(config);
    if (config.verifyOnOpen ?? true) {
      try {
        await log.#producerReady();
      } catch (error) {
        await log.close();
        if (error instanceof TapLogConfigError) throw error;
        throw new LogUnavailableError(`cannot reach Kafka at ${config.brokers.join(',')}: ${messageOf(error)}`,
          { cause: error });
      }
    }
    return log;
  }

  /**
   * Sends all records in one send (acks=all); resolves when every one is acknowledged. The
   * whole call, connecting included, is bounded by sendTimeoutMs; past it the send is
   * abandoned with its producer (see docs/tap-log.md on what that can mean).
   */
  async appendDurably(records: readonly TapRecord[]): Promise<void> {
    assert(!this.#closed, 'kafka tap log: append after close');
    assert(!this.#sending, 'kafka tap log: two sends at once (the group commit allows one)');
    this.#sending = true;
    try {
      await withDeadline(this.#send(records), this.sendTimeoutMs,
        `Kafka did not acknowledge the group within ${this.sendTimeoutMs} ms`);
    } catch (error) {
      this.#dropProducer();
      throw error;
    } finally {
      this.#sending = false;
    }
  }

  async #send(records: readonly TapRecord[]): Promise<void> {
    const producer = await this.#producerReady();
    const messages = records.map((record) => this.#message(record));
    await producer.send({ topic: this.topic, acks: -1, timeout: this.sendTimeoutMs, messages });
  }

  #message(record: TapRecord): Message {
    const value = record.value;
    return {
      key: record.key,
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      timestamp: String(record.timestampMs),
      partition: partitionOf(record.key, this.partitions),
    };
  }

  async #producerReady(): Promise<Producer> {
    if (this.#producer !== undefined) return this.#producer;
    const producer = this.#kafka.producer({
      idempotent: true,
      // One request in flight per broker: a retried batch cannot overtake the next one.
      maxInFlightRequests: 1,
      // Only used when a message has no partition; ours always have one (the same rule).
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry,
    });
    try {
      // connect() also runs InitProducerId: a fresh producer id and sequence numbers.
      await withDeadline(producer.connect(), this.sendTimeoutMs, `no connection within ${this.sendTimeoutMs} ms`);
      if (!this.#topicVerified) {
        await withDeadline(this.#checkTopic(), this.sendTimeoutMs, `no topic metadata within ${this.sendTimeoutMs} ms`);
        this.#topicVerified = true;
      }
      // Closed meanwhile (an abandoned append connecting late): do not leave it connected.
      if (this.#closed) throw new Error('the tap log closed while connecting');
    } catch (error) {
      producer.disconnect().catch(() => {});
      throw error;
    }
    this.#producer = producer;
    return producer;
  }

  /** Drops the producer after a failure; its disconnect runs in the background. */
  #dropProducer(): void {
    const producer = this.#producer;
    this.#producer = undefined;
    producer?.disconnect().catch(() => {});
  }

  /** One admin client for topic checks and probes, shared by concurrent callers. */
  #adminReady(): Promise<Admin> {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin({ retry: { ...retry, retries: 1 } });
      try {
        await admin.connect();
        return admin;
      } catch (error) {
        admin.disconnect().catch(() => {});
        throw error;
      }
    })();
    const admin = this.#admin;
    admin.catch(() => {
      if (this.#admin === admin) this.#admin = undefined;
    });
    return admin;
  }

  #dropAdmin(): void {
    const admin = this.#admin;
    this.#admin = undefined;
    admin?.then((connected) => connected.disconnect()).catch(() => {});
  }

  /** The topic must exist with exactly `partitions` partitions: a TapLogConfigError if not. */
  async #checkTopic(): Promise<void> {
    const admin = await this.#adminReady();
    let found: number;
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      found = metadata.topics.find((topic) => topic.name === this.topic)?.partitions.length ?? 0;
    } catch (error) {
      if ((error as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') found = 0;
      else {
        this.#dropAdmin();
        throw error;
      }
    }
    if (found === 0) {
      throw new TapLogConfigError(`Kafka topic ${this.topic} does not exist; create it with ` +
        `${this.partitions} partitions (npm run kafka:start creates fare.taps)`);
    }
    if (found !== this.partitions) {
      throw new TapLogConfigError(`Kafka topic ${this.topic} has ${found} partitions, the tap log is ` +
        `configured for ${this.partitions}; accounts would land on other chains`);
    }
  }

  /**
   * Whether the broker answers with the topic's metadata, within probeTimeoutMs. Results
   * are cached for probeCacheMs and concurrent callers share one call.
   */
  probe(): Promise<ProbeResult> {
    const cached = this.#probeCached;
    if (cached !== undefined && performance.now() - cached.atMs < this.probeCacheMs) {
      return Promise.resolve(cached.result);
    }
    this.#probeInFlight ??= this.#probeOnce().then((result) => {
      this.#probeCached = { result, atMs: performance.now() };
      this.#probeInFlight = undefined;
      return result;
    });
    return this.#probeInFlight;
  }

  async #probeOnce(): Promise<ProbeResult> {
    const startedMs = performance.now();
    if (this.#closed) return { ok: false, latencyMs: 0, reason: 'the tap log is closed' };
    try {
      await withDeadline(this.#checkTopic(), this.probeTimeoutMs, `no answer within ${this.probeTimeoutMs} ms`);
      return { ok: true, latencyMs: performance.now() - startedMs };
    } catch (error) {
      if (!(error instanceof TapLogConfigError)) this.#dropAdmin();
      return { ok: false, latencyMs: performance.now() - startedMs, reason: messageOf(error) };
    }
  }

  /** Disconnects the producer and admin client, each within sendTimeoutMs. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const producer = this.#producer;
    const admin = this.#admin;
    this.#producer = undefined;
    this.#admin = undefined;
    const quietly = (promise: Promise<void> | undefined) =>
      promise === undefined ? undefined : withDeadline(promise, this.sendTimeoutMs, 'disconnect').catch(() => {});
    await Promise.all([
      quietly(producer?.disconnect()),
      quietly(admin?.then((connected) => connected.disconnect())),
    ]);
  }
}

function checkConfig(config: KafkaTapLogConfig): void {
  if (config.brokers.length === 0) throw new TapLogConfigError('kafka tap log: brokers is empty');
  if (config.topic === '') throw new TapLogConfigError('kafka tap log: topic is empty');
  const integers: [string, number | undefined, number, number][] = [
    ['partitions', config.partitions, 1, partitionsMax],
    ['sendTimeoutMs', config.sendTimeoutMs, 100, 600_000],
    ['connectionTimeoutMs', config.connectionTimeoutMs, 10, 600_000],
    ['probeTimeoutMs', config.probeTimeoutMs, 10, 600_000],
    ['probeCacheMs', config.probeCacheMs, 0, 600_000],
  ];
  for (const [name, value, min, max] of integers) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new TapLogConfigError(`kafka tap log: ${name} must be an integer in ${min}..${max}, got ${value}`);
    }
  }
}

/** `promise`, or a rejection with `message` once `timeoutMs` has passed. */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function logLine(entry: LogEntry): KafkaLogLine {
  const level = entry.level === logLevel.ERROR ? 'error'
    : entry.level === logLevel.WARN ? 'warn'
    : entry.level === logLevel.INFO ? 'info' : 'debug';
  return { level, namespace: entry.namespace, message: entry.log.message };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
