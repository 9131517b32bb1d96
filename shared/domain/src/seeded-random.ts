/**
 * mulberry32: a small seeded PRNG giving floats in [0, 1), so a generated test case, a
 * benchmark's workload or a simulated city can be re-run from its seed. Not for secrets.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Integers in [0, n) from mulberry32(seed): the seeded choices of a fault test or a workload. */
export function seededIntegers(seed: number): (n: number) => number {
  const next = mulberry32(seed);
  return (n) => Math.floor(next() * n);
}
