import { createHash, randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { nobleHasher } from './hasher.js';
import { nodeHasher } from './node-hasher.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('SHA-256: @noble/hashes against node:crypto', () => {
  it('agrees on the FIPS 180-2 known answers', () => {
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(Buffer.from('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('agrees with node:crypto on every input length from 0 to 1,100 bytes', () => {
    for (let length = 0; length <= 1100; length++) {
      const data = randomBytes(length);
      expect(hex(sha256(data)), `length ${length}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('RFC 6962 hashers', () => {
  it('hash leaves as H(0x00 || leaf) and nodes as H(0x01 || left || right), on both SHA-256s', () => {
    for (let length = 0; length < 700; length += 7) {
      const leaf = randomBytes(length);
      const want = createHash('sha256').update(Buffer.of(0)).update(leaf).digest('hex');
      expect(hex(nobleHasher.hashLeaf(leaf))).toBe(want);
      expect(hex(nodeHasher.hashLeaf(leaf))).toBe(want);
    }
    const left = randomBytes(32);
    const right = randomBytes(32);
    const want = createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest('hex');
    expect(hex(nobleHasher.hashChildren(left, right))).toBe(want);
    expect(hex(nodeHasher.hashChildren(left, right))).toBe(want);
  });

  it('returns a fresh digest each call, so scratch buffers are never shared with callers', () => {
    const a = nodeHasher.hashLeaf(Buffer.from('a'));
    const b = nodeHasher.hashLeaf(Buffer.from('b'));
    expect(hex(a)).toBe(createHash('sha256').update(Buffer.from('\x00a')).digest('hex'));
    expect(hex(a)).not.toBe(hex(b));
    const root = nobleHasher.emptyRoot();
    root[0] = 0;
    expect(hex(nobleHasher.emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('refuses node hashes that are not 32 bytes', () => {
    expect(() => nobleHasher.hashChildren(new Uint8Array(31), new Uint8Array(32))).toThrow(TypeError);
    expect(() => nodeHasher.hashChildren(new Uint8Array(32), new Uint8Array(33))).toThrow(TypeError);
  });

  it('hash batches as one by one: hashLeaves and hashChildPairs on both hashers', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => randomBytes(i % 3 === 0 ? 0 : 40 + i));
    const pairs = randomBytes(64 * 77);
    for (const hasher of [nobleHasher, nodeHasher]) {
      const leafHashes = hasher.hashLeaves(leaves);
      expect(leafHashes.length).toBe(32 * leaves.length);
      leaves.forEach((leaf, i) => expect(hex(leafHashes.subarray(32 * i, 32 * i + 32))).toBe(hex(nobleHasher.hashLeaf(leaf))));
      const nodeHashes = hasher.hashChildPairs(pairs);
      expect(nodeHashes.length).toBe(32 * 77);
      for (let i = 0; i < 77; i++) {
        const want = nobleHasher.hashChildren(pairs.subarray(64 * i, 64 * i + 32), pairs.subarray(64 * i + 32, 64 * i + 64));
        expect(hex(nodeHashes.subarray(32 * i, 32 * i + 32))).toBe(hex(want));
      }
      expect(hasher.hashLeaves([])).toEqual(new Uint8Array(0));
      expect(() => hasher.hashChildPairs(new Uint8Array(65))).toThrow(TypeError);
    }
    expect(hex(nodeHasher.emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
