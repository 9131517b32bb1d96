// Ingest on a real Kafka broker, over real HTTP: concurrent devices' taps land exactly once,
// keyed by account, in each account's order; a broker outage gives 503s within the
// configured timeout, and every tap that was given a 202 is on the topic after the restart.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeEntry } from '@fareledger/codecs';
import { type TapEntry, tapKey } from '@fareledger/domain';
import { ensureTopics, readKafkaConfig, startKafka, stopKafka } from '@fareledger/infra/kafka';
import { silentLogger } from '@fareledger/runtime';
import { partitionOf, readKafkaTaps, type StoredTapRecord } from '@fareledger/tap-log';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadIngestConfig } from '../src/config.js';
import { type IngestHandle, startIngest } from '../src/service.js';
import { type Device, metroTap, postTaps, registerDevice } from './ingest-client.js';

const adminToken = randomBytes(32).toString('base64url');
const runId = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'ingest-kafka-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function ingestEnv(brokers: readonly string[], topic: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    INGEST_PORT: '0',
    INGEST_ADMIN_TOKEN: adminToken,
    INGEST_DEVICES_PATH: path.join(dir, `devices-${topic}.db`),
    TAP_LOG: 'kafka',
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_TAPS: topic,
    ...extra,
  };
}

function tapKeyOf(record: StoredTapRecord): string {
  return tapKey((decodeEntry(record.value) as TapEntry).tap);
}

describe('ingest on a real broker', () => {
  const brokers = inject('kafkaBrokers').split(',');

  it('10,000 taps from 50 devices posted concurrently appear exactly once, keyed by account, in each account\'s order', async () => {
    const topic = `fare.taps.ingest-${runId}`;
    await ensureTopics(brokers, [{ topic, numPartitions: 4 }]);
    const ingest = await startIngest(loadIngestConfig(ingestEnv(brokers, topic)), { logger: silentLogger() });
    try {
      const devices = await Promise.all(Array.from({ length: 50 }, (_, index) => registerDevice(ingest.url, adminToken, `g${index}`)));
      // Each device serves 10 accounts of its own and posts 200 taps one request after
      // another (requests of 1 to 7 taps), so each account's order is the posting order.
      const posted = new Map<string, string[]>(); // account -> tapIds in posting order
      await Promise.all(devices.map((device, deviceIndex) => postDeviceTaps(ingest, device, deviceIndex, posted)));

      const partitions = await readKafkaTaps(brokers, topic);
      const records = partitions.flat();
      expect(records).toHaveLength(10_000);
      const seen = new Map<string, string[]>();
      for (const record of records) {
        const entry = decodeEntry(record.value) as TapEntry;
        expect(record.key).toBe(entry.tap.account);
        expect(record.partition).toBe(partitionOf(entry.tap.account, 4));
        seen.set(record.key, [...(seen.get(record.key) ?? []), entry.tap.tapId]);
      }
      expect(new Set(records.map(tapKeyOf)).size).toBe(10_000);
      expect(seen).toEqual(posted);
    } finally {
      await ingest.stop();
    }
  });

  async function postDeviceTaps(ingest: IngestHandle, device: Device, deviceIndex: number, posted: Map<string, string[]>): Promise<void> {
    let sequence = 0;
    while (sequence < 200) {
      const size = Math.min(1 + ((deviceIndex * 31 + sequence * 7) % 7), 200 - sequence);
      const taps = [];
      for (let index = 0; index < size; index += 1, sequence += 1) {
        const account = `wa_${deviceIndex}_${sequence % 10}`;
        const tapId = `t${sequence}`;
        taps.push(metroTap(device, { tapId, account, kind: sequence % 20 < 10 ? 'in' : 'out', stationId: `L1-S${deviceIndex % 30}` }));
        posted.set(account, [...(posted.get(account) ?? []), tapId]);
      }
      const response = await postTaps(ingest.url, device, taps);
      expect(response.status, await response.clone().text()).toBe(202);
      expect(await response.json()).toEqual({ accepted: size });
    }
  }
});

describe('ingest through a broker outage', () => {
  // A broker of its own on other ports and a temp run dir, so stopping it does not disturb
  // the shared broker the other integration tests use.
  const kafkaConfig = readKafkaConfig({ KAFKA_PORT: '19192', KAFKA_CONTROLLER_PORT: '19193', KAFKA_DIR: path.join(dir, 'kafka') });
  const appendTimeoutMs = 2000;

  afterAll(async () => {
    await stopKafka(kafkaConfig);
  });

  it('answers 503 within the append timeout while the broker is down, and every 202 tap is on the topic after the restart', async () => {
    await startKafka(kafkaConfig);
    const topic = 'fare.taps';
    const ingest = await startIngest(loadIngestConfig(ingestEnv(kafkaConfig.brokers, topic, { INGEST_APPEND_TIMEOUT_MS: String(appendTimeoutMs) })), {
      logger: silentLogger(),
    });
    const acked = new Set<string>();
    const answers: { status: number; elapsedMs: number; phase: string }[] = [];
    let phase = 'up';
    let posting = true;
    try {
      const devices = await Promise.all([0, 1, 2, 3].map((index) => registerDevice(ingest.url, adminToken, `outage-g${index}`)));
      const posters = devices.map(async (device, deviceIndex) => {
        for (let sequence = 0; posting; sequence += 1) {
          const tapId = `o${sequence}`;
          const tap = metroTap(device, { tapId, account: `wa_o${deviceIndex}_${sequence % 5}`, kind: 'in', stationId: 'L2-S01' });
          const startedMs = Date.now();
          const response = await postTaps(ingest.url, device, [tap]);
          answers.push({ status: response.status, elapsedMs: Date.now() - startedMs, phase });
          if (response.status === 202) acked.add(`${device.deviceId}/${tapId}`);
          else await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      await waitFor(() => answers.filter((answer) => answer.status === 202).length >= 200, 30_000);

      phase = 'down';
      await stopKafka(kafkaConfig);
      await waitFor(() => answers.filter((answer) => answer.phase === 'down' && answer.status === 503).length >= 8, 60_000);
      const ready = await fetch(`${ingest.url}/readyz`);
      expect(ready.status).toBe(503);

      phase = 'restarting';
      await startKafka(kafkaConfig);
      phase = 'up-again';
      await waitFor(() => answers.filter((answer) => answer.phase === 'up-again' && answer.status === 202).length >= 100, 60_000);
      posting = false;
      await Promise.all(posters);
    } finally {
      posting = false;
      await ingest.stop();
    }

    const downAnswers = answers.filter((answer) => answer.phase === 'down');
    const statuses = new Set(answers.map((answer) => answer.status));
    expect([...statuses].every((status) => status === 202 || status === 503)).toBe(true);
    // Every 503 came within the configured timeout (plus scheduling slack), never a hang.
    const slowest503 = Math.max(...answers.filter((answer) => answer.status === 503).map((answer) => answer.elapsedMs));
    expect(slowest503).toBeLessThan(appendTimeoutMs + 1500);
    expect(downAnswers.some((answer) => answer.status === 503)).toBe(true);

    const onTopic = new Map<string, number>();
    for (const record of (await readKafkaTaps(kafkaConfig.brokers, topic)).flat()) {
      const { tap } = decodeEntry(record.value) as TapEntry;
      const key = `${tap.deviceId}/${tap.tapId}`;
      onTopic.set(key, (onTopic.get(key) ?? 0) + 1);
    }
    const missing = [...acked].filter((key) => !onTopic.has(key));
    expect(missing).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(300);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
