import { ProvidersService } from '@app/catalog';
import { Clock } from '@app/common';
import { NotificationsService } from '@app/notifications';
import { Injectable, Logger } from '@nestjs/common';
import type { CompletedCheckout, InboxTransaction } from '../checkout/checkout-completions.port';
import { DunningService } from '../dunning/dunning.service';
import { SubscriptionBilling } from '../dunning/subscription-billing.port';
import type { InvoiceEntity } from '../invoices/invoice.entity';
import { InvoicePartiesService } from '../invoices/invoice-parties.service';
import { InvoiceRepository } from '../invoices/invoice.repository';
import { InvoicesService } from '../invoices/invoices.service';
import { LedgerService } from '../ledger/ledger.service';
import { BPS_DENOMINATOR, splitFee } from '../money/money';
import { PaymentsPort, type ProviderFee, type ProviderInvoice } from '../payments/payments.port';
import type { RatedLine } from '../rating/rating';
import { BillingAccounts } from '../notify/billing-accounts.port';
import { RefundsService } from '../refunds/refunds.service';
import { STRIPE_ENDED_STATUSES } from './stripe-billing.entities';
import { StripeBillingRepository } from './stripe-billing.repository';

/** What applying a Stripe object came to (the inbox's outcome). */
export type SyncOutcome = 'applied' | 'unchanged' | 'ignored' | 'unknown_subscription' | 'unknown_invoice';

/**
 * PAYMENTS=stripe: Stripe's objects mirrored into Portico (README "Stripe payments"). Every
 * handler re-reads the object from Stripe (never trusts the event's copy or its arrival order)
 * under an advisory lock on the object's id, inside the inbox transaction, and writes what the
 * current object implies; writes are keyed (invoice by `stripe_invoice_id`, postings by reference,
 * refunds by Stripe's id), so a duplicate or a late event writes nothing twice.
 */
@Injectable()
export class StripeSyncService {
  private readonly logger = new Logger(StripeSyncService.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly payments: PaymentsPort,
    private readonly invoiceRows: InvoiceRepository,
    private readonly invoices: InvoicesService,
    private readonly ledger: LedgerService,
    private readonly dunning: DunningService,
    private readonly refunds: RefundsService,
    private readonly subscriptions: SubscriptionBilling,
    private readonly providers: ProvidersService,
    private readonly notifications: NotificationsService,
    private readonly admins: BillingAccounts,
    private readonly parties: InvoicePartiesService,
    private readonly clock: Clock,
  ) {}

  private async lock(tx: InboxTransaction, key: string): Promise<void> {
    await tx.manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
  }

  /** A completed Checkout: billing keeps its own link to Stripe's customer and subscription (usage reporting, mirroring). */
  async linkCheckout(checkout: CompletedCheckout, tx: InboxTransaction): Promise<void> {
    if (!checkout.customerId || !checkout.providerSubscriptionId) return;
    await this.lock(tx, `stripe-subscription:${checkout.providerSubscriptionId}`);
    const remote = await this.payments.retrieveSubscription(checkout.providerSubscriptionId);
    await this.repo.upsertLink(
      tx.manager,
      {
        subscriptionId: checkout.subscriptionId,
        stripeCustomerId: checkout.customerId,
        stripeSubscriptionId: checkout.providerSubscriptionId,
        stripeStatus: remote.status,
        currentPeriodStart: remote.currentPeriodStart,
        currentPeriodEnd: remote.currentPeriodEnd,
      },
      // usage is reported from the start of the minute the subscription is paid for, where its
      // periods are anchored (libs/subscriptions anchorAt): metering counts whole minutes
      new Date(Math.floor(this.clock.now().getTime() / 60_000) * 60_000),
    );
  }

  /** `customer.subscription.updated|deleted`: Stripe's current subscription decides. */
  async syncSubscription(stripeSubscriptionId: string, tx: InboxTransaction): Promise<SyncOutcome> {
    await this.lock(tx, `stripe-subscription:${stripeSubscriptionId}`);
    const link = await this.repo.linkByStripeId(stripeSubscriptionId, tx.manager);
    if (!link) return 'unknown_subscription';
    const remote = await this.payments.retrieveSubscription(stripeSubscriptionId);
    await this.repo.updateLinkState(tx.manager, link.subscriptionId, {
      stripeStatus: remote.status,
      currentPeriodStart: remote.currentPeriodStart,
      currentPeriodEnd: remote.currentPeriodEnd,
    });
    if (STRIPE_ENDED_STATUSES.has(remote.status)) {
      const outcome = await this.subscriptions.registered.endForNonPayment(link.subscriptionId, tx);
      return outcome === 'applied' ? 'applied' : 'unchanged';
    }
    return 'unchanged';
  }

