import { conflict } from '@app/common';
import type { InvoiceStatus } from './invoice.entity';

/** README "Invoices": the only moves an invoice makes (the database trigger allows the same ones). */
export const INVOICE_TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  draft: ['open'],
  open: ['paid', 'void', 'uncollectible'],
  uncollectible: ['paid', 'void'],
  paid: [],
  void: [],
};

export const INVOICE_STATUSES: readonly InvoiceStatus[] = ['draft', 'open', 'paid', 'void', 'uncollectible'];

export function canMove(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return INVOICE_TRANSITIONS[from].includes(to);
}

export function assertMove(from: InvoiceStatus, to: InvoiceStatus): void {
  if (!canMove(from, to))
    throw conflict(
      `An invoice that is ${from} cannot become ${to}: ${from === 'paid' || from === 'void' ? 'it is final; issue a credit note to correct it' : `it can become ${INVOICE_TRANSITIONS[from].join(' or ')}`}.`,
      { invoiceStatus: from },
    );
}
