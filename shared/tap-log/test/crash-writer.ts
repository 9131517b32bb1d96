// Child process of the local log's crash test (contract.test.ts): appends batches to the
// local tap log as fast as it can, 64 appends in flight, and prints a batch's id on stdout
// only after its append resolved. The test SIGKILLs it mid-stream and then checks that every
// printed batch is in the file, whole. stdout is a pipe, which Node writes synchronously on
// Linux, so a printed id has reached the parent before the next line of this script runs.
//
// Usage: tsx shared/tap-log/test/crash-writer.ts <path>
// Batch b has 1 + b % 5 records keyed `acct-${(b * 7 + i) % 37}`, value `${b}:${i}`.
import { openTapLog } from '../src/index.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer.ts <path>');

const log = await openTapLog({ kind: 'local', path, partitions: 4, lingerMs: 1 });
const encoder = new TextEncoder();
let next = 0;

function crashBatch(batch: number): { key: string; value: Uint8Array; timestampMs: number }[] {
  return Array.from({ length: 1 + (batch % 5) }, (_, i) => ({
    key: `acct-${(batch * 7 + i) % 37}`,
    value: encoder.encode(`${batch}:${i}`),
    timestampMs: 1_700_000_000_000 + batch,
  }));
}

async function writer(): Promise<void> {
  for (;;) {
    const batch = next++;
    await log.append(crashBatch(batch));
    process.stdout.write(`${batch}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: 64 }, writer));