  /** `invoice.paid` / `invoice.payment_failed` / `invoice.*`: the Stripe invoice as it is now, mirrored. */
  async syncInvoice(stripeInvoiceId: string, tx: InboxTransaction): Promise<SyncOutcome> {
    await this.lock(tx, `stripe-invoice:${stripeInvoiceId}`);
    const remote = await this.payments.retrieveInvoice(stripeInvoiceId);
    if (!remote.subscriptionId) return 'ignored';
    const link = await this.repo.linkByStripeId(remote.subscriptionId, tx.manager);
    if (!link) return 'unknown_subscription';
    let local = await this.invoiceRows.findByStripeInvoiceId(remote.id, tx.manager);
    if (!local) {
      if (remote.status === 'draft' || remote.status === 'void' || remote.totalMinor <= 0n) return 'ignored';
      const created = await this.mirror(remote, link.subscriptionId, tx);
      if (!created) return 'unknown_subscription';
      local = created;
    }
    switch (remote.status) {
      case 'paid': {
        const wasPaid = local.status === 'paid';
        await this.dunning.settlePaid(tx, local.id, remote.paymentReference);
        await this.recordChargeFee(tx, local, remote.chargeId);
        return wasPaid ? 'unchanged' : 'applied';
      }
      case 'open':
        if (remote.attemptCount > 0 && local.status === 'open') {
          return (await this.dunning.paymentFailed(local, tx)) === 'started' ? 'applied' : 'unchanged';
        }
        return 'unchanged';
      case 'uncollectible':
        if (local.status !== 'open') return 'unchanged';
        await this.invoices.markUncollectible(tx.manager, local.id);
        await this.dunning.stop(tx.manager, local.id, 'exhausted');
        return 'applied';
      case 'void':
        if (local.status !== 'open' && local.status !== 'uncollectible') return 'unchanged';
        await this.invoices.voidIn(tx.manager, local.id);
        await this.dunning.stop(tx.manager, local.id, 'void');
        return 'applied';
      default:
        return 'unchanged';
    }
  }

  /**
   * Stripe's processing fee of the charge that paid the invoice (its balance transaction's fee, taken
   * from the platform's balance with a destination charge), booked once: `invoice:<id>:payment-fee`.
   */
  private async recordChargeFee(tx: InboxTransaction, invoice: InvoiceEntity, chargeId: string | null): Promise<void> {
    if (!chargeId) return;
    const reference = `invoice:${invoice.id}:payment-fee`;
    if ((await this.ledger.amountOf(tx.manager, reference, 'payment_fees')).posted) return;
    const { fee } = await this.payments.retrieveCharge(chargeId);
    if (!fee || fee.amountMinor === 0n) return;
    await this.invoices.recordPaymentFee(tx.manager, invoice, fee, reference, `Stripe's fee for the payment of ${invoice.number}`);
  }

  /**
   * Drafts and finalises the Portico invoice of a Stripe invoice: its lines (the base price of the
   * period Stripe bills in advance, the overage of the metered price in arrears), the fee bps of
   * the subscription's application fee, numbered in Portico's gapless sequence.
   */
  private async mirror(remote: ProviderInvoice, subscriptionId: string, tx: InboxTransaction) {
    const sub = await this.subscriptions.registered.describe(subscriptionId);
    if (!sub) return null;
    const subscription = await this.payments.retrieveSubscription(remote.subscriptionId!);
    const feeBps =
      subscription.applicationFeePercent === null
        ? 0
        : Math.round(subscription.applicationFeePercent * (BPS_DENOMINATOR / 100));
    const base = remote.lines.find((l) => l.kind === 'base') ?? remote.lines[0];
    const periodStart = base?.periodStart ?? this.clock.now();
    const periodEnd = base?.periodEnd ?? periodStart;
    const lines: RatedLine[] = remote.lines.map((line) => ({
      kind: line.kind,
      description: line.description,
      planId: sub.planId,
      quantity: line.quantity === null ? null : line.quantity.toString(),
      unitPriceMinor: line.unitPriceMinor,
      amountMinor: line.amountMinor,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
    }));
    const split = splitFee(remote.totalMinor, feeBps);
    const drafted = await this.invoiceRows.insertDraftForPeriod(
      tx.manager,
      {
        kind: 'invoice',
        subscriptionId,
        consumerAccountId: sub.consumerAccountId,
        providerId: sub.providerId,
        apiId: sub.apiId,
        planId: sub.planId,
        periodStart,
        periodEnd,
        currency: remote.currency,
        totalAmountMinor: remote.totalMinor.toString(),
        feeBps,
        feeAmountMinor: split.fee.toString(),
        providerShareAmountMinor: split.providerShare.toString(),
        creditsInvoiceId: null,
        memo: remote.number ? `Stripe invoice ${remote.number}` : null,
        parties: await this.parties.of(sub),
        stripeInvoiceId: remote.id,
      },
      lines,
    );
    if (drafted.stripeInvoiceId !== remote.id) {
      this.logger.warn(
        { subscriptionId, stripeInvoiceId: remote.id, existing: drafted.id },
        'a Portico invoice for this period exists already: the Stripe invoice is not mirrored twice',
      );
      return drafted;
    }
    return this.invoices.finalizeIn(tx.manager, drafted.id);
  }


