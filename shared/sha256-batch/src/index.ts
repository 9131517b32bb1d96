import { createRequire } from 'node:module';

// SHA-256(prefix || message) of many messages in one call, on Node's own OpenSSL, through
// a small N-API addon (native/sha256_batch.c) that npm ci builds with node-gyp. What it
// saves is node:crypto's cost per call (about 2 µs, ten times the SHA-256 of a ledger
// entry on this machine's SHA-NI): see bench/merkle.ts.

interface Addon {
  sha256Prefixed(prefix: number, bytes: Uint8Array, ends: Uint32Array, out: Uint8Array): void;
}

export const DIGEST_BYTES = 32;

function loadAddon(): Addon {
  const require = createRequire(import.meta.url);
  try {
    return require('../build/Release/sha256_batch.node') as Addon;
  } catch (error) {
    throw new Error(
      `@fareledger/sha256-batch: its native addon is not built (${(error as Error).message}). ` +
        'npm ci builds it with node-gyp (a C compiler and Node\'s headers, as for better-sqlite3); ' +
        'to rebuild: npm rebuild @fareledger/sha256-batch',
    );
  }
}

const addon = loadAddon();

/**
 * Writes SHA-256(prefix || message i) to out[32i, 32i + 32) for each message i, where
 * message i is bytes[ends[i - 1], ends[i]) (from 0 for the first). Throws TypeError or
 * RangeError, before hashing anything, for a prefix outside 0..255, ends that decrease or
 * pass the end of bytes, or an out shorter than 32 bytes a message.
 */
export function sha256PrefixedInto(prefix: number, bytes: Uint8Array, ends: Uint32Array, out: Uint8Array): void {
  addon.sha256Prefixed(prefix, bytes, ends, out);
}

/** Messages laid end to end in one buffer, reused between calls (one per thread: module state). */
let scratchBytes = new Uint8Array(64 * 1024);
let scratchEnds = new Uint32Array(4096);

function totalBytes(messages: readonly Uint8Array[]): number {
  let total = 0;
  for (const message of messages) total += message.length;
  return total;
}

/** Copies the messages end to end into `bytes`, and each one's end into `ends` (both large enough). */
function layInto(messages: readonly Uint8Array[], bytes: Uint8Array, ends: Uint32Array): void {
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    bytes.set(message, at);
    at += message.length;
    ends[i] = at;
  }
}

/** The messages end to end in new buffers, as sha256PrefixedInto takes them (benchmarks lay inputs out beforehand). */
export function endToEnd(messages: readonly Uint8Array[]): { bytes: Uint8Array; ends: Uint32Array } {
  const bytes = new Uint8Array(totalBytes(messages));
  const ends = new Uint32Array(messages.length);
  layInto(messages, bytes, ends);
  return { bytes, ends };
}

/**
 * SHA-256(prefix || message) of each message, as 32-byte digests end to end in a new
 * buffer. The messages are copied into one reused buffer first: one pass of memcpy is
 * cheap beside the hashing, and the addon then takes three arguments instead of an array.
 */
export function sha256PrefixedEach(prefix: number, messages: readonly Uint8Array[]): Uint8Array {
  const total = totalBytes(messages);
  if (total > scratchBytes.length) scratchBytes = new Uint8Array(Math.max(total, 2 * scratchBytes.length));
  if (messages.length > scratchEnds.length) scratchEnds = new Uint32Array(Math.max(messages.length, 2 * scratchEnds.length));
  layInto(messages, scratchBytes, scratchEnds);
  const out = new Uint8Array(DIGEST_BYTES * messages.length);
  addon.sha256Prefixed(prefix, scratchBytes.subarray(0, total), scratchEnds.subarray(0, messages.length), out);
  return out;
}
