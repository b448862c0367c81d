import { minorUnitDigits } from '@app/catalog';
import { canonicalDecimal, formatMinor } from '../money/money';
import { billedTo } from './invoice-parties.service';
import type { InvoiceWithLines } from './invoices.service';

/**
 * The signed-in consumer reading their own invoice: whom it is addressed to when the invoice kept
 * no name and email of its own (drafted before they were snapshotted, or with no account directory
 * registered).
 */
export interface InvoiceRecipient {
  displayName: string;
  email: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const KIND_LABEL = { base: 'Base', overage: 'Overage', proration: 'Proration', credit: 'Credit' } as const;

/**
 * A printable, self-contained HTML invoice (no scripts, no external assets): both parties, the
 * lines, the fee-inclusive total (the platform fee is part of the price, shown for information)
 * and the status. Print it to PDF from the browser.
 */
export function renderInvoiceHtml({ invoice, lines }: InvoiceWithLines, recipient: InvoiceRecipient): string {
  const digits = minorUnitDigits(invoice.currency) ?? 2;
  const money = (minor: string | bigint): string =>
    `${formatMinor(BigInt(minor), digits)} ${escapeHtml(invoice.currency)}`;
  const date = (at: Date | null): string => (at ? at.toISOString().slice(0, 10) : '—');
  const title = invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice';
  const p = invoice.parties;
  const addressee = billedTo(p) ?? recipient;
  const rows = lines
    .map(
      (line) => `<tr><td>${KIND_LABEL[line.kind]}</td><td>${escapeHtml(line.description)}</td>` +
        `<td class="n">${line.quantity ?? ''}</td><td class="n">${line.unitPriceMinor === null ? '' : `${escapeHtml(canonicalDecimal(line.unitPriceMinor))} (minor units)`}</td>` +
        `<td class="n">${money(line.amountMinor)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} ${escapeHtml(invoice.number ?? 'draft')}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}.n{text-align:right}.parties{display:flex;gap:4rem}
.status{font-weight:bold;text-transform:uppercase}@media print{body{margin:0}}</style></head>
<body>
<h1>${title} ${escapeHtml(invoice.number ?? '(draft)')}</h1>
<p class="status">Status: ${escapeHtml(invoice.status)}</p>
<p>Issued ${date(invoice.finalizedAt)} · Period ${date(invoice.periodStart)} – ${date(invoice.periodEnd)}${invoice.paidAt ? ` · Paid ${date(invoice.paidAt)}` : ''}</p>
<div class="parties">
<section><h2>From</h2><p>${escapeHtml(p.provider.displayName)}<br>${escapeHtml(p.provider.supportEmail)}<br>via Portico marketplace</p></section>
<section><h2>Billed to</h2><p>${escapeHtml(addressee.displayName)}<br>${escapeHtml(addressee.email)}<br>Account ${escapeHtml(p.consumer.accountId)}</p></section>
</div>
<p>API: ${escapeHtml(p.api.name)} · Plan: ${escapeHtml(p.plan.name)}</p>
<table><thead><tr><th>Kind</th><th>Description</th><th class="n">Units</th><th class="n">Unit price</th><th class="n">Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><th colspan="4">Total (fees included)</th><th class="n">${money(invoice.totalAmountMinor)}</th></tr>
<tr><td colspan="4">of which Portico platform fee (${invoice.feeBps / 100} %)</td><td class="n">${money(invoice.feeAmountMinor)}</td></tr>
<tr><td colspan="4">of which to ${escapeHtml(p.provider.displayName)}</td><td class="n">${money(invoice.providerShareAmountMinor)}</td></tr></tfoot>
</table>
${invoice.memo ? `<p>${escapeHtml(invoice.memo)}</p>` : ''}
</body></html>
`;
}
