import { examples } from '@fareledger/domain';
import { describe, expect, it } from 'vitest';
import { InvoiceInvalidError } from './errors.js';
import { base64UrlDecode, base64UrlEncode, decodeQrProof, encodeQrProof } from './qr-payload.js';
import { metroInvoice, testVerifier } from './test-log.js';
import { verifyEntryProof } from './verify.js';

describe('the QR payload', () => {
  const { invoice } = metroInvoice();

  it('carries the trip proof bundle exactly, in a few hundred bytes', () => {
    const bytes = encodeQrProof(invoice);
    const decoded = decodeQrProof(base64UrlDecode(base64UrlEncode(bytes))!);
    expect(decoded).toEqual({ chain: invoice.chain, bundle: invoice.proofs.trip });
    expect(bytes.length).toBeLessThan(1_000);
  });

  it('verifies offline as the trip entry of its checkpoint', () => {
    const { chain, bundle } = decodeQrProof(encodeQrProof(invoice));
    const result = verifyEntryProof(chain, bundle, { verifierKeys: [testVerifier] });
    expect(result.entry).toEqual({ type: 'trip', trip: examples.metroTrip });
    expect([result.logIndex, result.treeSize]).toEqual([3, 4]);
  });

  it('rejects a payload with a byte changed anywhere', () => {
    const bytes = encodeQrProof(invoice);
    for (let i = 0; i < bytes.length; i += 1) {
      const changed = bytes.slice();
      changed[i] = changed[i]! ^ 0x01;
      let rejected = false;
      try {
        const { chain, bundle } = decodeQrProof(changed);
        verifyEntryProof(chain, bundle, { verifierKeys: [testVerifier] });
      } catch (error) {
        expect(error).toBeInstanceOf(InvoiceInvalidError);
        rejected = true;
      }
      expect(rejected, `byte ${i} changed was accepted`).toBe(true);
    }
  });

  it('refuses what is not base64url', () => {
    expect(base64UrlDecode('ab+c')).toBeNull();
    expect(base64UrlDecode('a')).toBeNull();
  });
});
