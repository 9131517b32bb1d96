import { base64Encode } from '@fareledger/checkpoint';
import { examples } from '@fareledger/domain';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { InvoiceInvalidError, type InvoiceInvalidReason } from './errors.js';
import type { Invoice } from './invoice.js';
import { parseTlogProof } from './proof-bundle.js';
import { metroInvoice, otherSigner, refundInvoice, testLogName, testVerifier } from './test-log.js';
import { statedNotBound, verifyInvoice } from './verify.js';

const options = { verifierKeys: [testVerifier] };

function reasonOf(document: unknown, opts: Parameters<typeof verifyInvoice>[1] = options): InvoiceInvalidReason | 'valid' {
  try {
    verifyInvoice(document, opts);
    return 'valid';
  } catch (error) {
    if (error instanceof InvoiceInvalidError) return error.reason;
    throw error;
  }
}

/** A deep copy with the value at `path` (dot/bracket-free segments) replaced. */
function withValue(invoice: Invoice, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(invoice) as unknown as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}

/** Every leaf path of a JSON value. */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => leafPaths((value as Record<string | number, unknown>)[key], [...prefix, key]));
}

/** A value of the same type that differs: another number, a string with one character changed. */
function altered(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') {
    if (value.length === 0) return 'x';
    const i = Math.floor(value.length / 2);
    const c = value[i]!;
    const swap = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : /[a-f]/.test(c) ? (c === 'f' ? 'e' : 'f') : c === 'A' ? 'B' : 'A';
    return value.slice(0, i) + swap + value.slice(i + 1);
  }
  return value;
}

describe('verifyInvoice', () => {
  const { log, invoice, sealed } = metroInvoice();

  it('accepts an invoice as issued, and says what it checked', () => {
    const result = verifyInvoice(JSON.parse(JSON.stringify(invoice)), options);
    expect(result).toEqual({
      number: invoice.number,
      kind: 'blue',
      chain: 3,
      origin: `${testLogName}/chain/3`,
      treeSize: 4,
      totalFen: 500,
      signedBy: ['fareledger.test/szm-key'],
      statedNotBound,
    });
    expect(invoice.number).toBe('26000030000000000003');
    expect(invoice.amounts).toEqual({ fareFen: 500, discountFen: 0, totalFen: 500, vatRateBp: 900, netFen: 459, taxFen: 41 });
    expect(invoice.item).toMatchObject({ from: { stationId: 'L1-S07', name: 'Gangxia' }, to: { stationId: 'L1-S19', name: 'Taoyuan' }, startAt: '2026-03-02T08:15:30.250+08:00' });
    expect(invoice.issuedAt).toBe('2026-03-02T08:41:06.080+08:00'); // the tap-out + 180 ms
  });

  it('carries each proof also as a tlog-proof@v1 text', () => {
    const parsed = parseTlogProof(invoice.proofs.trip.tlogProof)!;
    expect(parsed.logIndex).toBe(3);
    expect(parsed.hashes.map((hash) => bytesToHex(hash))).toEqual(invoice.proofs.trip.hashes);
    expect(parsed.checkpoint).toBe(invoice.proofs.trip.checkpoint);
    expect(invoice.proofs.trip.tlogProof.split('\n').slice(0, 2)).toEqual(['c2sp.org/tlog-proof@v1', 'index 3']);
  });

  describe('rejects a change to any field of any proof bundle', () => {
    const bundles = [['trip'], ['taps', 0], ['taps', 1]] as const;
    const cases = bundles.flatMap((bundle) => {
      const value = bundle.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], invoice.proofs);
      return leafPaths(value).map((path) => ['proofs', ...bundle, ...path]);
    });
    it.each(cases.map((path) => [path.join('.'), path] as const))('%s', (_name, path) => {
      const original = path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], invoice);
      expect(reasonOf(withValue(invoice, path, altered(original)))).not.toBe('valid');
    });
  });

  describe('rejects a change to any field the ledger binds', () => {
    const bound = leafPaths(invoice).filter((path) => path[0] !== 'proofs' && !statedNotBound.includes(path.join('.')));
    it.each(bound.map((path) => [path.join('.'), path] as const))('%s', (_name, path) => {
      const original = path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], invoice);
      expect(reasonOf(withValue(invoice, path, altered(original)))).not.toBe('valid');
    });
  });

  it('takes the stated seller name and VAT rate as stated, but recomputes the VAT split', () => {
    expect(reasonOf(withValue(invoice, ['seller', 'name'], 'Someone Else Ltd.'))).toBe('valid');
    const rate = withValue(invoice, ['amounts', 'vatRateBp'], 600) as Invoice;
    expect(reasonOf(rate)).toBe('mismatch');
    expect(reasonOf(withValue(rate, ['amounts'], { ...rate.amounts, netFen: 472, taxFen: 28 }))).toBe('valid');
  });

  it.each<[string, (i: Invoice) => unknown, InvoiceInvalidReason]>([
    ['an unknown field', (i) => ({ ...i, note: 'x' }), 'malformed'],
    ['a missing field', (i) => ({ ...i, issuedAt: undefined }), 'malformed'],
    ['not an object', () => 'invoice', 'malformed'],
    ['a leaf that is not base64', (i) => withValue(i, ['proofs', 'trip', 'leaf'], '!!!!'), 'malformed'],
    ['the taps swapped', (i) => withValue(i, ['proofs', 'taps'], [i.proofs.taps[1], i.proofs.taps[0]]), 'mismatch'],
    ['a tap missing', (i) => withValue(i, ['proofs', 'taps'], [i.proofs.taps[0]]), 'mismatch'],
    ['the trip proof pointing at a tap', (i) => withValue(i, ['proofs', 'trip'], i.proofs.taps[0]), 'leaf'],
    ['an unrelated tap (the bus tap at index 0)', (i) => withValue(i, ['proofs', 'taps', 0], log.bundle(0, log.checkpoints[0]!, 4)), 'mismatch'],
    ['another chain', (i) => ({ ...i, chain: 4 }), 'checkpoint'],
    ['a red kind on a blue invoice', (i) => ({ ...i, kind: 'red' }), 'mismatch'],
    ['a leaf replaced by other bytes', (i) => withValue(i, ['proofs', 'trip', 'leaf'], base64Encode(new Uint8Array([1, 2, 3]))), 'inclusion'],
    ['a tlog-proof that names another index', (i) => withValue(i, ['proofs', 'trip', 'tlogProof'], i.proofs.trip.tlogProof.replace('index 3', 'index 2')), 'tlog-proof'],
  ])('rejects %s', (_name, tamper, reason) => {
    expect(reasonOf(tamper(structuredClone(invoice)))).toBe(reason);
  });

  it('rejects a checkpoint signed by an untrusted key, and accepts it with that key', () => {
    expect(reasonOf(invoice, { verifierKeys: [{ ...testVerifier, publicKey: new Uint8Array(32).fill(7) }] })).toBe('checkpoint');
    expect(reasonOf(invoice, { verifierKeys: [testVerifier], logName: 'other.example/szm' })).toBe('checkpoint');
    expect(reasonOf(invoice, { verifierKeys: [testVerifier], logName: testLogName })).toBe('valid');
  });

  it('checks consistency with a checkpoint the user kept, in either order', () => {
    const kept = log.checkpoints[0]!; // size 4
    expect(verifyInvoice(invoice, { ...options, since: kept }).sinceTreeSize).toBe(4);
    const red = refundInvoice(log, sealed); // appended and sealed at size 5
    expect(reasonOf(red, { ...options, since: kept })).toBe('consistency'); // no proof attached
    const proof = { fromSize: 4, toSize: 5, hashes: log.consistency(4, 5).map((h) => bytesToHex(h)) };
    expect(verifyInvoice({ ...red, consistency: proof }, { ...options, since: kept }).sinceTreeSize).toBe(4);
    // The blue invoice (size 4) against a checkpoint kept later (size 5).
    expect(verifyInvoice({ ...invoice, consistency: proof }, { ...options, since: log.checkpoints[1]! }).sinceTreeSize).toBe(5);
    expect(proof.hashes.length).toBeGreaterThan(0);
    const flipped = { ...proof, hashes: proof.hashes.map((h, i) => (i === 0 ? altered(h) as string : h)) };
    expect(reasonOf({ ...red, consistency: flipped }, { ...options, since: kept })).toBe('consistency');
    // A kept checkpoint of another log (signed by another key) is not a checkpoint of ours.
    const forked = log.checkpoints[0]!.replace(/\n— .*\n$/, '\n');
    expect(reasonOf(invoice, { ...options, since: forked })).toBe('consistency');
  });

  it('rejects a checkpoint of the same log signed by another key', () => {
    const { log: other } = metroInvoice();
    const note = other.seal(1, otherSigner);
    expect(reasonOf(withValue(invoice, ['proofs', 'trip', 'checkpoint'], note))).not.toBe('valid');
  });
});