  /** `charge.refunded`: every refund on the charge, as Stripe lists it now, is recorded once. */
  async syncChargeRefunds(chargeId: string, tx: InboxTransaction): Promise<SyncOutcome> {
    await this.lock(tx, `stripe-charge:${chargeId}`);
    const charge = await this.payments.retrieveCharge(chargeId);
    const invoice = charge.paymentReference
      ? await this.invoiceRows.findByPaymentReference(charge.paymentReference, tx.manager)
      : null;
    if (!invoice) return 'unknown_invoice';
    let applied = false;
    for (const refund of charge.refunds) {
      if (refund.status !== 'succeeded') continue;
      // a credit note of the invoice paid back as a refund: the note books it already
      if (refund.porticoCreditNoteId) continue;
      if (refund.porticoRefundId) {
        applied = (await this.refunds.complete(tx.manager, refund.porticoRefundId, refund.id)) === 'applied' || applied;
      } else {
        applied = (await this.refunds.mirrorExternal(tx.manager, invoice, refund.id, refund.amountMinor)) === 'applied' || applied;
      }
    }
    return applied ? 'applied' : 'unchanged';
  }

  /**
   * `charge.dispute.created`: the disputed amount is held by Stripe: recorded once (by the dispute
   * id) against the invoice of the charge, with its posting (disputes +amount, clearing −amount),
   * and the provider and the admins are notified. A dispute's creation is a fact, so the event's
   * object is enough.
   */
  async recordDispute(dispute: Record<string, unknown>, tx: InboxTransaction): Promise<SyncOutcome> {
    const facts = disputeFacts(dispute);
    if (!facts) return 'ignored';
    await this.lock(tx, `stripe-dispute:${facts.id}`);
    return (await this.ensureDispute(facts, tx)).inserted ? 'applied' : 'unchanged';
  }

