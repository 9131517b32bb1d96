import { randomBytes } from 'node:crypto';
import type { VerifierKey } from '@fareledger/checkpoint';
import { type LedgerWriter, ReplicaBlockError } from '@fareledger/ledger';
import { type BlockAssembler as Assembler, BlockAssembler, BlockMessageError, BlockSequenceError, decodeBlockMessage } from '@fareledger/ledger/block-message';
import type { Logger } from '@fareledger/runtime';
import { Kafka, logLevel } from 'kafkajs';

// A read copy of the ledger built on another machine from the fare.blocks topic
// (docs/fare-blocks.md): every block is reassembled from its chunks (duplicates dropped),
// checked (its checkpoint opened with the keys this replica trusts, its entries giving the
// checkpoint's root, its height, prev hash and offsets following the chain's last block)
// and stored in a replica ledger file that the service then reads exactly as it reads the
// batcher's own. Nothing unchecked is stored: a block that fails stops the chain, the
// service keeps serving what it verified, and readiness says why.

export interface BlockReplicatorOptions {
  readonly writer: LedgerWriter;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly trusted: readonly VerifierKey[];
  readonly clientId: string;
  readonly logger: Logger;
  /** After each stored block, for metrics and to wake the follower. */
  readonly onBlock?: (chain: number, treeSize: number) => void;
}

export class BlockReplicator {
  readonly #options: BlockReplicatorOptions;
  readonly #kafka: Kafka;
  readonly #groupId = `fareledger-replica-${randomBytes(6).toString('hex')}`;
  #consumer: ReturnType<Kafka['consumer']> | undefined;
  #assembler: Assembler | undefined;
  /** Why replication stopped, by chain; empty while it runs. */
  readonly failures = new Map<number, string>();
  blocksStored = 0;

  constructor(options: BlockReplicatorOptions) {
    this.#options = options;
    this.#kafka = new Kafka({ clientId: options.clientId, brokers: [...options.brokers], logLevel: logLevel.NOTHING });
  }

  /**
   * Starts consuming each partition after the last block stored from it (the replica file
   * keeps the offset), or from its beginning; messages of blocks the file already holds
   * are dropped as duplicates either way.
   */
  async start(): Promise<void> {
    const { writer } = this.#options;
    const after = new Map<number, { blockHeight: number; treeSize: number }>();
    for (const chain of writer.storedChains()) {
      const state = writer.chainState(chain);
      if (state.blockHeight !== null) after.set(chain, { blockHeight: state.blockHeight, treeSize: state.treeSize });
    }
    this.#assembler = new BlockAssembler({ after });
    const consumer = this.#kafka.consumer({ groupId: this.#groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.#options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) {
          if (this.failures.has(batch.partition)) return;
          this.#accept(batch.partition, Number(message.offset), message.value ?? Buffer.alloc(0));
        }
        await heartbeat();
      },
    });
    // kafkajs applies a seek once the partition is fetched, even when called before.
    for (const [partition, nextOffset] of writer.replicaPositions()) consumer.seek({ topic: this.#options.topic, partition, offset: String(nextOffset) });
  }

  async stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer === undefined) return;
    await consumer.disconnect().catch(() => {});
    const admin = this.#kafka.admin();
    await admin.connect().then(() => admin.deleteGroups([this.#groupId])).catch(() => {});
    await admin.disconnect().catch(() => {});
  }

  #accept(partition: number, offset: number, value: Uint8Array): void {
    const { writer, trusted, logger } = this.#options;
    try {
      const message = decodeBlockMessage(value);
      if (message.chain !== partition) throw new BlockSequenceError('misplaced', message.chain, message.blockHeight, `found on partition ${partition}, offset ${offset}`);
      const { block } = this.#assembler!.add(message);
      if (block === null) return;
      writer.replicateBlock(block.chain, block.entries, block.checkpoint, trusted);
      writer.setReplicaPosition(partition, offset + 1);
      this.blocksStored += 1;
      this.#options.onBlock?.(block.chain, block.treeSize);
    } catch (error) {
      if (!(error instanceof BlockMessageError || error instanceof BlockSequenceError || error instanceof ReplicaBlockError)) throw error;
      const reason = `${this.#options.topic} partition ${partition} offset ${offset}: ${error.message}`;
      this.failures.set(partition, reason);
      logger.error({ err: error, partition, offset }, 'replica: a block on fare.blocks does not check; this chain stops here (what was verified is still served)');
    }
  }
}