describe('red-letter invoices', () => {
  it('net to zero against the original for a full refund, and verify', () => {
    const { log, invoice, sealed } = metroInvoice();
    const red = refundInvoice(log, sealed);
    expect(verifyInvoice(red, options).kind).toBe('red');
    expect(red.credit).toEqual({ originalNumber: invoice.number, adjustmentId: examples.refund.adjustmentId, kind: 'refund', reason: examples.refund.reason, authorizedBy: 'admin.li' });
    for (const field of ['totalFen', 'netFen', 'taxFen'] as const) expect(invoice.amounts[field] + red.amounts[field]).toBe(0);
    expect(red.number).toBe('26000030000000000004');
  });

  it('split a partial refund by the same rule', () => {
    const { log, sealed } = metroInvoice();
    const red = refundInvoice(log, sealed, 120);
    expect(red.amounts).toEqual({ fareFen: -120, discountFen: 0, totalFen: -120, vatRateBp: 900, netFen: -110, taxFen: -10 });
    expect(verifyInvoice(red, options).totalFen).toBe(-120);
  });

  it('reject a credit whose amount or original was changed, or that lost its adjustment proof', () => {
    const { log, sealed } = metroInvoice();
    const red = refundInvoice(log, sealed);
    expect(reasonOf(withValue(red, ['amounts', 'totalFen'], -400))).toBe('mismatch');
    expect(reasonOf(withValue(red, ['credit', 'originalNumber'], '26000030000000000002'))).toBe('mismatch');
    expect(reasonOf(withValue(red, ['credit', 'reason'], 'changed'))).toBe('mismatch');
    const { adjustment: _adjustment, ...proofs } = red.proofs;
    expect(reasonOf({ ...red, proofs })).toBe('mismatch');
  });
});
