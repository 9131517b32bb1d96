import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessFileModeError, AccessRegistry, tokenPattern } from './access-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'access-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AccessRegistry', () => {
  it('issues wallet and auditor tokens and knows who each is', () => {
    const access = AccessRegistry.open({ path: join(dir, 'a.db'), refreshMs: 0 });
    const wallet = access.issue({ role: 'wallet', account: 'wa_1', label: 'phone' });
    const auditor = access.issue({ role: 'auditor' });
    expect(wallet.token).toMatch(tokenPattern);
    expect(wallet.token.startsWith('flw_') && auditor.token.startsWith('fla_')).toBe(true);
    expect(access.authenticate(wallet.token)).toEqual({ tokenId: wallet.record.tokenId, role: 'wallet', account: 'wa_1' });
    expect(access.authenticate(auditor.token)).toEqual({ tokenId: auditor.record.tokenId, role: 'auditor', account: null });
    expect(access.authenticate(`flw_${'x'.repeat(43)}`)).toBeUndefined();
    expect(access.authenticate('')).toBeUndefined();
    expect(access.list({ account: 'wa_1', limit: 10 }).map((t) => t.tokenId)).toEqual([wallet.record.tokenId]);
    access.close();
  });

  it('stops a revoked token at once here, and within refreshMs in another process', () => {
    const path = join(dir, 'b.db');
    let nowMs = 0;
    const here = AccessRegistry.open({ path, refreshMs: 1_000, nowMs: () => nowMs });
    const there = AccessRegistry.open({ path, refreshMs: 1_000, nowMs: () => nowMs });
    const { token, record } = here.issue({ role: 'wallet', account: 'wa_2' });
    expect(there.authenticate(token)?.account).toBe('wa_2');
    here.revoke(record.tokenId);
    expect(here.authenticate(token)).toBeUndefined();
    expect(there.authenticate(token)?.account).toBe('wa_2'); // cached until its next refresh
    nowMs += 1_000;
    expect(there.authenticate(token)).toBeUndefined();
    expect(here.token(record.tokenId)?.revokedAtMs).toBe(0);
    here.close();
    there.close();
  });

  it('refuses a file others can read', () => {
    const path = join(dir, 'c.db');
    AccessRegistry.open({ path, refreshMs: 0 }).close();
    chmodSync(path, 0o644);
    expect(() => AccessRegistry.open({ path, refreshMs: 0 })).toThrow(AccessFileModeError);
  });
});
