import { ProvidersService } from '@app/catalog';
import { AppError, Clock, conflict } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BillingFaults } from '../faults/billing-faults';
import type { InvoiceEntity } from '../invoices/invoice.entity';
import { InvoicesService } from '../invoices/invoices.service';
import { PaymentsPort } from '../payments/payments.port';
import type { RefundEntity, RefundInitiator } from '../stripe/stripe-billing.entities';
import { StripeBillingRepository } from '../stripe/stripe-billing.repository';

/** A refund as the api shows it. */
export interface RefundView {
  id: string;
  invoiceId: string;
  creditNoteId: string;
  creditNoteNumber: string | null;
  amountMinor: string;
  currency: string;
  feeAmountMinor: string;
  providerShareAmountMinor: string;
  status: RefundEntity['status'];
  initiatedBy: RefundInitiator;
  reference: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface RefundInput {
  amountMinor: bigint;
  reason: string;
  initiatedBy: Exclude<RefundInitiator, 'stripe'>;
  initiatorAccountId: string;
  /** The request's Idempotency-Key, if any: a retry of the same request answers the same refund. */
  idempotencyKey?: string | null;
}

/**
 * Refunds of paid invoices, full or partial (README "Refunds"):
 *  1. one transaction with the original invoice locked: never more than its total minus every
 *     earlier credit note (so concurrent partial refunds queue and cannot exceed it); a credit
 *     note reversing fee and share in proportion (`splitFee` of the refunded amount with the
 *     invoice's frozen bps, so fee′ + share′ = amount exactly); a `pending` refund row;
 *  2. the PaymentsPort moves the money (stripe: `POST /v1/refunds` with reverse_transfer and
 *     refund_application_fee, idempotency key `portico:refund:<refundId>`);
 *  3. one transaction: the refund and, for destination charges, the transfer reversal postings;
 *     the refund `succeeded`, the credit note settled.
 * A crash between 2 and 3 leaves the refund pending: the sweeper (`billing.complete-refunds`) or
 * Stripe's `charge.refunded` completes it — the same key makes Stripe answer the same refund, so
 * the money moves once and the ledger is written once.
 */
@Injectable()
export class RefundsService {
  private readonly logger = new Logger(RefundsService.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly invoices: InvoicesService,
    private readonly payments: PaymentsPort,
    private readonly providers: ProvidersService,
    private readonly faults: BillingFaults,
    private readonly clock: Clock,
  ) {}

  /** Admin: any paid invoice. */
  refundAsAdmin(invoiceId: string, input: RefundInput): Promise<RefundView> {
    return this.refund(invoiceId, input, undefined);
  }

  /** Provider: only invoices of its own APIs; another provider's invoice is 404 like an unknown id. */
  async refundAsProvider(ownerAccountId: string, invoiceId: string, input: RefundInput): Promise<RefundView> {
    const provider = await this.providers.getForOwner(ownerAccountId);
    return this.refund(invoiceId, input, provider.id);
  }

  private async refund(invoiceId: string, input: RefundInput, providerId: string | undefined): Promise<RefundView> {
    const reverseTransfer = !this.payments.paysOutSeparately;
    const requestKey = input.idempotencyKey ? `${input.initiatorAccountId}:${input.idempotencyKey}`.slice(0, 300) : null;
    if (requestKey) {
      const earlier = await this.repo.findRefundByRequestKey(requestKey);
      if (earlier) {
        if (earlier.invoiceId !== invoiceId || earlier.amountMinor !== input.amountMinor.toString())
          throw new AppError('idempotency_conflict', 'This Idempotency-Key was used for another refund: use a new key per refund.', {
            reason: 'different_request',
          });
        return this.execute(earlier.id);
      }
    }
    const refund = await this.repo.transaction(async (manager) => {
      const original = await this.invoices.lockForRefund(manager, invoiceId, providerId);
      if (original.status !== 'paid')
        throw conflict(`Only paid invoices can be refunded; this one is ${original.status}.`, {
          invoiceStatus: original.status,
        });
      const note = await this.invoices.issueCreditNoteIn(manager, invoiceId, input.amountMinor, input.reason, {
        // stripe: the share comes back from the connected account with the refund (reverse_transfer)
        checkProviderBalance: !reverseTransfer,
        providerId,
      });
      return this.repo.insertRefund(manager, {
        invoiceId,
        creditNoteId: note.id,
        providerId: original.providerId,
        amountMinor: input.amountMinor.toString(),
        currency: original.currency,
        feeAmountMinor: (-BigInt(note.feeAmountMinor)).toString(),
        providerShareAmountMinor: (-BigInt(note.providerShareAmountMinor)).toString(),
        initiatedBy: input.initiatedBy,
        initiatorAccountId: input.initiatorAccountId,
        reason: input.reason.slice(0, 500),
        requestKey,
      });
    });
    this.logger.log({ refundId: refund.id, invoiceId, amount: refund.amountMinor }, 'refund recorded; paying it');
    return this.execute(refund.id);
  }

