#!/usr/bin/env -S node --import tsx
// fareledger-verify: checks an e-invoice offline, with nothing but the ledger's verifier
// key(s). Exit 0 valid, 1 invalid (with the reason), 2 usage error.
//
//   fareledger-verify invoice.json --key <verifier key> [--key ...] [--since <checkpoint file>] [--log <name>] [--json]
import { parseArgs } from 'node:util';
import type { VerifierKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { formatFen } from '@fareledger/domain';
import { nodeHasher } from '@fareledger/merkle/node-hasher';
import { InvoiceInvalidError, type InvoiceVerification, verifyInvoice } from '@fareledger/invoice';
import { keysOf, optionsOrExit, readText, UsageError } from './cli-keys.js';

const usage = `usage: fareledger-verify <invoice.json | -> --key <verifier key | file of keys> [--key ...] [--since <checkpoint file>] [--log <log name>] [--json]

Checks an invoice offline: every proof against a checkpoint signed by one of the keys,
the entries in the proofs, and every field the ledger binds. The keys are note verifier
keys (<name>+<hash>+<base64 key>), as GET /v1/keys lists them; get them once, from a
source you trust. --since: a signed checkpoint you kept; the invoice must then carry a
consistency proof with it (fetch the invoice with ?since=<its tree size>).

exit status: 0 valid, 1 invalid (the reason is printed), 2 usage error
`;

interface CliOptions {
  readonly document: string;
  readonly keys: readonly VerifierKey[];
  readonly since?: string;
  readonly logName?: string;
  readonly json: boolean;
}

function parseCli(argv: readonly string[]): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv], allowPositionals: true,
      options: { key: { type: 'string', multiple: true }, since: { type: 'string' }, log: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the invoice file (or - for standard input)' : 'one invoice at a time');
  if (values.key === undefined || values.key.length === 0) throw new UsageError('give the ledger\'s verifier key with --key');
  return {
    document: readText(positionals[0]!, 'invoice'),
    keys: values.key.flatMap(keysOf),
    ...(values.since === undefined ? {} : { since: readText(values.since, 'checkpoint') }),
    ...(values.log === undefined ? {} : { logName: values.log }),
    json: values.json,
  };
}

function report(result: InvoiceVerification): string {
  return [
    `valid: ${result.kind === 'red' ? 'red-letter credit' : 'invoice'} ${result.number}, total ${formatFen(result.totalFen)} yuan`,
    `  in ${result.origin} at tree size ${result.treeSize}, checkpoint signed by ${result.signedBy.join(', ')}`,
    ...(result.sinceTreeSize === undefined ? [] : [`  consistent with the checkpoint you kept (tree size ${result.sinceTreeSize})`]),
    `  taken as stated (not bound by the ledger): ${result.statedNotBound.join(', ')}`,
  ].join('\n');
}

function main(argv: readonly string[]): number {
  const options = optionsOrExit('fareledger-verify', usage, () => parseCli(argv));
  if (typeof options === 'number') return options;
  let document: unknown;
  try {
    document = JSON.parse(options.document);
  } catch (error) {
    return invalid(options, 'malformed', `not JSON: ${(error as Error).message}`);
  }
  try {
    const result = verifyInvoice(document, {
      verifierKeys: options.keys, ed25519: ed25519Node, hasher: nodeHasher,
      ...(options.since === undefined ? {} : { since: options.since }), ...(options.logName === undefined ? {} : { logName: options.logName }),
    });
    process.stdout.write(options.json ? `${JSON.stringify({ valid: true, ...result })}\n` : `${report(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof InvoiceInvalidError) return invalid(options, error.reason, error.message);
    throw error;
  }
}

function invalid(options: CliOptions, reason: string, message: string): number {
  process.stdout.write(options.json ? `${JSON.stringify({ valid: false, reason, message })}\n` : `invalid (${reason}): ${message}\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
