import { describe, expect, it } from 'vitest';
import { TapLogConfigError } from './errors.js';
import { KafkaTapLog, type KafkaTapLogConfig, withDeadline } from './kafka-log.js';

// What needs no broker: config checks (before any connection) and the deadline helper.
// Everything that talks to Kafka is in test/contract.test.ts, against a real broker.

const base: KafkaTapLogConfig = {
  brokers: ['127.0.0.1:1'], topic: 'fare.taps', clientId: 'unit', partitions: 4, verifyOnOpen: false,
};

describe('KafkaTapLog.open config checks', () => {
  it.each<[string, Partial<KafkaTapLogConfig>, string]>([
    ['no brokers', { brokers: [] }, 'kafka tap log: brokers is empty'],
    ['an empty topic', { topic: '' }, 'kafka tap log: topic is empty'],
    ['0 partitions', { partitions: 0 }, 'kafka tap log: partitions must be an integer in 1..1000, got 0'],
    ['2.5 partitions', { partitions: 2.5 }, 'kafka tap log: partitions must be an integer in 1..1000, got 2.5'],
    ['sendTimeoutMs 99', { sendTimeoutMs: 99 }, 'kafka tap log: sendTimeoutMs must be an integer in 100..600000, got 99'],
    ['probeTimeoutMs 0', { probeTimeoutMs: 0 }, 'kafka tap log: probeTimeoutMs must be an integer in 10..600000, got 0'],
  ])('refuses %s with a TapLogConfigError naming it', async (_name, change, message) => {
    await expect(KafkaTapLog.open({ ...base, ...change })).rejects.toThrow(new TapLogConfigError(message));
  });

  it('with verifyOnOpen false, opens without a broker and reports the config it was given', async () => {
    const log = await KafkaTapLog.open({ ...base, sendTimeoutMs: 1_500 });
    expect([log.kind, log.topic, log.partitions, log.sendTimeoutMs]).toEqual(['kafka', 'fare.taps', 4, 1_500]);
    await log.close();
    expect(await log.probe()).toEqual({ ok: false, latencyMs: 0, reason: 'the tap log is closed' });
  });
});

describe('withDeadline', () => {
  it('passes a value through, and rejects with the message when the deadline passes first', async () => {
    await expect(withDeadline(Promise.resolve(7), 1_000, 'late')).resolves.toBe(7);
    await expect(withDeadline(new Promise(() => {}), 1, 'too late')).rejects.toThrow('too late');
    const cause = new Error('own failure');
    await expect(withDeadline(Promise.reject(cause), 1_000, 'late')).rejects.toBe(cause);
  });
});
