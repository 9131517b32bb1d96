// The fare.blocks publisher on the real broker, with real SQLite ledgers in a temp dir:
// every sealed block reaches the topic exactly (entries byte for byte, checkpoints as
// signed), a new publisher resumes after the last block on the topic, a block cut off
// between chunks is sent again whole, a topic that disagrees with the ledger blocks only
// that chain, and a broker that is not there neither throws nor holds up stop().
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tapEntry } from '@fareledger/domain';
import { tapInputSchema, toTap } from '@fareledger/domain/tap-schema';
import { createSigningKeyFile, type LedgerEntryInput, ledgerEntryOf, LedgerReader, LedgerWriter } from '@fareledger/ledger';
import { createLogger, type Logger } from '@fareledger/runtime';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type AssembledBlock, type BlockFields, blockMessages, encodeBlockMessage } from '@fareledger/ledger/block-message';
import { BlockPublisher, type BlockPublisherOptions } from '../src/block-publisher.js';
import { blocksTopicConfig, ensureBlocksTopic, readBlocks } from '../src/blocks-topic.js';
import { cityTaps } from './city-taps.js';

const brokers = inject('kafkaBrokers').split(',');
const runId = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'block-publisher-'));
const chains = [0, 1, 2, 3];
const publishers: BlockPublisher[] = [];

