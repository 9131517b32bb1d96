import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointHash, formatVerifierKey, parseCheckpoint, parseNote, signCheckpoint, signerKeyFromSeed } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { type Invoice, verifyInvoice } from '@fareledger/invoice';
import { LedgerReader } from '@fareledger/ledger';
import { blockMessages, encodeBlockMessage } from '@fareledger/ledger/block-message';
import { silentLogger } from '@fareledger/runtime';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBlocksTopic } from '../../batcher/src/blocks-topic.js';
import { loadInvoiceAuditConfig } from '../src/config.js';
import { type InvoiceAuditHandle, startInvoiceAudit } from '../src/service.js';
import { adminToken, chain, logName, pricedCityEntries, signer, TestLedger, tempDir, verifier } from './fixture.js';

// A replica on "another machine": the service builds its ledger from the fare.blocks topic
// of a real broker, checks every block, and serves invoices that verify, while a forged
// block stops the chain and turns readiness down.

const brokers = inject('kafkaBrokers').split(',');
const topic = `fare.blocks.replica-${randomBytes(4).toString('hex')}`;
const dir = tempDir();
const kafka = new Kafka({ clientId: 'replica-test', brokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ allowAutoTopicCreation: false });
let service: InvoiceAuditHandle;
let sealed: ReturnType<TestLedger['sealAll']>;

async function publish(blocks: readonly (typeof sealed)[number][]): Promise<void> {
  for (const block of blocks) {
    const fields = { chain, blockHeight: block.blockHeight, blockIndexFirst: block.indexFirst, blockTreeSize: block.treeSize, checkpoint: block.checkpoint };
    const messages = blockMessages(fields, block.entries).map((message) => ({ partition: chain, key: String(chain), value: Buffer.from(encodeBlockMessage(message)) }));
    await producer.send({ topic, acks: -1, messages });
  }
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  const source = new TestLedger(join(dir, 'source.db'));
  sealed = source.sealAll(pricedCityEntries(2_000), 400);
  source.close();
  await ensureBlocksTopic(brokers, topic, 4);
  await producer.connect();
  await publish(sealed.slice(0, 3));
  await publish(sealed.slice(1, 2)); // delivered twice: at least once
  await publish(sealed.slice(3, -2)); // the last two wait for the restart test
  service = await startReplica();
});

function startReplica(): Promise<InvoiceAuditHandle> {
  return startInvoiceAudit(loadInvoiceAuditConfig({
    INVOICE_PORT: '0', INVOICE_LEDGER_SOURCE: 'fare.blocks', LEDGER_PATH: join(dir, 'replica.db'), LEDGER_LOG_NAME: logName,
    INVOICE_TRUSTED_KEYS: formatVerifierKey(verifier), KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_BLOCKS: topic,
    INVOICE_INDEX_PATH: join(dir, 'index.db'), INVOICE_ACCESS_PATH: join(dir, 'access.db'), INVOICE_ADJUSTMENTS_PATH: join(dir, 'adj.db'),
    INVOICE_ADMIN_TOKEN: adminToken, INVOICE_AUDIT_KEY_PATH: join(dir, 'audit.key'), INVOICE_DEV_CREATE_KEY: 'true', INVOICE_FOLLOW_INTERVAL_MS: '10',
  }), { logger: silentLogger() });
}

