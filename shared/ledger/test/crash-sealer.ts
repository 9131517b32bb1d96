// Child process of the SIGKILL test (src/crash.test.ts): seals blocks on 4 chains in a
// loop, as fast as it can, and prints `<chain> <height> <treeSize>` on stdout only after a
// seal returned (committed). The test SIGKILLs it mid-stream, then checks the file. stdout
// is a pipe, which Node writes synchronously on Linux, so a printed line has reached the
// parent before the next seal starts.
//
// Usage: tsx shared/ledger/test/crash-sealer.ts <path>
import { LedgerWriter } from '../src/writer.js';
import { block, chainEntries, keyA, logName } from './helpers.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-sealer.ts <path>');

const writer = LedgerWriter.open({ path, logName, signer: keyA, create: true });
process.stdout.write('ready\n');
for (let round = 0; ; round++) {
  const chain = round % 4;
  const state = writer.chainState(chain);
  const height = (state.blockHeight ?? -1) + 1;
  const count = 1 + ((round * 37) % 200);
  const sealed = writer.sealBlock(chain, block(chainEntries(chain, state.treeSize, count), state.nextOffset, height, count + (round % 3)));
  process.stdout.write(`${chain} ${sealed.blockHeight} ${sealed.treeSize}\n`);
}
