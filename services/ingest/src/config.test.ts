import { ConfigError } from '@fareledger/runtime';
import { describe, expect, it } from 'vitest';
import { loadIngestConfig } from './config.js';

const token = { INGEST_ADMIN_TOKEN: 'a'.repeat(32) };

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadIngestConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.env}: ${issue.reason}`);
    throw error;
  }
  return [];
}

describe('loadIngestConfig', () => {
  it('takes the documented defaults with only the admin token set', () => {
    const config = loadIngestConfig(token);
    expect([config.port, config.tapLog, config.batchTapsMax, config.bodyBytesMax, config.appendTimeoutMs, config.lingerMs]).toEqual([8081, 'local', 500, 524_288, 5000, 1]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable at once, and never shows the admin token', () => {
    expect(issuesOf({ INGEST_ADMIN_TOKEN: 'short', INGEST_PORT: '80a', TAP_LOG: 'redis', INGEST_PROT: '8080' })).toEqual([
      'INGEST_PORT: must be a decimal integer (digits, `_` allowed between digits)',
      'TAP_LOG: must be one of: local, kafka',
      'INGEST_ADMIN_TOKEN: must be 32 to 256 characters',
      'INGEST_PROT: unknown variable (misspelt?); see --help',
    ]);
    expect(issuesOf({})).toEqual(['INGEST_ADMIN_TOKEN: required, not set']);
  });

  it('refuses limits that contradict each other', () => {
    expect(issuesOf({ ...token, INGEST_BATCH_TAPS_MAX: '1000', INGEST_IN_FLIGHT_TAPS_MAX: '999', INGEST_GROUP_TAPS_MAX: '999' })).toEqual([
      'INGEST_IN_FLIGHT_TAPS_MAX: must be at least INGEST_BATCH_TAPS_MAX (1000), or a full batch could never be accepted',
      'INGEST_GROUP_TAPS_MAX: must be at least INGEST_BATCH_TAPS_MAX (1000): a batch is never split across appends',
    ]);
    expect(issuesOf({ ...token, INGEST_IN_FLIGHT_TAPS_MAX: '4000' })).toEqual([
      'INGEST_IN_FLIGHT_TAPS_MAX: must be at least INGEST_GROUP_TAPS_MAX (5000): a group is part of what is in flight',
    ]);
  });
});
