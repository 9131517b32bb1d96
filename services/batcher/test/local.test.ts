// Ingest and the batcher on the embedded tap log, in process, on real files: every tap
// posted (retries included) is sealed exactly once, every trip equals a from-scratch replay
// of the log, every chain verifies; a restarted batcher continues without repeating.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LedgerReader } from '@fareledger/ledger';
import { silentLogger } from '@fareledger/runtime';
import { LocalTapLog } from '@fareledger/tap-log';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIngestConfig } from '../../ingest/src/config.js';
import { startIngest } from '../../ingest/src/service.js';
import { type Device, postTaps, registerDevice } from '../../ingest/test/ingest-client.js';
import { loadBatcherConfig } from '../src/config.js';
import { startBatcher } from '../src/service.js';
import { cityTaps } from './city-taps.js';
import { checkLedger } from './ledger-check.js';

const dir = mkdtempSync(path.join(tmpdir(), 'batcher-local-'));
const adminToken = randomBytes(32).toString('base64url');
const paths = {
  TAP_LOG_PATH: path.join(dir, 'taps.db'),
  LEDGER_PATH: path.join(dir, 'ledger.db'),
  LEDGER_SIGNING_KEY_PATH: path.join(dir, 'signing.key'),
};

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function batcherConfig() {
  return loadBatcherConfig({ ...paths, BATCHER_PORT: '0', BATCHER_DEV_CREATE_KEY: 'true', BATCHER_SEAL_AGE_MS_MAX: '50', BATCHER_POLL_MS: '5', BATCHER_ENTRIES_PER_BLOCK_MAX: '500' });
}

async function waitUntilSealed(partitions: number): Promise<void> {
  const log = LocalTapLog.open(paths.TAP_LOG_PATH, partitions);
  const ends = log.endOffsets();
  await log.close();
  for (let waitedMs = 0; waitedMs < 60_000; waitedMs += 50) {
    const reader = LedgerReader.open({ path: paths.LEDGER_PATH });
    const done = ends.every((end, chain) => end === 0 || reader.chain(chain)?.nextOffset === end);
    reader.close();
    if (done) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the batcher did not seal the whole log within 60 s');
}

describe('batcher on the embedded log', () => {
  it('seals 3,000 taps (with retried duplicates) exactly once, equal to a replay, every chain verified; a restart continues', async () => {
    const ingest = await startIngest(
      loadIngestConfig({ ...paths, INGEST_PORT: '0', INGEST_ADMIN_TOKEN: adminToken, INGEST_DEVICES_PATH: path.join(dir, 'devices.db') }),
      { logger: silentLogger() },
    );
    const batcher = await startBatcher(batcherConfig(), { logger: silentLogger() });
    try {
      const devices: Record<'gate' | 'bus' | 'taxi', Device> = {
        gate: await registerDevice(ingest.url, adminToken, 'gate-1', 'szmc', 'metro'),
        bus: await registerDevice(ingest.url, adminToken, 'bus-1', 'szbus', 'bus'),
        taxi: await registerDevice(ingest.url, adminToken, 'taxi-1', 'sztaxi', 'taxi'),
      };
      const taps = cityTaps(3000, 300, Date.now(), { gate: 'gate-1', bus: 'bus-1', taxi: 'taxi-1' });
      for (let index = 0; index < taps.length; index += 1) {
        const { device, tap } = taps[index]!;
        const response = await postTaps(ingest.url, devices[device], [tap]);
        expect(response.status).toBe(202);
        // Every 10th tap is retried, as a device does when an answer is lost.
        if (index % 10 === 0) expect((await postTaps(ingest.url, devices[device], [tap])).status).toBe(202);
      }
      await waitUntilSealed(4);
    } finally {
      await batcher.stop();
      await ingest.stop();
    }
    const log = LocalTapLog.open(paths.TAP_LOG_PATH, 4);
    const records = log.endOffsets().map((end, partition) => (end === 0 ? [] : log.read(partition, 0, end)));
    await log.close();
    const check = checkLedger(paths.LEDGER_PATH, records);
    expect(check.tapsInLog).toBe(3300);
    expect(check.uniqueTaps).toBe(3000);
    expect(check.tapsInLedger).toBe(3000);
    // Which trips, and their fares, are checked entry by entry against the replay below.
    expect(check.tripsInLedger).toBeGreaterThan(1500);
    expect(check.mismatches).toEqual([]);
    expect(check.chainFailures).toEqual([]);

    // A restart reads from the stored offsets: nothing more to seal, nothing sealed twice.
    const again = await startBatcher(batcherConfig(), { logger: silentLogger() });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await again.stop();
    expect(checkLedger(paths.LEDGER_PATH, records)).toEqual(check);
  });
});