afterAll(async () => {
  await service?.stop();
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('a replica built from fare.blocks', () => {
  it('holds the same chain as the source, block for block, and serves invoices that verify', async () => {
    const size = sealed.at(-3)!.treeSize;
    const chains = await until(async () => (await (await fetch(`${service.url}/v1/chains`)).json()) as { chains: { chain: number; treeSize: number }[] },
      (c) => c.chains[0]?.treeSize === size);
    expect(chains.chains).toEqual([expect.objectContaining({ chain, treeSize: size, blockHeight: sealed.length - 3 })]);
    const [source, replica] = [LedgerReader.open({ path: join(dir, 'source.db') }), LedgerReader.open({ path: join(dir, 'replica.db') })];
    expect(replica.entries(chain, 0, size)).toEqual(source.entries(chain, 0, size));
    expect(replica.checkpoints(chain, { from: 0, limit: 100 })).toEqual(source.checkpoints(chain, { from: 0, limit: sealed.length - 2 }));
    source.close();
    replica.close();

    await service.catchUp();
    const issued = await fetch(`${service.url}/v1/admin/tokens`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: '{"role":"auditor"}' });
    const { token } = (await issued.json()) as { token: string };
    const page = (await (await fetch(`${service.url}/v1/audit/totals?from=2026-12-01&to=2026-12-03`, { headers: { authorization: `Bearer ${token}` } })).json()) as { operators: unknown[] };
    expect(page.operators.length).toBeGreaterThan(0);
    const exported = (await (await fetch(`${service.url}/v1/audit/chains/${chain}/export?to=200`, { headers: { authorization: `Bearer ${token}` } })).text()).trimEnd().split('\n');
    const trip = exported.map((line) => JSON.parse(line) as { type: string; logIndex: number; trip?: { endMs: number } }).find((row) => row.type === 'trip')!;
    const number = `26${String(chain).padStart(5, '0')}${String(trip.logIndex).padStart(13, '0')}`;
    const invoice = (await (await fetch(`${service.url}/v1/invoices/${number}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Invoice;
    expect(verifyInvoice(invoice, { verifierKeys: [verifier], logName, ed25519: ed25519Node })).toMatchObject({ number, kind: 'blue' });
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });

  it('continues after a restart from where its file ends, reading on from the stored topic offsets', async () => {
    await service.stop();
    await publish(sealed.slice(-2));
    service = await startReplica();
    const size = sealed.at(-1)!.treeSize;
    const chains = await until(async () => (await (await fetch(`${service.url}/v1/chains`)).json()) as { chains: { treeSize: number; blockHeight: number }[] },
      (c) => c.chains[0]?.treeSize === size);
    expect(chains.chains[0]).toMatchObject({ treeSize: size, blockHeight: sealed.length - 1 });
    const replica = LedgerReader.open({ path: join(dir, 'replica.db') });
    const source = LedgerReader.open({ path: join(dir, 'source.db') });
    expect(replica.entries(chain, 0, size)).toEqual(source.entries(chain, 0, size));
    replica.close();
    source.close();
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });

  it('stores nothing of a forged block: the chain stops there, and readiness says why', async () => {
    // The next block, well formed, linked and rooted, but signed by a key of the same name the replica does not trust.
    const forger = signerKeyFromSeed(signer.name, new Uint8Array(32).fill(9), { ed25519: ed25519Node });
    const last = sealed.at(-1)!;
    const f = parseCheckpoint(parseNote(last.checkpoint).text);
    const note = signCheckpoint({
      origin: f.origin, treeSize: f.treeSize, rootHash: f.rootHash,
      fareledger: { ...f.fareledger!, blockHeight: sealed.length, prevCheckpointHash: checkpointHash(last.checkpoint), kafkaOffsetFirst: f.fareledger!.kafkaOffsetNext },
    }, [forger], { ed25519: ed25519Node });
    await publish([{ ...last, blockHeight: sealed.length, indexFirst: last.treeSize, entries: [], checkpoint: note }]);
    const size = last.treeSize;
    const ready = await until(() => fetch(`${service.url}/readyz`), (r) => r.status === 503, 30_000);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: { replica: { status: string; detail: string } } };
    expect(body.checks.replica).toMatchObject({ status: 'down', detail: expect.stringContaining('replication stopped') });
    const chains = (await (await fetch(`${service.url}/v1/chains`)).json()) as { chains: { treeSize: number; blockHeight: number }[] };
    expect(chains.chains[0]).toMatchObject({ treeSize: size, blockHeight: sealed.length - 1 });
  });
});