afterAll(async () => {
  await Promise.all(publishers.map((publisher) => publisher.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Canonical tap entries (~175 bytes each), every tap key distinct. */
const taps: LedgerEntryInput[] = (() => {
  const receivedAtMs = Date.now();
  return cityTaps(30_000, 5_000, receivedAtMs, { gate: 'gate-1', bus: 'bus-1', taxi: 'taxi-1' })
    .map(({ tap }) => ledgerEntryOf(tapEntry(toTap(tapInputSchema.parse(tap), receivedAtMs))));
})();

/** A ledger in the temp dir, sealed block by block with the writer, as the batcher does. */
class TestLedger {
  readonly path: string;
  readonly writer: LedgerWriter;
  readonly #nextOffset = new Map<number, number>();
  #nextTap = 0;

  constructor(name: string, keyName = 'test.example/blocks') {
    this.path = path.join(dir, `${name}.db`);
    const signer = createSigningKeyFile(path.join(dir, `${name}.key`), keyName);
    this.writer = LedgerWriter.open({ path: this.path, logName: 'test.example/szm', signer, create: true });
  }

  /** Seals one block of `count` fresh taps on `chain` (0: an empty block). */
  seal(chain: number, count: number): void {
    const entries = taps.slice(this.#nextTap, this.#nextTap + count);
    expect(entries.length).toBe(count);
    this.#nextTap += count;
    const offsetFirst = this.#nextOffset.get(chain) ?? 0;
    const offsetNext = offsetFirst + count + 1;
    this.#nextOffset.set(chain, offsetNext);
    this.writer.sealBlock(chain, { entries, offsetFirst, offsetNext, builderState: new Uint8Array(0), fareTableVersion: '2026-01', sealedAtMs: 1_772_410_530_000 + offsetFirst });
  }

  /** Seals blocks of these sizes, chain by chain. */
  sealAll(plan: Record<number, readonly number[]>): number {
    let blocks = 0;
    for (const [chain, sizes] of Object.entries(plan)) {
      for (const size of sizes) this.seal(Number(chain), size);
      blocks += sizes.length;
    }
    return blocks;
  }

  /** Every block of every chain as the ledger holds it, in the shape readBlocks returns. */
  blocks(): { blocks: AssembledBlock[][]; chunks: number } {
    const reader = LedgerReader.open({ path: this.path });
    try {
      let chunks = 0;
      const blocks = chains.map((chain) => {
        const checkpoints = reader.checkpoints(chain, { from: 0, limit: 1_000 });
        return checkpoints.map((checkpoint, height): AssembledBlock => {
          const indexFirst = height === 0 ? 0 : checkpoints[height - 1]!.treeSize;
          const entries = reader.entries(chain, indexFirst, checkpoint.treeSize).map((entry) => entry.bytes);
          const fields: BlockFields = { chain, blockHeight: height, blockIndexFirst: indexFirst, blockTreeSize: checkpoint.treeSize, checkpoint: checkpoint.note };
          chunks += blockMessages(fields, entries).length;
          return { chain, blockHeight: checkpoint.blockHeight, indexFirst, treeSize: checkpoint.treeSize, entries, checkpoint: checkpoint.note };
        });
      });
      return { blocks, chunks };
    } finally {
      reader.close();
    }
  }

  fields(chain: number, blockHeight: number): { fields: BlockFields; entries: Uint8Array[] } {
    const reader = LedgerReader.open({ path: this.path });
    try {
      const [previous, current] = reader.checkpoints(chain, { from: Math.max(0, blockHeight - 1), limit: 2 });
      const checkpoint = blockHeight === 0 ? previous! : current!;
      const indexFirst = blockHeight === 0 ? 0 : previous!.treeSize;
      const entries = reader.entries(chain, indexFirst, checkpoint.treeSize).map((entry) => entry.bytes);
      return { fields: { chain, blockHeight, blockIndexFirst: indexFirst, blockTreeSize: checkpoint.treeSize, checkpoint: checkpoint.note }, entries };
    } finally {
      reader.close();
    }
  }
}

/** Entries as hex: exact, and quick for toEqual. */
function view(perChain: readonly (readonly AssembledBlock[])[]) {
  return perChain.map((blocks) => blocks.map((block) => ({ ...block, entries: block.entries.map((entry) => Buffer.from(entry).toString('hex')) })));
}

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger('block-publisher-test', { level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  return { logger, lines };
}

function publisher(options: Partial<BlockPublisherOptions> & Pick<BlockPublisherOptions, 'topic' | 'ledgerPath' | 'logger'>): BlockPublisher {
  // A long send bound: on a loaded 2-core box a slow ack must not turn into a resend (a duplicate).
  const created = new BlockPublisher({ brokers, partitions: 4, clientId: `block-publisher-test-${runId}`, sendTimeoutMs: 30_000, ...options });
  publishers.push(created);
  return created;
}

async function waitFor(condition: () => boolean, timeoutMs: number, context: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms: ${JSON.stringify(context())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const caughtUp = (p: BlockPublisher) => () => chains.every((chain) => p.lag(chain) === 0) && p.stats().chains.every((c) => c.state === 'following');

/** A port on 127.0.0.1 where nothing listens (taken from the OS, then let go). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const messages = (lines: readonly LogLine[], msg: string) => lines.filter((line) => line.msg === msg);

describe('BlockPublisher on a real broker', () => {
  it('publishes 30 blocks on 4 chains exactly (big ones in chunks); a new publisher resumes after the last one on the topic', async () => {
    const topic = `fare.blocks.test-${runId}-resume`;
    const ledger = new TestLedger('resume');
    // 4,096 or 3,500 taps of ~175 bytes: 600-720 KB, more than one 512 KiB chunk.
    const firstBlocks = ledger.sealAll({
      0: [5, 3_500, 0, 12, 4_096, 1, 7, 20],
      1: [1, 2, 3, 4_096, 5, 0, 9, 10],
      2: [50, 60, 70, 80, 90, 100, 3_600],
      3: [4_096, 1, 1, 1, 1, 1, 1],
    });
    expect(firstBlocks).toBe(30);
    const { logger, lines } = capturingLogger();
    const first = publisher({ topic, ledgerPath: ledger.path, logger });
    first.setChains(chains);
    first.start();
    await waitFor(caughtUp(first), 120_000, () => first.stats());

    const expected = ledger.blocks();
    expect(expected.chunks).toBe(35); // 30 blocks, the 5 big ones in 2 chunks each
    const read = await readBlocks(brokers, topic);
    expect(view(read.blocks)).toEqual(view(expected.blocks));
    expect([read.duplicates, read.incomplete]).toEqual([0, []]);
    expect(first.stats()).toMatchObject({ outage: false, failures: 0, blocksPublished: 30, messagesSent: 35 });
    expect(messages(lines, 'fare.blocks: chain resumed after its last published block').map((line) => [line.chain, line.publishedBlockHeight]))
      .toEqual([[0, -1], [1, -1], [2, -1], [3, -1]]);

    // The topic as the publisher made it: one partition per chain, delete policy, kept forever, room for a chunk.
    const admin = new Kafka({ clientId: 'block-publisher-test', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      expect(metadata?.partitions.length).toBe(4);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: blocksTopicConfig.map((entry) => entry.name) }],
      });
      const config = described.resources[0]!.configEntries.map((entry) => ({ name: entry.configName, value: entry.configValue }));
      expect(config.sort((a, b) => a.name.localeCompare(b.name))).toEqual([...blocksTopicConfig].sort((a, b) => a.name.localeCompare(b.name)));
    } finally {
      await admin.disconnect();
    }

    await first.stop();
    expect(messages(lines, 'block publisher stopped, every sealed block published')).toHaveLength(1);
    const laterBlocks = ledger.sealAll({ 0: [3_500, 2], 1: [0], 2: [1] });
    const second = publisher({ topic, ledgerPath: ledger.path, logger });
    second.setChains(chains);
    second.start();
    await waitFor(caughtUp(second), 120_000, () => second.stats());

    const after = await readBlocks(brokers, topic);
    expect(view(after.blocks)).toEqual(view(ledger.blocks().blocks));
    expect(after.blocks.map((blocks) => blocks.length)).toEqual([10, 9, 8, 7]);
    // No gap and nothing sent twice: the second publisher started after each chain's last block.
    expect([after.duplicates, after.incomplete]).toEqual([0, []]);
    expect(second.stats()).toMatchObject({ blocksPublished: laterBlocks, messagesSent: laterBlocks + 1 });
    expect(messages(lines, 'fare.blocks: chain resumed after its last published block').slice(4).map((line) => [line.chain, line.publishedBlockHeight]))
      .toEqual([[0, 7], [1, 7], [2, 6], [3, 6]]);
    await second.stop();
  });

  it('a block cut off between its chunks is sent again whole; a chain whose topic holds another ledger\'s block is held back alone', async () => {
    const topic = `fare.blocks.test-${runId}-partial`;
    const ledger = new TestLedger('partial');
    ledger.sealAll({ 0: [3_500, 3], 1: [4], 2: [5], 3: [6] });
    const foreign = new TestLedger('foreign', 'test.example/other');
    foreign.sealAll({ 2: [5] });
    await ensureBlocksTopic(brokers, topic, 4);

    // What a publisher killed after the first chunk of chain 0's block 0 leaves behind, and
    // a block 0 of chain 2 from another ledger (another key, other entries).
    const cutOff = ledger.fields(0, 0);
    const [firstChunk] = blockMessages(cutOff.fields, cutOff.entries);
    const other = foreign.fields(2, 0);
    const [otherBlock] = blockMessages(other.fields, other.entries);
    const producer = new Kafka({ clientId: 'block-publisher-test', brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { key: '0', partition: 0, value: Buffer.from(encodeBlockMessage(firstChunk!)) },
          { key: '2', partition: 2, value: Buffer.from(encodeBlockMessage(otherBlock!)) },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const { logger, lines } = capturingLogger();
    const p = publisher({ topic, ledgerPath: ledger.path, logger });
    p.setChains(chains);
    p.start();
    await waitFor(() => [0, 1, 3].every((chain) => p.lag(chain) === 0) && p.stats().chains[2]?.state === 'blocked', 120_000, () => p.stats());

    expect(p.stats().chains[2]).toEqual({
      chain: 2, sealedBlockHeight: 0, publishedBlockHeight: null, lagBlocks: 1, state: 'blocked',
      blockedReason: 'block 0 on the topic is not the ledger\'s: another ledger published to this topic',
    });
    const blocked = messages(lines, 'fare.blocks: chain not published, the topic disagrees with the ledger');
    expect(blocked.map((line) => line.chain)).toEqual([2]);
    expect(messages(lines, 'fare.blocks: chain resumed after its last published block').map((line) => [line.chain, line.publishedBlockHeight]))
      .toEqual([[0, -1], [1, -1], [3, -1]]);
    await p.stop();

    // Chains 0, 1 and 3 are the ledger's; chain 2 holds only the other ledger's block (this one's was held back).
    const theirs = await readBlocks(brokers, topic);
    const expected = ledger.blocks().blocks;
    expect(view([theirs.blocks[0]!, theirs.blocks[1]!, theirs.blocks[3]!])).toEqual(view([expected[0]!, expected[1]!, expected[3]!]));
    expect(theirs.blocks[2]!.map((block) => block.checkpoint)).toEqual([other.fields.checkpoint]);
    // The cut-off chunk, sent again with its block: one duplicate.
    expect([theirs.duplicates, theirs.incomplete]).toEqual([1, []]);
    expect(p.stats()).toMatchObject({ blocksPublished: 4, messagesSent: 5 });
  });

  it('with no broker listening: notify and setChains do not throw, the outage is logged once, stop() returns within its bound', async () => {
    const ledger = new TestLedger('no-broker');
    ledger.sealAll({ 0: [3, 4] });
    const { logger, lines } = capturingLogger();
    const stopTimeoutMs = 2_000;
    const p = publisher({
      topic: `fare.blocks.test-${runId}-nowhere`, ledgerPath: ledger.path, logger, brokers: [`127.0.0.1:${await freePort()}`],
      sendTimeoutMs: 1_000, backoffMsMax: 200, stopTimeoutMs,
    });
    p.start();
    p.setChains([0, 1]);
    await waitFor(() => p.stats().failures >= 3, 60_000, () => p.stats());
    ledger.sealAll({ 0: [5], 1: [6] });
    expect(() => p.notify(0)).not.toThrow();
    expect(() => p.notify(1)).not.toThrow();
    expect(() => p.setChains([0, 1, 2])).not.toThrow();
    await waitFor(() => p.stats().failures >= 6, 60_000, () => p.stats());

    expect([p.lag(0), p.lag(1), p.lag(2), p.stats().outage]).toEqual([3, 1, 0, true]);
    expect(p.stats().chains.map((chain) => chain.state)).toEqual(['resuming', 'resuming', 'resuming']);
    expect(messages(lines, 'fare.blocks: cannot publish; sealing goes on, blocks wait in the ledger, retrying with backoff')).toHaveLength(1);
    const stopped = await Promise.race([
      p.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still stopping'), stopTimeoutMs + 10_000)),
    ]);
    expect(stopped).toBe('stopped');
    const last = messages(lines, 'block publisher stopped with blocks unpublished; the next publisher of each chain sends them');
    expect(last.map((line) => line.unpublished)).toEqual([{ 0: 3, 1: 1, 2: 0 }]);
  });

  it('a broker that comes back: the publisher catches up from the ledger and logs the outage once, and its end', async () => {
    const topic = `fare.blocks.test-${runId}-comeback`;
    const ledger = new TestLedger('comeback');
    ledger.sealAll({ 0: [10, 3_500], 1: [1], 3: [2, 0] });
    const port = await freePort();
    const { logger, lines } = capturingLogger();
    const p = publisher({ topic, ledgerPath: ledger.path, logger, brokers: [`127.0.0.1:${port}`], backoffMsMax: 500 });
    p.setChains(chains);
    p.start();
    await waitFor(() => p.stats().failures >= 2, 60_000, () => p.stats());
    ledger.sealAll({ 2: [7] });
    p.notify(2);

    // The broker "comes back" on the port the publisher was given: a TCP relay to the real
    // one, enough for the bootstrap (kafkajs then follows the broker's advertised address).
    const [host, brokerPort] = brokers[0]!.split(':') as [string, string];
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(brokerPort), host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    try {
      await waitFor(caughtUp(p), 120_000, () => p.stats());
    } finally {
      for (const socket of sockets) socket.destroy();
      relay.close();
    }
    const read = await readBlocks(brokers, topic);
    expect(view(read.blocks)).toEqual(view(ledger.blocks().blocks));
    expect([read.duplicates, read.incomplete]).toEqual([0, []]);
    expect(messages(lines, 'fare.blocks: cannot publish; sealing goes on, blocks wait in the ledger, retrying with backoff')).toHaveLength(1);
    expect(messages(lines, 'fare.blocks: publishing again, catching up')).toHaveLength(1);
    expect(p.stats()).toMatchObject({ outage: false, blocksPublished: 6, messagesSent: 7 });
    await p.stop();
  });
});
