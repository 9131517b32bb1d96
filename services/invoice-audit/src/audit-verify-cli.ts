#!/usr/bin/env -S node --import tsx
// fareledger-audit-verify: the tax auditor's check of a ledger file, offline, with nothing
// but the verifier key(s) the auditor trusts. Exit 0 every chain and the key history
// verify, 1 they do not (or the file is damaged), 2 usage error.
//
//   fareledger-audit-verify <ledger.db> --key <verifier key | file of keys> [--key ...] [--json]
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { VerifierKey } from '@fareledger/checkpoint';
import type { ChainVerification } from '@fareledger/ledger';
import { auditLedgerFile, type LedgerAudit } from './audit-verify.js';
import { keysOf, optionsOrExit, UsageError } from './cli-keys.js';

const usage = `usage: fareledger-audit-verify <ledger.db> --key <verifier key | file of keys> [--key ...] [--json]

Audits a ledger file from genesis, trusting nothing in it: every chain any table holds
(each checkpoint's signature with the keys given, its links and Kafka offsets, its root
recomputed from the stored entry bytes, every entry decoding, the duplicate index, a
consistency proof between consecutive checkpoints, every stored tile, the chain row), and
the key history the transparency door publishes. The keys are note verifier keys
(<name>+<hash>+<base64 key>), as GET /v1/keys lists them; get them once, from a source
you trust. Safe on the live file: it reads in one transaction, beside a sealing batcher.

exit status: 0 verified, 1 not (the first failure of each chain is printed), 2 usage error
`;

interface CliOptions {
  readonly path: string;
  readonly keys: readonly VerifierKey[];
  readonly json: boolean;
}

function parseCli(argv: readonly string[]): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv], allowPositionals: true,
      options: { key: { type: 'string', multiple: true }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the ledger file' : 'one ledger file at a time');
  const path = positionals[0]!;
  if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
  if (values.key === undefined || values.key.length === 0) throw new UsageError('give the ledger\'s verifier key with --key');
  return { path, keys: values.key.flatMap(keysOf), json: values.json };
}

function chainLine(chain: ChainVerification): string {
  const verified = `${chain.blocksVerified.toLocaleString('en')} blocks, ${chain.entriesVerified.toLocaleString('en')} entries verified`;
  if (chain.ok) return `  chain ${chain.chain}: ok, ${verified}`;
  const { kind, blockHeight, message } = chain.failure!;
  return `  chain ${chain.chain}: FAILED (${kind}${blockHeight === null ? '' : `, block ${blockHeight}`}) after ${verified}: ${message}`;
}

function report(path: string, audit: LedgerAudit): string {
  if (audit.damaged !== null) return `${path}: FAILED: the file cannot be read as a ledger: ${audit.damaged}`;
  const { chains, keyFailures } = audit.verification!;
  return [
    `${path}: ${audit.ok ? 'verified' : 'FAILED'} (${chains.length} chain${chains.length === 1 ? '' : 's'})`,
    ...chains.map(chainLine),
    keyFailures.length === 0 ? '  key history: ok' : `  key history: FAILED: ${keyFailures.join('; ')}`,
  ].join('\n');
}

function main(argv: readonly string[]): number {
  const options = optionsOrExit('fareledger-audit-verify', usage, () => parseCli(argv));
  if (typeof options === 'number') return options;
  const audit = auditLedgerFile(options.path, options.keys);
  process.stdout.write(options.json ? `${JSON.stringify(audit)}\n` : `${report(options.path, audit)}\n`);
  return audit.ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
