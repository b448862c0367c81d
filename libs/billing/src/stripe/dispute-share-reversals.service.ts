import { Clock } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { InvoiceRepository } from '../invoices/invoice.repository';
import { LedgerService } from '../ledger/ledger.service';
import { PaymentsPort } from '../payments/payments.port';
import type { DisputeEntity } from './stripe-billing.entities';
import { StripeBillingRepository } from './stripe-billing.repository';

/** Lost disputes taken per run of the minute job. */
const BATCH = 50;

export interface ShareReversalRun {
  reversed: number;
  failed: number;
}

/**
 * Lost disputes on Stripe destination charges (README "Disputes"): Stripe took the disputed amount
 * from the platform and left the provider's transfer alone, so the ledger shows the provider owing
 * its share′ of the credit note. The minute job `billing.reverse-dispute-shares` takes it back:
 * (1) Stripe reverses share′ of the charge's transfer (`POST /v1/transfers/:id/reversals`, key
 * `portico:dispute-share:<disputeId>`), then (2) one transaction posts
 * `dispute:<id>:share-reversal` (clearing +share′, payable −share′) and marks the dispute. A crash
 * between the two is repaired by the next run: the same key makes Stripe answer the same reversal,
 * and the posting's reference writes it once. A refusal (the provider's balance cannot cover it,
 * say) is recorded on the dispute and retried after 2^attempts minutes, a day at most; the provider
 * keeps owing it meanwhile.
 */
@Injectable()
export class DisputeShareReversals {
  private readonly logger = new Logger(DisputeShareReversals.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly payments: PaymentsPort,
    private readonly ledger: LedgerService,
    private readonly invoices: InvoiceRepository,
    private readonly clock: Clock,
  ) {}

  async reversePending(now: Date = this.clock.now()): Promise<ShareReversalRun> {
    const run: ShareReversalRun = { reversed: 0, failed: 0 };
    if (this.payments.paysOutSeparately) return run;
    for (const dispute of await this.repo.disputeSharesToReverse(now, BATCH)) {
      try {
        await this.reverse(dispute, now);
        run.reversed += 1;
      } catch (error) {
        run.failed += 1;
        const message = error instanceof Error ? error.message : String(error);
        await this.repo.recordShareReversalFailed(dispute.id, message, now);
        this.logger.error(
          { err: error, disputeId: dispute.stripeDisputeId, attempts: dispute.shareReversalAttempts + 1 },
          "the provider's share of a lost dispute could not be reversed; retried later",
        );
      }
    }
    return run;
  }

  private async reverse(dispute: DisputeEntity, now: Date): Promise<void> {
    if (!dispute.stripeChargeId) throw new Error(`dispute ${dispute.stripeDisputeId} has no charge id`);
    const charge = await this.payments.retrieveCharge(dispute.stripeChargeId);
    if (!charge.transferId)
      throw new Error(
        `the charge ${dispute.stripeChargeId} has no transfer to the provider: nothing to reverse`,
      );
    const share = BigInt(dispute.shareReversalMinor!);
    const { reference } = await this.payments.reverseTransfer({
      stripeDisputeId: dispute.stripeDisputeId,
      transferId: charge.transferId,
      amountMinor: share,
      metadata: {
        porticoDisputeId: dispute.id,
        stripeDisputeId: dispute.stripeDisputeId,
        porticoInvoiceId: dispute.invoiceId ?? '',
      },
    });
    await this.repo.transaction(async (manager) => {
      const row = await this.repo.lockDisputeById(manager, dispute.id);
      if (!row || row.shareReversedAt) return;
      const invoice = row.invoiceId ? await this.invoices.findById(row.invoiceId, manager) : null;
      const dims = {
        invoiceId: row.invoiceId,
        providerId: invoice?.providerId ?? null,
        consumerAccountId: invoice?.consumerAccountId ?? null,
        apiId: invoice?.apiId ?? null,
      };
      const currency = row.currency.trim();
      await this.ledger.post(manager, {
        kind: 'payout',
        reference: `dispute:${row.stripeDisputeId}:share-reversal`,
        description: `Provider share of lost dispute ${row.stripeDisputeId} taken back from its transfer`,
        occurredAt: now,
        legs: [
          { ...dims, account: 'payment_clearing', amountMinor: share, currency },
          { ...dims, account: 'provider_payable', amountMinor: -share, currency },
        ],
      });
      await this.repo.recordShareReversed(manager, row.id, reference, now);
    });
    this.logger.log(
      { disputeId: dispute.stripeDisputeId, share: share.toString(), reversal: reference },
      "lost dispute: provider's share reversed",
    );
  }
}