  /**
   * `charge.dispute.closed`: the outcome, once (the dispute row is locked; a closed one is left
   * alone). A closed dispute's status never changes again, so the event's object is current; a
   * `closed` arriving before its `created` records the dispute first. `lost`: the money went back to
   * the payer, booked like a refund (`RefundsService.reverseLostDispute`: credit note reversing fee
   * and share, settled from the hold). `won` (and an inquiry's `warning_closed`): Stripe returned the
   * held amount — the hold is released (`dispute:<id>:released`: clearing +amount, disputes
   * −amount); the invoice, its fee and the provider's share are untouched.
   */
  async closeDispute(dispute: Record<string, unknown>, tx: InboxTransaction): Promise<SyncOutcome> {
    const facts = disputeFacts(dispute);
    if (!facts || !['won', 'lost', 'warning_closed'].includes(facts.status)) return 'ignored';
    await this.lock(tx, `stripe-dispute:${facts.id}`);
    await this.ensureDispute(facts, tx);
    const row = await this.repo.lockDispute(tx.manager, facts.id);
    if (!row || row.outcome !== null) return 'unchanged';
    const invoice = row.invoiceId ? await this.invoices.getIn(tx.manager, row.invoiceId) : null;
    if (facts.fee) {
      // Stripe's fee as the closed dispute lists it, against what its creation booked (a fee returned is negative)
      const booked = await this.ledger.amountOf(tx.manager, `dispute:${facts.id}:fee`, 'payment_fees');
      const change = facts.fee.amountMinor - booked.amountMinor;
      if (change !== 0n)
        await this.invoices.recordPaymentFee(
          tx.manager,
          invoice,
          { amountMinor: change, currency: facts.fee.currency },
          `dispute:${facts.id}:fee:closed`,
          change < 0n ? `Stripe returned its fee for dispute ${facts.id}` : `Stripe's further fee for dispute ${facts.id}`,
        );
    }
    const amount = BigInt(row.amountMinor);
    const currency = row.currency.trim();
    let creditNoteId: string | null = null;
    let shareReversalMinor: bigint | null = null;
    if (facts.status === 'lost') {
      const note = invoice ? await this.refunds.reverseLostDispute(tx.manager, invoice, facts.id, amount) : null;
      if (!invoice) this.logger.warn({ disputeId: facts.id }, 'lost dispute on a charge of no Portico invoice: the hold stays in disputes');
      creditNoteId = note?.id ?? null;
      // a destination charge: the provider's share′ comes back from its transfer (DisputeShareReversals, minute job)
      const share = note ? -BigInt(note.providerShareAmountMinor) : 0n;
      if (share > 0n && !this.payments.paysOutSeparately) shareReversalMinor = share;
    } else {
      await this.ledger.post(tx.manager, {
        kind: 'dispute',
        reference: `dispute:${facts.id}:released`,
        description: `Dispute ${facts.id} ${facts.status === 'won' ? 'won' : 'closed'}${invoice?.number ? ` on ${invoice.number}` : ''}: held amount returned`,
        occurredAt: this.clock.now(),
        legs: [
          { account: 'payment_clearing', amountMinor: amount, currency, invoiceId: invoice?.id ?? null, providerId: invoice?.providerId ?? null },
          { account: 'disputes', amountMinor: -amount, currency, invoiceId: invoice?.id ?? null, providerId: invoice?.providerId ?? null },
        ],
      });
    }
    await this.repo.closeDispute(tx.manager, row.id, {
      status: facts.status,
      outcome: facts.status,
      closedAt: this.clock.now(),
      creditNoteId,
      stripeChargeId: row.stripeChargeId ?? facts.chargeId,
      shareReversalMinor: shareReversalMinor?.toString() ?? null,
    });
    await this.notifyDispute(tx, facts, invoice, facts.status === 'lost' ? 'lost' : 'won', creditNoteId, shareReversalMinor);
    this.logger.warn({ disputeId: facts.id, invoiceId: invoice?.id, outcome: facts.status }, 'dispute closed');
    return 'applied';
  }

  /** The dispute row (inserted once by Stripe's id, with the hold posting and the notifications). */
  private async ensureDispute(facts: DisputeFacts, tx: InboxTransaction): Promise<{ inserted: boolean }> {
    const invoice = facts.paymentReference
      ? await this.invoiceRows.findByPaymentReference(facts.paymentReference, tx.manager)
      : null;
    const inserted = await this.repo.insertDispute(tx.manager, {
      stripeDisputeId: facts.id,
      invoiceId: invoice?.id ?? null,
      amountMinor: facts.amountMinor.toString(),
      currency: facts.currency,
      status: facts.status,
      reason: facts.reason,
      stripeChargeId: facts.chargeId,
    });
    if (!inserted) return { inserted: false };
    await this.ledger.post(tx.manager, {
      kind: 'dispute',
      reference: `dispute:${facts.id}`,
      description: `Dispute ${facts.id}${invoice?.number ? ` on ${invoice.number}` : ''}`,
      occurredAt: this.clock.now(),
      legs: [
        { account: 'disputes', amountMinor: facts.amountMinor, currency: facts.currency, invoiceId: invoice?.id ?? null, providerId: invoice?.providerId ?? null },
        { account: 'payment_clearing', amountMinor: -facts.amountMinor, currency: facts.currency, invoiceId: invoice?.id ?? null, providerId: invoice?.providerId ?? null },
      ],
    });
    if (facts.fee && facts.fee.amountMinor !== 0n)
      await this.invoices.recordPaymentFee(tx.manager, invoice, facts.fee, `dispute:${facts.id}:fee`, `Stripe's fee for dispute ${facts.id}`);
    await this.notifyDispute(tx, facts, invoice, 'opened', null);
    this.logger.warn({ disputeId: facts.id, invoiceId: invoice?.id }, 'charge disputed');
    return { inserted: true };
  }

