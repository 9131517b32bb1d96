import { examples } from '@fareledger/domain';
import { describe, expect, it } from 'vitest';
import { InvoiceInvalidError } from './errors.js';
import { formatTlogProof, statesTlogProof } from './proof-bundle.js';
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

describe('statesTlogProof', () => {
  const { invoice } = metroInvoice();
  const bundle = invoice.proofs.trip;
  const hashes = bundle.hashes.map((hash) => Uint8Array.from(Buffer.from(hash, 'hex')));

  it('accepts exactly the text formatTlogProof makes, and no other', () => {
    expect(statesTlogProof(bundle.tlogProof, bundle.logIndex, hashes, bundle.checkpoint)).toBe(true);
    expect(formatTlogProof(bundle.logIndex, hashes, bundle.checkpoint)).toBe(bundle.tlogProof);
    for (let i = 0; i < bundle.tlogProof.length; i++) {
      const changed = bundle.tlogProof.slice(0, i) + (bundle.tlogProof[i] === 'A' ? 'B' : 'A') + bundle.tlogProof.slice(i + 1);
      expect(statesTlogProof(changed, bundle.logIndex, hashes, bundle.checkpoint), `character ${i}`).toBe(false);
    }
    expect(statesTlogProof(bundle.tlogProof, bundle.logIndex + 1, hashes, bundle.checkpoint)).toBe(false);
    expect(statesTlogProof(bundle.tlogProof, bundle.logIndex, hashes.slice(1), bundle.checkpoint)).toBe(false);
    expect(statesTlogProof(`${bundle.tlogProof}\n`, bundle.logIndex, hashes, bundle.checkpoint)).toBe(false);
    expect(statesTlogProof(formatTlogProof(0, [], bundle.checkpoint), 0, [], bundle.checkpoint)).toBe(true);
  });

  it('reads a proof like an accepted one it shares its upper path with, and still refuses any change', () => {
    const like = { text: bundle.tlogProof, hashes, checkpoint: bundle.checkpoint };
    const tap = invoice.proofs.taps[1]!; // tap-out, index 2: its path's upper node is the trip's
    const tapHashes = tap.hashes.map((hash, i) => (hash === bundle.hashes[i] ? hashes[i]! : Uint8Array.from(Buffer.from(hash, 'hex'))));
    expect(tapHashes.at(-1)).toBe(hashes.at(-1));
    expect(statesTlogProof(tap.tlogProof, tap.logIndex, tapHashes, tap.checkpoint, like)).toBe(true);
    for (let i = 0; i < tap.tlogProof.length; i++) {
      const changed = tap.tlogProof.slice(0, i) + (tap.tlogProof[i] === 'A' ? 'B' : 'A') + tap.tlogProof.slice(i + 1);
      expect(statesTlogProof(changed, tap.logIndex, tapHashes, tap.checkpoint, like), `character ${i}`).toBe(false);
    }
    const other = formatTlogProof(tap.logIndex, tapHashes, tap.checkpoint.replace('\n4\n', '\n5\n'));
    expect(statesTlogProof(other, tap.logIndex, tapHashes, tap.checkpoint, like)).toBe(false);
  });
});
