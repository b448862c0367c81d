import { Injectable } from '@nestjs/common';
import type { DisputeEntity } from './stripe-billing.entities';
import { StripeBillingRepository } from './stripe-billing.repository';

/** Where taking a lost dispute's provider share back stands (`DisputeShareReversals`). */
export interface ShareReversalView {
  amountMinor: string;
  /** `pending`: not tried yet; `retrying`: Stripe refused (see `lastError`), tried again later; `reversed`: done. */
  status: 'pending' | 'retrying' | 'reversed';
  reference: string | null;
  attempts: number;
  lastError: string | null;
  reversedAt: Date | null;
}

export interface DisputeView {
  id: string;
  stripeDisputeId: string;
  invoiceId: string | null;
  amountMinor: string;
  currency: string;
  status: string;
  reason: string | null;
  outcome: string | null;
  creditNoteId: string | null;
  shareReversal: ShareReversalView | null;
  createdAt: Date;
  closedAt: Date | null;
}

/** The disputes of Stripe charges, for the operator (`GET /v1/admin/billing/disputes`). */
@Injectable()
export class Disputes {
  constructor(private readonly repo: StripeBillingRepository) {}

  /** The latest disputes, newest first; `shareReversal` only for lost ones whose share is taken back. */
  async recent(limit: number): Promise<DisputeView[]> {
    return (await this.repo.recentDisputes(limit)).map(view);
  }
}

function view(d: DisputeEntity): DisputeView {
  return {
    id: d.id,
    stripeDisputeId: d.stripeDisputeId,
    invoiceId: d.invoiceId,
    amountMinor: d.amountMinor,
    currency: d.currency.trim(),
    status: d.status,
    reason: d.reason,
    outcome: d.outcome,
    creditNoteId: d.creditNoteId,
    shareReversal:
      d.shareReversalMinor === null
        ? null
        : {
            amountMinor: d.shareReversalMinor,
            status: d.shareReversedAt ? 'reversed' : d.shareReversalError ? 'retrying' : 'pending',
            reference: d.shareReversalReference,
            attempts: d.shareReversalAttempts,
            lastError: d.shareReversalError,
            reversedAt: d.shareReversedAt,
          },
    createdAt: d.createdAt,
    closedAt: d.closedAt,
  };
}