  /** The provider (the owner of the invoice's provider) and every admin, in the inbox transaction (once, with the row). */
  private async notifyDispute(
    tx: InboxTransaction,
    facts: DisputeFacts,
    invoice: { id: string; number: string | null; providerId: string } | null,
    stage: 'opened' | 'won' | 'lost',
    creditNoteId: string | null,
    shareReversalMinor: bigint | null = null,
  ): Promise<void> {
    const provider = invoice ? await this.providers.findById(invoice.providerId) : null;
    if (!this.admins.registered) this.logger.warn({ disputeId: facts.id }, 'no admin directory registered: admins are not notified of the dispute');
    const recipients = new Set<string>(await this.admins.accountIds());
    if (provider) recipients.add(provider.ownerAccountId);
    const amount = `${facts.amountMinor} ${facts.currency} (minor units)`;
    const on = invoice?.number ? ` on invoice ${invoice.number}` : '';
    const text = {
      opened: {
        title: `A payment was disputed${on}`,
        body: `The payer disputed ${amount}${on} (reason: ${facts.reason ?? 'unknown'}). Stripe holds the amount until the dispute is decided; submit evidence in the Stripe dashboard.`,
      },
      won: {
        title: `Dispute won${on}`,
        body: `The dispute of ${amount}${on} was decided in our favour: Stripe returned the held amount and nothing changes for the invoice.`,
      },
      lost: {
        title: `Dispute lost${on}`,
        body:
          `The dispute of ${amount}${on} was lost: the amount went back to the payer. A credit note reverses the platform fee and the provider's share in proportion.` +
          (shareReversalMinor
            ? ` The provider's share, ${shareReversalMinor} ${facts.currency} (minor units), is taken back from the charge's transfer to its Stripe account.`
            : ''),
      },
    }[stage];
    for (const accountId of recipients)
      await this.notifications.record(
        {
          accountId,
          type: `billing.dispute_${stage}`,
          title: text.title,
          body: text.body,
          data: {
            disputeId: facts.id,
            invoiceId: invoice?.id ?? null,
            amountMinor: facts.amountMinor.toString(),
            currency: facts.currency,
            ...(creditNoteId ? { creditNoteId } : {}),
            ...(shareReversalMinor ? { shareReversalMinor: shareReversalMinor.toString() } : {}),
          },
        },
        tx.manager,
      );
  }
}

interface DisputeFacts {
  id: string;
  amountMinor: bigint;
  currency: string;
  status: string;
  reason: string | null;
  /** The PaymentIntent (else the charge) our invoice was paid with. */
  paymentReference: string | null;
  chargeId: string | null;
  /** Σ of the fees of its balance transactions (the dispute fee, less a fee returned), or null when it lists none. */
  fee: ProviderFee | null;
}

/** The fields of a Stripe dispute object billing uses, or null when it is not one. */
function disputeFacts(dispute: Record<string, unknown>): DisputeFacts | null {
  const id = typeof dispute.id === 'string' ? dispute.id : null;
  const amount = typeof dispute.amount === 'number' ? BigInt(dispute.amount) : null;
  const currency = typeof dispute.currency === 'string' ? dispute.currency.toUpperCase() : null;
  if (!id || amount === null || !currency) return null;
  return {
    id,
    amountMinor: amount,
    currency,
    status: typeof dispute.status === 'string' ? dispute.status : 'needs_response',
    reason: typeof dispute.reason === 'string' ? dispute.reason : null,
    paymentReference:
      typeof dispute.payment_intent === 'string' ? dispute.payment_intent : typeof dispute.charge === 'string' ? dispute.charge : null,
    chargeId: typeof dispute.charge === 'string' ? dispute.charge : null,
    fee: disputeFee(dispute.balance_transactions),
  };
}

function disputeFee(balanceTransactions: unknown): ProviderFee | null {
  let total = 0n;
  let feeCurrency: string | null = null;
  for (const bt of Array.isArray(balanceTransactions) ? (balanceTransactions as unknown[]) : []) {
    const { fee, currency } = (bt ?? {}) as { fee?: unknown; currency?: unknown };
    if (typeof fee !== 'number' || typeof currency !== 'string') continue;
    total += BigInt(fee);
    feeCurrency ??= currency.toUpperCase();
  }
  return feeCurrency === null ? null : { amountMinor: total, currency: feeCurrency };
}