  /** Moves the money of a pending refund (again: the idempotency key makes a rerun answer the same refund) and records it. */
  async execute(refundId: string): Promise<RefundView> {
    const refund = await this.repo.findRefund(refundId);
    if (!refund) throw new Error(`refund ${refundId} does not exist`);
    if (refund.status === 'succeeded') return this.view(refund);
    const invoice = (await this.invoices.withLines(refund.invoiceId)).invoice;
    const { reference } = await this.payments.refundPayment({
      refundId: refund.id,
      invoiceId: invoice.id,
      paymentReference: invoice.paymentReference,
      amountMinor: BigInt(refund.amountMinor),
      currency: refund.currency,
    });
    this.faults.pass('refund.after-provider-call');
    await this.repo.transaction((manager) => this.complete(manager, refund.id, reference));
    return this.view((await this.repo.findRefund(refund.id))!);
  }

  /** Records a refund the payment provider confirmed, once (the row is locked; a completed one is left alone). */
  async complete(manager: EntityManager, refundId: string, reference: string): Promise<'applied' | 'unchanged'> {
    const refund = await this.repo.lockRefund(manager, refundId);
    if (!refund || refund.status === 'succeeded') return 'unchanged';
    await this.invoices.settleRefund(manager, refund.creditNoteId, !this.payments.paysOutSeparately);
    await this.repo.completeRefund(manager, refund.id, reference, this.clock.now());
    return 'applied';
  }

  /**
   * A refund made outside Portico (the Stripe dashboard), seen on `charge.refunded`: mirrored once
   * (by Stripe's refund id) as a credit note with the same proportional reversal, capped at what is
   * left to credit.
   */
  async mirrorExternal(
    manager: EntityManager,
    invoice: InvoiceEntity,
    stripeRefundId: string,
    amountMinor: bigint,
  ): Promise<'applied' | 'unchanged'> {
    if (await this.repo.findRefundByStripeId(stripeRefundId, manager)) return 'unchanged';
    const note = await this.invoices.issueCreditNoteIn(manager, invoice.id, amountMinor, 'Refunded at Stripe', {
      checkProviderBalance: false,
    });
    const refund = await this.repo.insertRefund(manager, {
      invoiceId: invoice.id,
      creditNoteId: note.id,
      providerId: invoice.providerId,
      amountMinor: amountMinor.toString(),
      currency: invoice.currency,
      feeAmountMinor: (-BigInt(note.feeAmountMinor)).toString(),
      providerShareAmountMinor: (-BigInt(note.providerShareAmountMinor)).toString(),
      initiatedBy: 'stripe',
      initiatorAccountId: null,
      reason: 'Refunded at Stripe',
    });
    return this.complete(manager, refund.id, stripeRefundId);
  }

  /**
   * A lost dispute (`charge.dispute.closed`, status `lost`): the disputed amount went back to the
   * payer through the card network, so it is booked like a refund — the same credit note (fee′ and
   * share′ reversed in proportion, cumulative rounding with earlier refunds, capped at what is left
   * to credit) settled from the `disputes` hold the dispute's creation posted instead of the
   * platform's cash. No transfer reversal: Stripe does not take a destination charge's share back
   * from the connected account for a dispute, so the provider's balance shows the share it owes.
   * Returns the credit note, or null when nothing was left to credit.
   */
  async reverseLostDispute(
    manager: EntityManager,
    invoice: InvoiceEntity,
    stripeDisputeId: string,
    amountMinor: bigint,
  ): Promise<InvoiceEntity | null> {
    const creditable = await this.invoices.creditableIn(manager, invoice.id);
    const amount = amountMinor < creditable ? amountMinor : creditable;
    if (amount <= 0n) return null;
    if (amount < amountMinor)
      this.logger.warn({ invoiceId: invoice.id, stripeDisputeId, amountMinor: amountMinor.toString(), creditable: creditable.toString() }, 'lost dispute larger than what is left to credit: capped');
    const note = await this.invoices.issueCreditNoteIn(manager, invoice.id, amount, `Dispute ${stripeDisputeId} lost`, {
      checkProviderBalance: false,
    });
    return this.invoices.settleRefund(manager, note.id, false, 'disputes');
  }

  /** The sweeper (`billing.complete-refunds`): pending refunds older than `olderThanMs` are executed again. */
  async completePending(now: Date = this.clock.now(), olderThanMs = 60_000): Promise<number> {
    let completed = 0;
    for (const refund of await this.repo.pendingRefunds(new Date(now.getTime() - olderThanMs), 100)) {
      try {
        await this.execute(refund.id);
        completed += 1;
      } catch (error) {
        this.logger.error({ err: error, refundId: refund.id }, 'pending refund could not be completed; the next run retries');
      }
    }
    return completed;
  }

  /** Refunds of an invoice (admin), oldest first. */
  async listForInvoice(invoiceId: string): Promise<RefundView[]> {
    return Promise.all((await this.repo.refundsOf(invoiceId)).map((r) => this.view(r)));
  }

  private async view(refund: RefundEntity): Promise<RefundView> {
    const note = (await this.invoices.withLines(refund.creditNoteId).catch(() => null))?.invoice;
    return {
      id: refund.id,
      invoiceId: refund.invoiceId,
      creditNoteId: refund.creditNoteId,
      creditNoteNumber: note?.number ?? null,
      amountMinor: refund.amountMinor,
      currency: refund.currency.trim(),
      feeAmountMinor: refund.feeAmountMinor,
      providerShareAmountMinor: refund.providerShareAmountMinor,
      status: refund.status,
      initiatedBy: refund.initiatedBy,
      reference: refund.stripeRefundId,
      createdAt: refund.createdAt,
      completedAt: refund.completedAt,
    };
  }
}

export function refundNotFound(): AppError {
  return new AppError('not_found', 'Invoice not found: no invoice has this id.');
}
