// A deliberately naive second implementation of RFC 6962 §2.1 (MTH, PATH, PROOF and
// SUBPROOF written as the RFC's recursive definitions, on node:crypto), to check the
// real implementation against. Subtree roots are memoised by leaf range so that checking
// every (index, size) pair up to 256 leaves stays fast.
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class ReferenceTree {
  readonly #memo = new Map<string, Buffer>();

  constructor(private readonly leaves: readonly Uint8Array[]) {}

  /** MTH(D[begin:end]). */
  mth(begin: number, end: number): Buffer {
    const key = `${begin}:${end}`;
    const cached = this.#memo.get(key);
    if (cached !== undefined) return cached;
    const n = end - begin;
    let hash: Buffer;
    if (n === 0) hash = sha256();
    else if (n === 1) hash = sha256(Uint8Array.of(0), this.leaves[begin] as Uint8Array);
    else {
      const k = largestPowerOfTwoBelow(n);
      hash = sha256(Uint8Array.of(1), this.mth(begin, begin + k), this.mth(begin + k, end));
    }
    this.#memo.set(key, hash);
    return hash;
  }

  /** PATH(m, D[0:size]). */
  path(m: number, size: number): Buffer[] {
    return this.#path(m, 0, size);
  }

  #path(m: number, begin: number, end: number): Buffer[] {
    const n = end - begin;
    if (n === 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...this.#path(m, begin, begin + k), this.mth(begin + k, end)];
    return [...this.#path(m - k, begin + k, end), this.mth(begin, begin + k)];
  }

  /** PROOF(m, D[0:size]). */
  proof(m: number, size: number): Buffer[] {
    return this.#subproof(m, 0, size, true);
  }

  #subproof(m: number, begin: number, end: number, whole: boolean): Buffer[] {
    const n = end - begin;
    if (m === n) return whole ? [] : [this.mth(begin, end)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...this.#subproof(m, begin, begin + k, whole), this.mth(begin + k, end)];
    return [...this.#subproof(m - k, begin + k, end, false), this.mth(begin, begin + k)];
  }
}
