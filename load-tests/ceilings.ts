import { hash, randomBytes } from 'node:crypto';
import { formatEventTime } from '@fareledger/domain';
import { endToEnd, sha256PrefixedInto } from '@fareledger/sha256-batch';
import autocannon from 'autocannon';
import { startChild } from './processes.js';
import { signedPost } from './signing.js';

// This machine's ceilings, measured in the same run as the figures compared with them:
//   echo     hono on @hono/node-server answering a signed single tap with its body: the HTTP
//            ceiling of every request figure (the same stack, no work)
//   SHA-256  leaf hashes a second on one core, with the native batch hasher the ledger uses
//            (and node:crypto one call a leaf, for scale): the ceiling of every sealing figure

export interface Ceilings {
  readonly echo: { readonly requestsPerS: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly sha256: { readonly leafHashesPerS: number; readonly nodeCryptoLeafHashesPerS: number; readonly leafBytes: number };
}

export async function measureCeilings(seconds: number, connections: number): Promise<Ceilings> {
  const sha256 = measureSha256();
  const echo = await startChild('load-tests/echo-server.ts', {}, 'echo listening');
  try {
    const device = { deviceId: 'echo', keyId: 'k1', secret: randomBytes(32) };
    let sequence = 0;
    const setupRequest = (request: Record<string, unknown>) => {
      sequence += 1;
      const body = Buffer.from(JSON.stringify({
        tapId: `echo-${sequence}`, deviceId: 'echo', operatorId: 'szmc', account: `wa_echo_${sequence % 20_000}`, mode: 'metro', kind: 'in', stationId: 'L1-S01', eventTime: formatEventTime(Date.now(), 480),
      }));
      return signedPost(request, device, '/echo', body);
    };
    const options = { url: `${echo.url}/echo`, connections, method: 'POST' as const, requests: [{ method: 'POST' as const, setupRequest: setupRequest as never }] };
    await autocannon({ ...options, duration: 2 });
    const result = await autocannon({ ...options, duration: seconds });
    return { echo: { requestsPerS: result['2xx'] / result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99 }, sha256 };
  } finally {
    await echo.stop();
  }
}

/** Leaf hashes of 200 000 tap-entry-sized leaves (160 bytes), best of three passes. */
function measureSha256(): Ceilings['sha256'] {
  const leafBytes = 160;
  const leaves = Array.from({ length: 200_000 }, () => randomBytes(leafBytes));
  const blocks = [];
  for (let at = 0; at < leaves.length; at += 4096) {
    const { bytes, ends } = endToEnd(leaves.slice(at, at + 4096));
    blocks.push({ bytes, ends, out: new Uint8Array(32 * ends.length) });
  }
  let best = 0;
  for (let pass = 0; pass < 3; pass++) {
    const startedMs = performance.now();
    for (const { bytes, ends, out } of blocks) sha256PrefixedInto(0, bytes, ends, out);
    best = Math.max(best, leaves.length / ((performance.now() - startedMs) / 1000));
  }
  const prefix = Uint8Array.of(0);
  const startedMs = performance.now();
  for (const leaf of leaves) hash('sha256', Buffer.concat([prefix, leaf]));
  return { leafHashesPerS: best, nodeCryptoLeafHashesPerS: leaves.length / ((performance.now() - startedMs) / 1000), leafBytes };
}
