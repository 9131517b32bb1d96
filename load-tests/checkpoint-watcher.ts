import { checkpointOrigin, openCheckpoint, type VerifierKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { hexToBytes } from '@noble/hashes/utils.js';
import { verifyConsistency } from '@fareledger/merkle';
import { nodeHasher } from '@fareledger/merkle/node-hasher';

// A monitor of the transparency door, as a witness would run one: it polls every chain's
// latest signed checkpoint (GET /v1/chains) all along, keeps each new one after checking
// its signature with the keys it was given at the start, and at the end proves each
// consistent with the next (GET .../proofs/consistency, verified here, RFC 9162): the log
// it watched was only ever appended to. A poll that gets no answer (the service is being
// restarted) is counted, not a failure.

interface Seen {
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
}

export interface WatcherFigures {
  readonly polls: number;
  readonly pollsUnanswered: number;
  readonly checkpointsSeen: number;
  readonly consistencyProofsVerified: number;
  readonly failures: readonly string[];
}

export class CheckpointWatcher {
  readonly #url: string;
  readonly #keys: readonly VerifierKey[];
  readonly #logName: string;
  readonly #seen = new Map<number, Seen[]>();
  /** Each failure once, however many polls saw it. */
  readonly #failures = new Set<string>();
  #polls = 0;
  #unanswered = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> = Promise.resolve();

  constructor(invoicesUrl: string, logName: string, keys: readonly VerifierKey[]) {
    this.#url = invoicesUrl;
    this.#logName = logName;
    this.#keys = keys;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      this.#polling = this.#polling.then(() => this.poll());
    }, intervalMs);
  }

  async poll(): Promise<void> {
    this.#polls += 1;
    let chains: { chain: number; checkpoint: string }[];
    try {
      const response = await fetch(`${this.#url}/v1/chains`, { signal: AbortSignal.timeout(5_000) });
      if (response.status !== 200) throw new Error(String(response.status));
      chains = ((await response.json()) as { chains: { chain: number; checkpoint: string }[] }).chains;
    } catch {
      this.#unanswered += 1;
      return;
    }
    for (const { chain, checkpoint } of chains) this.#observe(chain, checkpoint);
  }

  #observe(chain: number, note: string): void {
    let opened;
    try {
      opened = openCheckpoint(note, { verifiers: this.#keys, origin: checkpointOrigin(this.#logName, chain), ed25519: ed25519Node }).checkpoint;
    } catch (error) {
      this.#failures.add(`chain ${chain}: a served checkpoint does not open: ${(error as Error).message}`);
      return;
    }
    const seen = this.#seen.get(chain) ?? [];
    this.#seen.set(chain, seen);
    const last = seen.at(-1);
    if (last !== undefined && opened.treeSize < last.treeSize) {
      this.#failures.add(`chain ${chain}: served tree size ${opened.treeSize} after ${last.treeSize}`);
      return;
    }
    if (last !== undefined && opened.treeSize === last.treeSize) {
      if (!equal(opened.rootHash, last.rootHash)) this.#failures.add(`chain ${chain}: two roots for tree size ${opened.treeSize}`);
      return;
    }
    seen.push({ treeSize: opened.treeSize, rootHash: opened.rootHash });
  }

  /** Stops polling; proves each checkpoint seen consistent with the next one of its chain. */
  async finish(): Promise<WatcherFigures> {
    clearInterval(this.#timer);
    await this.#polling;
    let verified = 0;
    for (const [chain, seen] of this.#seen) {
      for (let i = 1; i < seen.length; i += 1) {
        if (await this.#proveConsistent(chain, seen[i - 1]!, seen[i]!)) verified += 1;
      }
    }
    let checkpoints = 0;
    for (const seen of this.#seen.values()) checkpoints += seen.length;
    return { polls: this.#polls, pollsUnanswered: this.#unanswered, checkpointsSeen: checkpoints, consistencyProofsVerified: verified, failures: [...this.#failures] };
  }

  async #proveConsistent(chain: number, older: Seen, newer: Seen): Promise<boolean> {
    const url = `${this.#url}/v1/chains/${chain}/proofs/consistency?from=${older.treeSize}&to=${newer.treeSize}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (response.status !== 200) throw new Error(`${response.status} ${(await response.text()).slice(0, 200)}`);
      const { hashes } = (await response.json()) as { hashes: string[] };
      verifyConsistency(nodeHasher, older.treeSize, newer.treeSize, hashes.map(hexToBytes), older.rootHash, newer.rootHash);
      return true;
    } catch (error) {
      this.#failures.add(`chain ${chain}: no valid consistency proof from ${older.treeSize} to ${newer.treeSize}: ${(error as Error).message}`);
      return false;
    }
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
