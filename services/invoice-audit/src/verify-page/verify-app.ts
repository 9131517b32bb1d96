// The /verify page's script, bundled for the browser (verify-page.ts): checks an invoice
// with @fareledger/invoice, the same library as the CLI, entirely in this page. The page's
// Content-Security-Policy (connect-src 'none') forbids it any request: nothing leaves.
import { parseVerifierKey, type VerifierKey } from '@fareledger/checkpoint';
import { formatFen } from '@fareledger/domain';
import { base64UrlDecode, decodeQrProof, InvoiceInvalidError, verifyEntryProof, verifyInvoice } from '@fareledger/invoice';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function keysFrom(text: string): VerifierKey[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')).map((line) => parseVerifierKey(line));
}

function show(verdict: 'valid' | 'invalid' | 'error', lines: readonly string[]): void {
  const result = $<HTMLDivElement>('result');
  result.dataset.verdict = verdict;
  result.replaceChildren(...lines.map((line, i) => {
    const p = document.createElement(i === 0 ? 'strong' : 'p');
    p.textContent = line;
    return p;
  }));
}

function verifyDocument(): void {
  let keys: VerifierKey[];
  try {
    keys = keysFrom($<HTMLTextAreaElement>('keys').value);
    if (keys.length === 0) throw new Error('no key');
  } catch (error) {
    show('error', ['Check the verifier keys', `One key a line, as /v1/keys lists them: ${(error as Error).message}`]);
    return;
  }
  const since = $<HTMLTextAreaElement>('since').value.trim();
  const qr = qrPayload();
  try {
    if (qr !== null && $<HTMLTextAreaElement>('invoice').value.trim() === '') return verifyQr(qr, keys);
    const document = JSON.parse($<HTMLTextAreaElement>('invoice').value) as unknown;
    const result = verifyInvoice(document, { verifierKeys: keys, ...(since === '' ? {} : { since: `${since}\n` }) });
    show('valid', [
      `Valid: ${result.kind === 'red' ? 'red-letter credit' : 'invoice'} ${result.number}, total ${formatFen(result.totalFen)} yuan`,
      `In ${result.origin} at tree size ${result.treeSize}; checkpoint signed by ${result.signedBy.join(', ')}.`,
      ...(result.sinceTreeSize === undefined ? [] : [`Consistent with the checkpoint you kept (tree size ${result.sinceTreeSize}).`]),
      `Taken as stated (not bound by the ledger): ${result.statedNotBound.join(', ')}.`,
    ]);
  } catch (error) {
    if (error instanceof InvoiceInvalidError) show('invalid', [`Invalid (${error.reason})`, error.message]);
    else if (error instanceof SyntaxError) show('invalid', ['Invalid (malformed)', `Not JSON: ${error.message}`]);
    else show('error', ['Could not verify', (error as Error).message]);
  }
}

function verifyQr(payload: Uint8Array, keys: VerifierKey[]): void {
  const { chain, bundle } = decodeQrProof(payload);
  const result = verifyEntryProof(chain, bundle, { verifierKeys: keys });
  if (result.entry.type !== 'trip') throw new InvoiceInvalidError('leaf', 'the QR code proves an entry that is not a trip');
  const trip = result.entry.trip;
  show('valid', [
    `Valid: the trip ${trip.tripId} is in the ledger`,
    `Account ${trip.account}, ${trip.mode} ${trip.status}, charged ${formatFen(trip.chargedFen)} yuan (fare ${formatFen(trip.fareFen)}, discount ${formatFen(trip.discountFen)}), fare table ${trip.fareTableVersion}.`,
    `Leaf ${result.logIndex} of ${result.origin} at tree size ${result.treeSize}; checkpoint signed by ${result.signedBy.join(', ')}.`,
    'The QR code carries the trip entry only: load the invoice JSON to check its taps and every printed field.',
  ]);
}

function qrPayload(): Uint8Array | null {
  const match = /^#q=([A-Za-z0-9_-]+)$/.exec(location.hash);
  return match === null ? null : base64UrlDecode(match[1]!);
}

$<HTMLInputElement>('file').addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file !== undefined) $<HTMLTextAreaElement>('invoice').value = await file.text();
});
$<HTMLButtonElement>('verify').addEventListener('click', () => verifyDocument());
if (qrPayload() !== null) {
  $<HTMLParagraphElement>('qr-note').hidden = false;
  verifyDocument();
}
