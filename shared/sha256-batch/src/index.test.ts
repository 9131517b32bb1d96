import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { mulberry32 } from '@fareledger/domain';
import { describe, expect, it } from 'vitest';
import { endToEnd, sha256PrefixedEach, sha256PrefixedInto } from './index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const reference = (prefix: number, message: Uint8Array) => createHash('sha256').update(Uint8Array.of(prefix)).update(message).digest('hex');

function randomMessages(count: number, lengthMax: number, seed: number): Uint8Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Uint8Array.from({ length: Math.floor(random() * (lengthMax + 1)) }, () => Math.floor(random() * 256)));
}

describe('sha256PrefixedEach', () => {
  it('gives RFC 6962 hashes: the leaf hash of the empty entry, and a node hash', () => {
    // RFC 6962 test vectors (as in Certificate Transparency's merkle tests): leaf "" and the node of two of them.
    const emptyLeaf = sha256PrefixedEach(0, [new Uint8Array(0)]);
    expect(hex(emptyLeaf)).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    const node = sha256PrefixedEach(1, [Buffer.concat([emptyLeaf, emptyLeaf])]);
    expect(hex(node)).toBe(reference(1, Buffer.concat([emptyLeaf, emptyLeaf])));
  });

  it('equals node:crypto for 5,000 random messages of 0-600 bytes, with each prefix', () => {
    for (const [prefix, seed] of [[0, 1], [1, 2], [255, 3]] as const) {
      const messages = randomMessages(5_000, 600, seed);
      const digests = sha256PrefixedEach(prefix, messages);
      expect(digests.length).toBe(32 * messages.length);
      messages.forEach((message, i) => expect(hex(digests.subarray(32 * i, 32 * i + 32))).toBe(reference(prefix, message)));
    }
  });

  it('takes views (byteOffset) and grows its scratch buffers past 64 KiB and 4,096 messages', () => {
    const backing = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    const messages = Array.from({ length: 5_000 }, (_, i) => backing.subarray(i * 37, i * 37 + 30));
    const digests = sha256PrefixedEach(0, messages);
    expect(hex(digests.subarray(32 * 4_999))).toBe(reference(0, messages[4_999]!));
    expect(sha256PrefixedEach(0, [])).toEqual(new Uint8Array(0));
  });
});

describe('sha256PrefixedInto', () => {
  const bytes = Uint8Array.of(1, 2, 3, 4, 5);
  const out = new Uint8Array(64);

  it('takes messages laid out by endToEnd as sha256PrefixedEach hashes them', () => {
    const messages = randomMessages(300, 90, 4);
    const { bytes, ends } = endToEnd(messages);
    expect(ends.length).toBe(300);
    expect(bytes.length).toBe(ends[299]);
    const digests = new Uint8Array(32 * 300);
    sha256PrefixedInto(0, bytes, ends, digests);
    expect(digests).toEqual(sha256PrefixedEach(0, messages));
  });

  it('hashes bytes[ends[i - 1], ends[i]), empty messages included', () => {
    sha256PrefixedInto(1, bytes, Uint32Array.of(2, 2), out);
    expect(hex(out.subarray(0, 32))).toBe(reference(1, bytes.subarray(0, 2)));
    expect(hex(out.subarray(32))).toBe(reference(1, new Uint8Array(0)));
  });

  it('refuses bad arguments before hashing anything', () => {
    const untouched = new Uint8Array(64);
    const cases: [unknown[], RegExp][] = [
      [[-1, bytes, Uint32Array.of(5), untouched], /prefix must be an integer 0\.\.255/],
      [[256, bytes, Uint32Array.of(5), untouched], /prefix must be an integer 0\.\.255/],
      [[0.5, bytes, Uint32Array.of(5), untouched], /prefix must be an integer 0\.\.255/],
      [['0', bytes, Uint32Array.of(5), untouched], /prefix must be a number/],
      [[0, [1, 2], Uint32Array.of(2), untouched], /bytes must be a Uint8Array/],
      [[0, bytes, Uint8Array.of(5), untouched], /ends must be a Uint32Array/],
      [[0, bytes, Uint32Array.of(5), new Uint16Array(32)], /out must be a Uint8Array/],
      [[0, bytes, Uint32Array.of(1, 2, 3), untouched], /out must hold 32 bytes per message/],
      [[0, bytes, Uint32Array.of(3, 2), untouched], /ends must be non-decreasing and within bytes/],
      [[0, bytes, Uint32Array.of(1, 6), untouched], /ends must be non-decreasing and within bytes/],
    ];
    for (const [args, message] of cases) {
      expect(() => (sha256PrefixedInto as (...a: unknown[]) => void)(...args)).toThrow(message);
    }
    expect(untouched).toEqual(new Uint8Array(64));
  });
});

it('loads and hashes in worker threads too (a context-aware addon), alongside the main thread', async () => {
  const addonPath = fileURLToPath(new URL('../build/Release/sha256_batch.node', import.meta.url));
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require(workerData);
    const out = new Uint8Array(32);
    addon.sha256Prefixed(0, Uint8Array.of(7, 7, 7), Uint32Array.of(3), out);
    parentPort.postMessage(Buffer.from(out).toString('hex'));`;
  const results = await Promise.all([0, 1].map(() => new Promise<string>((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: addonPath });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  expect(results).toEqual([reference(0, Uint8Array.of(7, 7, 7)), reference(0, Uint8Array.of(7, 7, 7))]);
});
