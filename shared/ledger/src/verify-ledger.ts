import { parseVerifierKey, formatVerifierKey, type VerifierKey } from '@fareledger/checkpoint';
import type { LedgerReader } from './reader.js';
import { verifyChain, type ChainVerification, type VerifyChainOptions } from './verify-chain.js';

// The audit of a whole ledger file: every chain any table holds a row of (verifyChain,
// from genesis), and the key history the transparency door publishes (signing_keys):
// each listed key trusted, named as its key says, first used by the checkpoint its row
// names; every key a checkpoint row names listed. One read transaction, so a writer
// sealing meanwhile does not matter.

export interface LedgerVerification {
  readonly ok: boolean;
  readonly chains: readonly ChainVerification[];
  /** What is wrong with the key history; empty when it holds. */
  readonly keyFailures: readonly string[];
}

export function verifyLedger(reader: LedgerReader, verifiers: readonly VerifierKey[], options: VerifyChainOptions = {}): LedgerVerification {
  return reader.read(() => {
    const chains = reader.storedChains().map((chain) => verifyChain(reader, chain, verifiers, options));
    const keyFailures = keyHistoryFailures(reader, verifiers, chains);
    return { ok: keyFailures.length === 0 && chains.every((chain) => chain.ok), chains, keyFailures };
  });
}

function keyHistoryFailures(reader: LedgerReader, verifiers: readonly VerifierKey[], chains: readonly ChainVerification[]): string[] {
  const trusted = new Set(verifiers.map(formatVerifierKey));
  const failures: string[] = [];
  const listed = new Set<string>();
  for (const record of reader.verifierKeys()) {
    const shown = JSON.stringify(record.verifierKey.slice(0, 120));
    listed.add(record.verifierKey);
    if (!trusted.has(record.verifierKey)) {
      failures.push(`signing_keys lists ${shown}, which is not a trusted key`);
      continue;
    }
    if (parseVerifierKey(record.verifierKey).name !== record.name) failures.push(`signing_keys names ${shown} ${JSON.stringify(record.name)}, not its key's name`);
    const [first] = reader.checkpoints(record.firstChain, { from: record.firstBlockHeight, limit: 1 });
    const firstAgrees = first !== undefined && first.blockHeight === record.firstBlockHeight && first.verifierKey === record.verifierKey &&
      first.sealedAtMs === record.firstUsedAtMs;
    if (!firstAgrees) failures.push(`signing_keys says ${shown} was first used by chain ${record.firstChain} block ${record.firstBlockHeight} at ${record.firstUsedAtMs}; that checkpoint says otherwise`);
  }
  for (const key of new Set(chains.flatMap((chain) => chain.verifierKeys))) {
    if (!listed.has(key)) failures.push(`checkpoints are signed by ${JSON.stringify(key.slice(0, 120))}, which signing_keys does not list`);
  }
  return failures;
}
