import { formatFen } from '@fareledger/domain';
import { base64UrlEncode, encodeQrProof, type Invoice } from '@fareledger/invoice';
import QRCode from 'qrcode';
import { html, raw } from './html.js';

// The printable invoice (Accept: text/html): the fields of a Chinese e-invoice on one A4
// page, and a QR code that opens /verify with the trip's proof in the URL fragment, so the
// page checks the printed trip against a signed checkpoint without asking any server.

export interface InvoicePageOptions {
  /** Where the verify page is, e.g. /verify. The QR code holds `<origin><verifyPath>#q=...` when an origin is known. */
  readonly verifyPath: string;
  readonly origin?: string;
}

export async function invoicePageHtml(invoice: Invoice, options: InvoicePageOptions): Promise<string> {
  const verifyUrl = `${options.origin ?? ''}${options.verifyPath}#q=${base64UrlEncode(encodeQrProof(invoice))}`;
  const qrSvg = await QRCode.toString(verifyUrl, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 });
  const red = invoice.kind === 'red';
  const { item, amounts, seller } = invoice;
  const route = item.from !== undefined || item.to !== undefined
    ? `${item.from?.name ?? '(no tap-in)'} → ${item.to?.name ?? '(no tap-out)'}`
    : item.routeId !== undefined ? `route ${item.routeId}, vehicle ${item.vehicleId ?? ''}` : `vehicle ${item.vehicleId ?? ''}`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${red ? 'Credit invoice' : 'Invoice'} ${invoice.number}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #111; }
  h1 { font-size: 1.4rem; text-align: center; color: ${red ? '#b00' : '#7a4a00'}; border-bottom: 3px double currentColor; padding-bottom: .4rem; }
  table { width: 100%; border-collapse: collapse; margin: .8rem 0; }
  th, td { border: 1px solid #999; padding: .35rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f4efe6; width: 9rem; font-weight: 600; }
  td.amount, th.amount { text-align: right; font-variant-numeric: tabular-nums; }
  .top { display: flex; justify-content: space-between; gap: 1rem; align-items: flex-start; }
  .qr svg { width: 10rem; height: 10rem; }
  .muted { color: #555; font-size: .85rem; }
  @media print { a { color: inherit; text-decoration: none; } .noprint { display: none; } }
</style>
</head>
<body>
<h1>${red ? 'Electronic invoice — red-letter credit (红字发票)' : 'Electronic invoice (电子发票)'}</h1>
<div class="top">
  <table>
    <tr><th>Invoice number</th><td id="number">${invoice.number}</td></tr>
    <tr><th>Issued</th><td>${invoice.issuedAt}</td></tr>
    ${red ? html`<tr><th>Credits invoice</th><td>${invoice.credit!.originalNumber} (${invoice.credit!.kind}: ${invoice.credit!.reason})</td></tr>` : raw('')}
    <tr><th>Buyer (account)</th><td>${invoice.buyer.account}</td></tr>
    <tr><th>Seller</th><td>${seller.name}<br><span class="muted">Taxpayer id ${seller.taxpayerId} · ${seller.address}</span></td></tr>
  </table>
  <a class="qr" href="${verifyUrl}" title="Verify this invoice offline">${raw(qrSvg)}</a>
</div>
<table>
  <tr><th>Service</th><th>Journey</th><th>Time</th><th class="amount">Amount (yuan)</th><th class="amount">VAT rate</th><th class="amount">Tax</th></tr>
  <tr>
    <td>${item.service}<br><span class="muted">${item.mode}, ${item.status}${item.reasonCode === undefined ? '' : `, ${item.reasonCode}`}</span></td>
    <td>${route}${item.distanceM === undefined ? raw('') : html`<br><span class="muted">${(item.distanceM / 1000).toFixed(1)} km</span>`}</td>
    <td>${item.startAt}<br>${item.endAt}</td>
    <td class="amount">${formatFen(amounts.netFen)}</td>
    <td class="amount">${(amounts.vatRateBp / 100).toFixed(2)} %</td>
    <td class="amount">${formatFen(amounts.taxFen)}</td>
  </tr>
  <tr><th colspan="3">Total, VAT included (价税合计)${amounts.discountFen > 0 ? html` <span class="muted">fare ${formatFen(amounts.fareFen)} less ${formatFen(amounts.discountFen)}</span>` : raw('')}</th>
    <td class="amount" colspan="3" id="total"><strong>¥ ${formatFen(amounts.totalFen)}</strong></td></tr>
</table>
<p class="muted">Trip ${item.tripId} · chain ${invoice.chain}, leaf ${invoice.proofs.trip.logIndex} of a tree of ${invoice.proofs.trip.treeSize}, fare table ${item.fareTableVersion}.
The QR code carries the trip entry and its proof: <a href="${verifyUrl}">verify it</a> in your browser, offline, against the ledger's public key.</p>
<p class="noprint"><a href="/v1/invoices/${invoice.number}" type="application/json">This invoice as JSON</a>, with the proofs of its taps, for <code>fareledger-verify</code>.</p>
</body>
</html>
`;
  return page.html;
}

