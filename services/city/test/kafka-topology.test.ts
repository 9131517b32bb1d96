import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerAnswers } from '@fareledger/infra/kafka';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { DemoCredentials } from '../src/credentials.js';

// `npm run start:kafka` against the integration project's broker: ingest, two batchers
// in one group and invoice-audit as processes, the simulator posting, a demo wallet's
// invoice served, and Ctrl-C stopping every process in order, the broker left running
// (it was not started here).

const dir = mkdtempSync(join(tmpdir(), 'fareledger-topology-'));
const brokers = inject('kafkaBrokers');
const runId = `${Date.now()}`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run start:kafka', () => {
  it('runs the production topology on real Kafka and stops it on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/city/src/kafka-topology.ts', '--batchers', '2', '--rate', '100'], {
      env: {
        ...process.env, DATA_DIR: join(dir, 'data'), KAFKA_BROKERS: brokers, INGEST_PORT: '0', INVOICE_PORT: '0', BATCHER_PORT: '0',
        KAFKA_TOPIC_TAPS: `fare.taps.topology-${runId}`, KAFKA_TOPIC_BLOCKS: `fare.blocks.topology-${runId}`, BATCHER_GROUP: `topology-${runId}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => output.includes('Ctrl-C stops everything'), 120_000, () => output);
      const invoicesUrl = /wallets, audit, \/verify +(http:\/\/[^/\s]+)\/docs/.exec(output)![1]!;
      const credentials = JSON.parse(readFileSync(join(dir, 'data', 'credentials.json'), 'utf8')) as DemoCredentials;
      expect(output.match(/"msg":"chains assigned"/g)!.length).toBeGreaterThanOrEqual(2);
      const number = await waitFor(async () => {
        for (const wallet of credentials.wallets) {
          const page = (await (await fetch(`${invoicesUrl}/v1/accounts/${wallet.account}/invoices?limit=1`, { headers: { authorization: `Bearer ${wallet.token}` } })).json()) as { items: { number: string }[] };
          if (page.items[0] !== undefined) return page.items[0].number;
        }
        return undefined;
      }, 90_000, () => output);
      expect(number).toMatch(/^[0-9]{20}$/);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"batcher stopped"');
      expect(await brokerAnswers(brokers.split(','))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  }, 300_000);
});

async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out\n${context().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
