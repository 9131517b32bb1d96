import { readFileSync } from 'node:fs';
import { base64DecodeStrict, parseVerifierKey } from '@fareledger/checkpoint';
import { ed25519Node } from '@fareledger/checkpoint/node-ed25519';
import { type Invoice, verifyInvoice } from '@fareledger/invoice';
import { nodeHasher } from '@fareledger/merkle/node-hasher';

// The verify figures of load:invoice, in a process of their own (the load script's heap,
// a whole ledger's entries, would slow the verifier's garbage collection and not the raw
// loop's): verifyInvoice per second on this thread, and the raw limit of the same
// invoices, one Ed25519 verification of the checkpoint and the SHA-256 hashes of their
// proofs (each leaf, each audit-path node as given), with the same node:crypto primitives
// and nothing else. Prints one JSON line.
//
//   node --import tsx load-tests/verify-bench.ts <sample.json: { key, sample: Invoice[] }>

const { key, sample } = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { key: string; sample: Invoice[] };
const keys = [parseVerifierKey(key)];
const roundMs = 250;
const rounds = 12;

/** Runs `run` for roundMs after a warm-up; returns how many calls and how long. */
function round(run: (i: number) => void, warm: boolean): { count: number; ms: number } {
  if (warm) for (let i = 0; i < 2_000; i++) run(i);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < roundMs) run(count++);
  return { count, ms: performance.now() - started };
}

/**
 * Both loops per second, measured in alternating rounds so that this machine's drift
 * (other tenants, CPU frequency) weighs on both alike rather than on whichever ran second.
 */
function rates(a: (i: number) => void, b: (i: number) => void): [number, number] {
  const totals = [{ count: 0, ms: 0 }, { count: 0, ms: 0 }];
  for (let r = 0; r < rounds; r++) {
    [a, b].forEach((run, k) => {
      const { count, ms } = round(run, r === 0);
      totals[k]!.count += count;
      totals[k]!.ms += ms;
    });
  }
  return [totals[0]!.count / (totals[0]!.ms / 1000), totals[1]!.count / (totals[1]!.ms / 1000)];
}

const options = { verifierKeys: keys, ed25519: ed25519Node, hasher: nodeHasher };
const verify = (i: number): void => {
  verifyInvoice(sample[i % sample.length], options);
};

const raw = sample.map((invoice) => {
  const note = invoice.proofs.trip.checkpoint;
  const blank = note.indexOf('\n\n');
  const signatureLine = note.slice(blank + 2).split('\n')[0]!;
  const bundles = [invoice.proofs.trip, ...invoice.proofs.taps];
  return {
    text: new TextEncoder().encode(note.slice(0, blank + 1)),
    signature: base64DecodeStrict(signatureLine.slice(signatureLine.lastIndexOf(' ') + 1))!.subarray(4),
    leaves: bundles.map((bundle) => base64DecodeStrict(bundle.leaf)!),
    nodeHashes: bundles.reduce((sum, bundle) => sum + bundle.hashes.length, 0),
  };
});
const left = new Uint8Array(32);
const right = new Uint8Array(32);
const rawLimit = (i: number): void => {
  const work = raw[i % raw.length]!;
  if (!ed25519Node.verify(keys[0]!.publicKey, work.text, work.signature)) throw new Error('raw limit: a signature does not verify');
  for (const leaf of work.leaves) nodeHasher.hashLeaf(leaf);
  for (let n = 0; n < work.nodeHashes; n++) nodeHasher.hashChildren(left, right);
};
const [verificationsPerS, limitPerS] = rates(verify, rawLimit);
const hashesPerInvoice = raw.reduce((sum, work) => sum + work.leaves.length + work.nodeHashes, 0) / raw.length;
process.stdout.write(`${JSON.stringify({ verificationsPerS, limitPerS, hashesPerInvoice })}\n`);
