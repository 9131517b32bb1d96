import { readFileSync } from 'node:fs';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionOf, toPositive } from './murmur2.js';

type Vectors = { vectors: { key: string; hash: number; source: string }[] };
const { vectors } = JSON.parse(
  readFileSync(new URL('../testdata/murmur2-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('murmur2 (Kafka vectors)', () => {
  it('has the 12 published vectors', () => {
    expect(vectors.length).toBe(12);
  });

  it.each(vectors)('murmur2($key) = $hash', ({ key, hash }) => {
    expect(murmur2(utf8(key))).toBe(hash);
  });

  it.each(vectors)('partitionOf($key, 4) = toPositive(hash) % 4', ({ key, hash }) => {
    expect(partitionOf(key, 4)).toBe((hash & 0x7fffffff) % 4);
  });

  it('covers every length mod 4 (the tail bytes) in the vectors', () => {
    expect(new Set(vectors.map(({ key }) => utf8(key).length % 4))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('toPositive clears the sign bit, including for -2^31', () => {
    expect([toPositive(-2_147_483_648), toPositive(-1), toPositive(0), toPositive(2_147_483_647)])
      .toEqual([0, 2_147_483_647, 0, 2_147_483_647]);
  });

  it('mutated inputs give other hashes (one byte flipped, one byte added)', () => {
    const base = utf8('a-little-bit-long-string');
    const flipped = Uint8Array.from(base);
    flipped[5] = flipped[5]! ^ 1;
    expect(murmur2(flipped)).not.toBe(-985981536);
    expect(murmur2(utf8('a-little-bit-long-string!'))).not.toBe(-985981536);
  });
});

// A small deterministic generator (xorshift32), so a failure names a reproducible key.
function* keys(count: number): Generator<string> {
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  // ASCII, 2-byte (é), 3-byte (中, U+FFFD) and 4-byte (🚇) UTF-8, and a lone surrogate,
  // which both TextEncoder and Buffer turn into U+FFFD.
  const alphabet = ['a', 'Z', '0', '-', '/', '+', '=', 'é', 'ß', '中', '文', '🚇', '\u{10FFFF}', '\uD800', '\u00FF'];
  for (let i = 0; i < count; i++) {
    const length = next() % 120;
    let key = '';
    for (let j = 0; j < length; j++) key += alphabet[next() % alphabet.length];
    yield key;
  }
  yield 'x'.repeat(400); // past partitionOf's reused 1 KiB buffer: the encode() path
  yield '中'.repeat(400);
}

function kafkajsPartition(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1], offlineReplicas: [],
  }));
  const args: PartitionerArgs = { topic: 'fare.taps', partitionMetadata, message: { key, value: 'v' } };
  return partitioner(args);
}

describe('partitionOf agrees with kafkajs Partitioners.DefaultPartitioner', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 16, 31, 100])('on 5,000 keys with %i partitions', (partitions) => {
    const mismatches: string[] = [];
    const seen = new Set<number>();
    for (const key of keys(5_000)) {
      const ours = partitionOf(key, partitions);
      seen.add(ours);
      if (ours !== kafkajsPartition(key, partitions)) mismatches.push(JSON.stringify(key));
    }
    expect(mismatches).toEqual([]);
    // The keys spread over every partition, so the comparison exercised all of them.
    expect(seen.size).toBe(partitions);
  });

  it('on 5,000 keys with 1,000 partitions (the most a tap log allows)', () => {
    const mismatches = [...keys(5_000)].filter((key) => partitionOf(key, 1_000) !== kafkajsPartition(key, 1_000));
    expect(mismatches).toEqual([]);
  });

  it('account tokens of the ledger (base64url, 43 chars) land on all 4 partitions', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4_000; i++) {
      const token = Buffer.from(`account-${i}`).toString('base64url').padEnd(43, 'A');
      const partition = partitionOf(token, 4);
      expect(partition).toBe(kafkajsPartition(token, 4));
      counts[partition]!++;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });
});
