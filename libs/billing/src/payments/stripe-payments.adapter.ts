import { randomUUID } from 'node:crypto';
import type { PayoutState } from '@app/catalog';
import { AppError, type Clock } from '@app/common';
import { Logger } from '@nestjs/common';
import Stripe from 'stripe';
import {
  PaymentsPort,
  type CheckoutSession,
  type ConnectedAccount,
  type ConnectedAccountRequest,
  type InvoiceCollection,
  type InvoiceCreditRequest,
  type ProviderFee,
  type InvoiceCollectionRequest,
  type OnboardingLink,
  type OveragePriceRequest,
  type PaymentRetryRequest,
  type ProviderCharge,
  type ProviderInvoice,
  type ProviderInvoiceLine,
  type ProviderSubscription,
  type ProviderTransfer,
  type RefundRequest,
  type TransferReversalRequest,
  type UsageReportRequest,
  type ProviderTransferRequest,
  type SubscriptionCheckoutRequest,
  type SubscriptionPlanChangeRequest,
  type VerifiedPaymentEvent,
} from './payments.port';

/** Webhook deliveries more than this many seconds before or after our clock are refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Idempotency keys of Stripe writes, derived from the business key (STYLE: Jobs; DESIGN §5). */
export const stripeIdempotencyKey = {
  connectedAccount: (providerId: string): string => `portico:connect-account:${providerId}`,
  /** Account links are single-use by design: every request mints a fresh one. */
  accountLink: (accountId: string): string => `portico:account-link:${accountId}:${randomUUID()}`,
  /** One Checkout Session per subscription: a retried subscribe (or a resumed checkout) gets the same page back. */
  subscriptionCheckout: (subscriptionId: string): string => `portico:checkout-session:${subscriptionId}`,
  overageMeter: (eventName: string): string => `portico:meter:${eventName}`,
  /** One metered price per plan and unit price (a new plan version with another price gets its own). */
  overagePrice: (planId: string, unitPriceMinor: string): string => `portico:overage-price:${planId}:${unitPriceMinor}`,
  /** The meter event of one subscription's usage window: `<subscriptionId>:<windowStart>`. */
  usage: (identifier: string): string => `portico:usage:${identifier}`,
  refund: (refundId: string): string => `portico:refund:${refundId}`,
  /** A credit note on an open invoice, sent once. */
  creditNote: (creditNoteId: string): string => `portico:credit-note:${creditNoteId}`,
  /** The same credit paid back as a refund, when Stripe had collected the invoice in full first. */
  creditNoteRefund: (creditNoteId: string): string => `portico:credit-note:${creditNoteId}:refund`,
  /** The provider's share of a lost dispute, taken back from the charge's transfer once. */
  disputeShare: (stripeDisputeId: string): string => `portico:dispute-share:${stripeDisputeId}`,
  invoiceRetry: (invoiceId: string, retry: number): string => `portico:invoice-retry:${invoiceId}:${retry}`,
  /**
   * A cancellation at period end, numbered by the plan changes recorded before it: a plan change
   * withdraws a pending cancellation at Stripe, so a cancellation after it is a new request (the
   * same key would have Stripe replay the first for 24 h and change nothing).
   */
  cancelAtPeriodEnd: (subscriptionId: string, planChanges: number): string =>
    `portico:cancel-at-period-end:${subscriptionId}:${planChanges}`,
  /** With a final invoice (a consumer's cancellation) or without (dunning gave up): other parameters, another key. */
  cancelSubscription: (subscriptionId: string, finalInvoice = false): string =>
    `portico:cancel-subscription:${subscriptionId}${finalInvoice ? ':final-invoice' : ''}`,
  /** The licensed (base) price of a plan version, for plan changes (Checkout sends it inline). */
  basePrice: (planId: string, currency: string, unitAmountMinor: bigint): string =>
    `portico:base-price:${planId}:${currency.toLowerCase()}:${unitAmountMinor}`,
  /** The n-th plan change of a subscription, to the target plan: a retry of the same change updates once. */
  planChange: (subscriptionId: string, changeNumber: number, planId: string): string =>
    `portico:plan-change:${subscriptionId}:${changeNumber}:${planId}`,
};

/**
 * How a plan change is prorated at Stripe: Portico's rating prorates the base price by time
 * (`price × segment ÷ period` per plan held) and bills nothing at the change itself (the period is
 * rated when it closes). `create_prorations` is the same: a credit for the unused time of the old
 * price and a charge for the rest of the period at the new one, added to the next invoice, nothing
 * charged at once (README "Plan changes on Stripe").
 */
export const PLAN_CHANGE_PRORATION_BEHAVIOR = 'create_prorations' as const;

/** The meter Portico's overage prices bill (`sum` of `value` per `stripe_customer_id`). */
export const OVERAGE_METER_EVENT = 'portico_overage_units';

const sec = (value: number | null | undefined): Date | null =>
  typeof value === 'number' ? new Date(value * 1000) : null;

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string')
    return (value as { id: string }).id;
  return null;
}

/** The fee of an expanded balance transaction (Stripe's processing fee of a charge); null when not expanded or not there yet. */
function feeOf(balanceTransaction: unknown): ProviderFee | null {
  if (!balanceTransaction || typeof balanceTransaction !== 'object') return null;
  const { fee, currency } = balanceTransaction as { fee?: unknown; currency?: unknown };
  if (typeof fee !== 'number' || typeof currency !== 'string') return null;
  return { amountMinor: BigInt(fee), currency: currency.toUpperCase() };
}

/** `checkout.sessions.create` parameters of a subscription's first payment (README "Checkout"). */
export function subscriptionCheckoutParams(
  request: SubscriptionCheckoutRequest,
  overagePriceId: string | null = null,
): Stripe.Checkout.SessionCreateParams {
  return {
    mode: 'subscription',
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: request.currency.toLowerCase(),
          unit_amount: Number(request.unitAmountMinor),
          recurring: { interval: 'month' },
          product_data: { name: request.productName },
        },
      },
      // metered prices take no quantity: the usage reporter's meter events decide it
      ...(overagePriceId ? [{ price: overagePriceId }] : []),
    ],
    client_reference_id: request.subscriptionId,
    metadata: { subscriptionId: request.subscriptionId },
    ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
    subscription_data: {
      application_fee_percent: request.applicationFeePercent,
      transfer_data: { destination: request.destinationAccountId },
      metadata: { subscriptionId: request.subscriptionId },
    },
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
  };
}

/** Connect account settings: Stripe-hosted onboarding and an Express dashboard; the platform pays fees and bears losses. */
export const CONNECT_ACCOUNT_PARAMS: Omit<Stripe.AccountCreateParams, 'metadata'> = {
  controller: {
    stripe_dashboard: { type: 'express' },
    fees: { payer: 'application' },
    losses: { payments: 'application' },
  },
  capabilities: {
    card_payments: { requested: true },
    transfers: { requested: true },
  },
};

function invalidSignature(reason: string): AppError {
  return new AppError(
    'webhook_signature_invalid',
    `The Stripe webhook could not be verified: ${reason}. Check STRIPE_WEBHOOK_SECRET against the endpoint's signing secret in the Stripe dashboard.`,
  );
}

/** `t=` of a Stripe-Signature header (unix seconds), or null. */
function signatureTimestamp(header: string): number | null {
  for (const part of header.split(',')) {
    const [key, value] = part.split('=', 2);
    if (key?.trim() === 't' && value !== undefined && /^\d+$/.test(value.trim())) return Number(value.trim());
  }
  return null;
}

function toConnectedAccount(account: Stripe.Account): ConnectedAccount {
  const requirements = account.requirements;
  return {
    id: account.id,
    chargesEnabled: account.charges_enabled === true,
    payoutsEnabled: account.payouts_enabled === true,
    detailsSubmitted: account.details_submitted === true,
    requirements: {
      currentlyDue: requirements?.currently_due ?? [],
      pastDue: requirements?.past_due ?? [],
      eventuallyDue: requirements?.eventually_due ?? [],
      pendingVerification: requirements?.pending_verification ?? [],
      disabledReason: requirements?.disabled_reason ?? null,
      currentDeadline: requirements?.current_deadline ? new Date(requirements.current_deadline * 1000) : null,
    },
  };
}

/**
 * `PAYMENTS=stripe`: Stripe Connect through the official SDK. Providers get a connected account with
 * an Express-style dashboard (controller properties, not the legacy `type`), onboard through
 * single-use account links, and their state comes back through `account.updated` webhooks.
 */
export class StripePaymentsAdapter extends PaymentsPort {
  readonly mode = 'stripe' as const;
  readonly requiresOnboarding = true;
  private readonly logger = new Logger(StripePaymentsAdapter.name);

  constructor(
    private readonly stripe: Stripe,
    private readonly webhookSecret: string,
    private readonly clock: Clock,
  ) {
    super();
  }

  initialPayoutState(): PayoutState {
    return {
      payoutStatus: 'not_started',
      chargesEnabled: false,
      payoutsEnabled: false,
      payoutRequirements: [],
    };
  }

  async createConnectedAccount(request: ConnectedAccountRequest): Promise<ConnectedAccount> {
    try {
      const account = await this.stripe.accounts.create(
        { ...CONNECT_ACCOUNT_PARAMS, metadata: { providerId: request.providerId } },
        { idempotencyKey: stripeIdempotencyKey.connectedAccount(request.providerId) },
      );
      return toConnectedAccount(account);
    } catch (error) {
      throw this.failure(error, 'create the payout account');
    }
  }

  async retrieveConnectedAccount(accountId: string): Promise<ConnectedAccount> {
    try {
      return toConnectedAccount(await this.stripe.accounts.retrieve(accountId));
    } catch (error) {
      throw this.failure(error, `read the payout account ${accountId}`);
    }
  }

  async createOnboardingLink(
    accountId: string,
    returnUrl: string,
    refreshUrl: string,
  ): Promise<OnboardingLink> {
    try {
      const link = await this.stripe.accountLinks.create(
        { account: accountId, type: 'account_onboarding', return_url: returnUrl, refresh_url: refreshUrl },
        { idempotencyKey: stripeIdempotencyKey.accountLink(accountId) },
      );
      return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
    } catch (error) {
      throw this.failure(error, 'create an onboarding link');
    }
  }

  async createSubscriptionCheckout(request: SubscriptionCheckoutRequest): Promise<CheckoutSession> {
    if (request.unitAmountMinor > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`price ${request.unitAmountMinor} is beyond what Stripe's unit_amount carries`);
    let session: Stripe.Checkout.Session;
    try {
      const overagePriceId = request.overage ? await this.overagePrice(request.overage) : null;
      session = await this.stripe.checkout.sessions.create(subscriptionCheckoutParams(request, overagePriceId), {
        idempotencyKey: stripeIdempotencyKey.subscriptionCheckout(request.subscriptionId),
      });
    } catch (error) {
      throw this.failure(error, 'open a checkout page');
    }
    if (!session.url) throw new Error(`Stripe answered checkout session ${session.id} without a url`);
    return {
      id: session.id,
      url: session.url,
      expiresAt: session.expires_at ? new Date(session.expires_at * 1000) : null,
    };
  }

  /** Destination charges move the provider's share to the connected account with each payment. */
  readonly paysOutSeparately = false;

  /**
   * The charge is Stripe's (the subscription created by Checkout invoices it): Portico's invoice
   * stays open until the Stripe work's `invoice.paid` webhook marks it paid.
   */
  collectInvoice(_request: InvoiceCollectionRequest): Promise<InvoiceCollection> {
    return Promise.resolve({ status: 'pending' });
  }

  transferToProvider(_request: ProviderTransferRequest): Promise<ProviderTransfer> {
    return Promise.reject(
      new Error('PAYMENTS=stripe pays providers through destination charges (check paysOutSeparately first)'),
    );
  }

  readonly collectsSubscriptions = true;
  private meterId: Promise<string> | null = null;
  private readonly meteredPrices = new Map<string, boolean>();

  /** The overage meter: found by its event name, else created (idempotent by the event name). */
  private overageMeter(): Promise<string> {
    this.meterId ??= (async () => {
      const meters = await this.stripe.billing.meters.list({ status: 'active', limit: 100 });
      const found = meters.data.find((m) => m.event_name === OVERAGE_METER_EVENT);
      if (found) return found.id;
      const meter = await this.stripe.billing.meters.create(
        {
          display_name: 'Portico overage units',
          event_name: OVERAGE_METER_EVENT,
          default_aggregation: { formula: 'sum' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        },
        { idempotencyKey: stripeIdempotencyKey.overageMeter(OVERAGE_METER_EVENT) },
      );
      return meter.id;
    })().catch((error: unknown) => {
      this.meterId = null;
      throw error;
    });
    return this.meterId;
  }

  /** The plan's metered overage price (idempotent per plan and unit price). */
  private async overagePrice(overage: OveragePriceRequest): Promise<string> {
    const meter = await this.overageMeter();
    const price = await this.stripe.prices.create(
      {
        currency: overage.currency.toLowerCase(),
        unit_amount_decimal: Stripe.Decimal.from(overage.unitPriceMinor),
        recurring: { interval: 'month', usage_type: 'metered', meter },
        product_data: { name: `${overage.productName} — overage` },
        metadata: { porticoPlanId: overage.planId, porticoKind: 'overage' },
      },
      { idempotencyKey: stripeIdempotencyKey.overagePrice(overage.planId, overage.unitPriceMinor) },
    );
    this.meteredPrices.set(price.id, true);
    return price.id;
  }

  async reportUsage(request: UsageReportRequest): Promise<void> {
    if (request.units > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`usage ${request.units} is beyond a meter event value`);
    try {
      await this.stripe.billing.meterEvents.create(
        {
          event_name: OVERAGE_METER_EVENT,
          identifier: request.identifier,
          // the window's last second: a window starts on a whole minute (metering's unit), which may
          // fall seconds before the Stripe period began; its end always lies inside that period (the
          // second holding its last instant, also for the partial window a cancellation ends)
          timestamp: Math.ceil(request.windowEnd.getTime() / 1000) - 1,
          payload: { stripe_customer_id: request.customerId, value: request.units.toString() },
        },
        { idempotencyKey: stripeIdempotencyKey.usage(request.identifier) },
      );
    } catch (error) {
      // the identifier was recorded already (another key, or after Stripe's 24 h key window): counted once
      if (error instanceof Stripe.errors.StripeError && error.code === 'meter_event_duplicate') return;
      throw this.failure(error, `report usage ${request.identifier}`);
    }
  }

  async retrieveSubscription(providerSubscriptionId: string): Promise<ProviderSubscription> {
    let sub: Stripe.Subscription;
    try {
      sub = await this.stripe.subscriptions.retrieve(providerSubscriptionId);
    } catch (error) {
      throw this.failure(error, `read the subscription ${providerSubscriptionId}`);
    }
    const item = sub.items?.data?.[0];
    return {
      id: sub.id,
      customerId: idOf(sub.customer) ?? '',
      status: sub.status,
      porticoSubscriptionId: sub.metadata?.subscriptionId ?? null,
      currentPeriodStart: sec(item?.current_period_start),
      currentPeriodEnd: sec(item?.current_period_end),
      cancelAtPeriodEnd: sub.cancel_at_period_end === true,
      applicationFeePercent: sub.application_fee_percent ?? null,
    };
  }

  async changeSubscriptionPlan(request: SubscriptionPlanChangeRequest): Promise<'updated' | 'unchanged'> {
    if (request.unitAmountMinor > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`price ${request.unitAmountMinor} is beyond what Stripe's unit_amount carries`);
    const action = `change the plan of the subscription ${request.providerSubscriptionId}`;
    try {
      const sub = await this.stripe.subscriptions.retrieve(request.providerSubscriptionId);
      const basePriceId = await this.basePrice(request);
      const overagePriceId = request.overage ? await this.overagePrice(request.overage) : null;
      // Checkout made one licensed (base) item and, for soft quotas with a unit price, one metered item
      let base: Stripe.SubscriptionItem | undefined;
      let metered: Stripe.SubscriptionItem | undefined;
      for (const item of sub.items.data) {
        if (await this.isMetered(item.price.id)) metered ??= item;
        else base ??= item;
      }
      if (base?.price.id === basePriceId && (metered?.price.id ?? null) === overagePriceId && !sub.cancel_at_period_end)
        return 'unchanged';
      const items: Stripe.SubscriptionUpdateParams.Item[] = [base ? { id: base.id, price: basePriceId } : { price: basePriceId }];
      // the metered price is swapped on the same item: Stripe bills the period's usage at the price
      // held at its end, as Portico's rating does (overage at the plan held at the period's end)
      if (metered) items.push(overagePriceId ? { id: metered.id, price: overagePriceId } : { id: metered.id, deleted: true });
      else if (overagePriceId) items.push({ price: overagePriceId });
      await this.stripe.subscriptions.update(
        request.providerSubscriptionId,
        {
          items,
          proration_behavior: PLAN_CHANGE_PRORATION_BEHAVIOR,
          proration_date: Math.floor(request.prorationDate.getTime() / 1000),
          // a plan change withdraws a pending cancellation in Portico: the same at Stripe
          cancel_at_period_end: false,
          metadata: { porticoPlanId: request.planId },
        },
        { idempotencyKey: stripeIdempotencyKey.planChange(request.subscriptionId, request.changeNumber, request.planId) },
      );
      return 'updated';
    } catch (error) {
      throw this.failure(error, action);
    }
  }

  /** The plan's licensed monthly price (idempotent per plan version, currency and amount). */
  private async basePrice(request: SubscriptionPlanChangeRequest): Promise<string> {
    const price = await this.stripe.prices.create(
      {
        currency: request.currency.toLowerCase(),
        unit_amount: Number(request.unitAmountMinor),
        recurring: { interval: 'month' },
        product_data: { name: request.productName },
        metadata: { porticoPlanId: request.planId, porticoKind: 'base' },
      },
      { idempotencyKey: stripeIdempotencyKey.basePrice(request.planId, request.currency, request.unitAmountMinor) },
    );
    this.meteredPrices.set(price.id, false);
    return price.id;
  }

  async cancelSubscription(providerSubscriptionId: string, subscriptionId: string, finalInvoice = false): Promise<void> {
    try {
      await this.stripe.subscriptions.cancel(
        providerSubscriptionId,
        // invoice_now: Stripe invoices the period's un-invoiced metered usage now; no proration of the base paid in advance
        { invoice_now: finalInvoice, prorate: false },
        { idempotencyKey: stripeIdempotencyKey.cancelSubscription(subscriptionId, finalInvoice) },
      );
    } catch (error) {
      // already canceled (by Stripe's own dunning, the dashboard or an earlier attempt): the end state we want
      if (error instanceof Stripe.errors.StripeError && error.statusCode === 404) return;
      if (error instanceof Stripe.errors.StripeError && /canceled/i.test(error.message)) return;
      throw this.failure(error, `cancel the subscription ${providerSubscriptionId}`);
    }
  }

  async cancelSubscriptionAtPeriodEnd(
    providerSubscriptionId: string,
    subscriptionId: string,
    planChanges: number,
  ): Promise<void> {
    try {
      await this.stripe.subscriptions.update(
        providerSubscriptionId,
        { cancel_at_period_end: true },
        { idempotencyKey: stripeIdempotencyKey.cancelAtPeriodEnd(subscriptionId, planChanges) },
      );
    } catch (error) {
      throw this.failure(error, `cancel the subscription ${providerSubscriptionId} at its period end`);
    }
  }

  async retrieveInvoice(providerInvoiceId: string): Promise<ProviderInvoice> {
    let invoice: Stripe.Invoice;
    try {
      invoice = await this.stripe.invoices.retrieve(providerInvoiceId, { expand: ['payments'] });
    } catch (error) {
      throw this.failure(error, `read the invoice ${providerInvoiceId}`);
    }
    const lines: ProviderInvoiceLine[] = [];
    for (const line of invoice.lines.data) {
      const priceId = idOf(line.pricing?.price_details?.price);
      const metered = priceId !== null && (await this.isMetered(priceId));
      lines.push({
        kind: metered ? 'overage' : 'base',
        description: line.description ?? (metered ? 'Overage' : 'Subscription'),
        amountMinor: BigInt(line.amount),
        quantity: metered && line.quantity !== null ? BigInt(line.quantity) : null,
        unitPriceMinor: metered && line.pricing?.unit_amount_decimal ? line.pricing.unit_amount_decimal.toString() : null,
        periodStart: new Date(line.period.start * 1000),
        periodEnd: new Date(line.period.end * 1000),
      });
    }
    const payment = invoice.payments?.data?.find((p) => p.status === 'paid') ?? invoice.payments?.data?.[0];
    return {
      id: invoice.id,
      number: invoice.number,
      subscriptionId: idOf(invoice.parent?.subscription_details?.subscription),
      status: (invoice.status ?? 'draft') as ProviderInvoice['status'],
      currency: invoice.currency.toUpperCase(),
      totalMinor: BigInt(invoice.total),
      amountPaidMinor: BigInt(invoice.amount_paid),
      amountRemainingMinor: BigInt(invoice.amount_remaining),
      attemptCount: invoice.attempt_count,
      paymentReference: idOf(payment?.payment?.payment_intent) ?? idOf(payment?.payment?.charge),
      chargeId: idOf(payment?.payment?.charge),
      lines,
    };
  }

  private async isMetered(priceId: string): Promise<boolean> {
    const known = this.meteredPrices.get(priceId);
    if (known !== undefined) return known;
    const price = await this.stripe.prices.retrieve(priceId);
    const metered = price.recurring?.usage_type === 'metered';
    this.meteredPrices.set(priceId, metered);
    return metered;
  }

  async retrieveCharge(chargeId: string): Promise<ProviderCharge> {
    let charge: Stripe.Charge;
    try {
      charge = await this.stripe.charges.retrieve(chargeId, { expand: ['refunds', 'balance_transaction'] });
    } catch (error) {
      throw this.failure(error, `read the charge ${chargeId}`);
    }
    return {
      id: charge.id,
      paymentReference: idOf(charge.payment_intent) ?? charge.id,
      currency: charge.currency.toUpperCase(),
      amountMinor: BigInt(charge.amount),
      amountRefundedMinor: BigInt(charge.amount_refunded),
      refunds: (charge.refunds?.data ?? []).map((r) => ({
        id: r.id,
        amountMinor: BigInt(r.amount),
        status: r.status ?? 'pending',
        porticoRefundId: r.metadata?.porticoRefundId ?? null,
        porticoCreditNoteId: r.metadata?.porticoCreditNoteId ?? null,
      })),
      transferId: idOf(charge.transfer),
      fee: feeOf(charge.balance_transaction),
    };
  }

  async reverseTransfer(request: TransferReversalRequest): Promise<{ reference: string }> {
    try {
      const reversal = await this.stripe.transfers.createReversal(
        request.transferId,
        { amount: Number(request.amountMinor), metadata: request.metadata },
        { idempotencyKey: stripeIdempotencyKey.disputeShare(request.stripeDisputeId) },
      );
      return { reference: reversal.id };
    } catch (error) {
      throw this.failure(error, `reverse ${request.amountMinor} of the transfer ${request.transferId}`);
    }
  }

  async retryInvoicePayment(request: PaymentRetryRequest): Promise<'paid' | 'failed'> {
    if (!request.providerInvoiceId) throw new Error(`invoice ${request.invoiceId} is not a Stripe invoice`);
    try {
      const invoice = await this.stripe.invoices.pay(
        request.providerInvoiceId,
        {},
        { idempotencyKey: stripeIdempotencyKey.invoiceRetry(request.invoiceId, request.retry) },
      );
      return invoice.status === 'paid' ? 'paid' : 'failed';
    } catch (error) {
      // a declined card is an answer, not a failure of the call
      if (error instanceof Stripe.errors.StripeCardError) return 'failed';
      if (error instanceof Stripe.errors.StripeError && error.code === 'invoice_payment_intent_requires_action') return 'failed';
      throw this.failure(error, `retry the payment of ${request.providerInvoiceId}`);
    }
  }

  /**
   * `POST /v1/credit_notes` on the open invoice: Stripe lowers its `amount_remaining` (and marks it
   * paid when nothing is left), so a retry or the consumer's next attempt collects the rest only.
   * If Stripe collected the invoice in full before the note reached it (a retry or the consumer's
   * payment in between), it refuses the note; the credit is then refunded from that payment with
   * the transfer and fee reversed in proportion — the same money in the end (Portico booked the
   * payment and the transfer less the note already). Sending the note again first, with its key,
   * makes Stripe replay a note that did get through, so the credit never lands twice.
   */
  async creditOpenInvoice(request: InvoiceCreditRequest): Promise<{ reference: string | null }> {
    if (!request.providerInvoiceId) return { reference: null };
    const metadata = { porticoCreditNoteId: request.creditNoteId, porticoInvoiceId: request.invoiceId };
    try {
      const note = await this.stripe.creditNotes.create(
        {
          invoice: request.providerInvoiceId,
          amount: Number(request.amountMinor),
          ...(request.memo ? { memo: request.memo.slice(0, 500) } : {}),
          metadata,
        },
        { idempotencyKey: stripeIdempotencyKey.creditNote(request.creditNoteId) },
      );
      return { reference: note.id };
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw this.failure(error, `credit the open invoice ${request.providerInvoiceId}`);
      const invoice = await this.retrieveInvoice(request.providerInvoiceId);
      if (invoice.status !== 'paid' || !invoice.paymentReference) throw this.failure(error, `credit the open invoice ${request.providerInvoiceId}`);
      this.logger.warn({ invoiceId: request.invoiceId, creditNoteId: request.creditNoteId }, 'Stripe collected the invoice before its credit note: refunding the credit instead');
      return this.refund(
        invoice.paymentReference,
        request.amountMinor,
        metadata,
        stripeIdempotencyKey.creditNoteRefund(request.creditNoteId),
        `refund the credit of ${request.providerInvoiceId}`,
      );
    }
  }

  refundPayment(request: RefundRequest): Promise<{ reference: string }> {
    if (!request.paymentReference) throw new Error(`invoice ${request.invoiceId} has no payment to refund`);
    return this.refund(
      request.paymentReference,
      request.amountMinor,
      { porticoRefundId: request.refundId, porticoInvoiceId: request.invoiceId },
      stripeIdempotencyKey.refund(request.refundId),
      'refund the payment',
    );
  }

  /** A refund of a destination charge: the provider's share taken back and the fee given back in proportion. */
  private async refund(
    paymentReference: string,
    amountMinor: bigint,
    metadata: Record<string, string>,
    idempotencyKey: string,
    action: string,
  ): Promise<{ reference: string }> {
    // what paid: the charge (`ch_…`) or the PaymentIntent
    const target = paymentReference.startsWith('ch_') ? { charge: paymentReference } : { payment_intent: paymentReference };
    try {
      const refund = await this.stripe.refunds.create(
        { ...target, amount: Number(amountMinor), reverse_transfer: true, refund_application_fee: true, metadata },
        { idempotencyKey },
      );
      return { reference: refund.id };
    } catch (error) {
      throw this.failure(error, action);
    }
  }

  verifyWebhook(rawBody: Buffer | undefined, signatureHeader: string | undefined): VerifiedPaymentEvent {
    if (!rawBody || rawBody.length === 0) throw invalidSignature('the request has no JSON body');
    if (!signatureHeader) throw invalidSignature('the Stripe-Signature header is missing');
    const nowMs = this.clock.now().getTime();
    const timestamp = signatureTimestamp(signatureHeader);
    if (timestamp === null) throw invalidSignature('the Stripe-Signature header has no timestamp');
    // stripe-node refuses old timestamps only; a delivery from the future is refused here too
    if (Math.abs(Math.floor(nowMs / 1000) - timestamp) > WEBHOOK_TOLERANCE_SECONDS) {
      throw invalidSignature(
        `its timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s away from this server's clock`,
      );
    }
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        signatureHeader,
        this.webhookSecret,
        WEBHOOK_TOLERANCE_SECONDS,
        undefined,
        nowMs,
      );
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError)
        throw invalidSignature('the signature does not match');
      throw invalidSignature('the body is not a Stripe event');
    }
    const payload = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
    return {
      id: event.id,
      type: event.type,
      account: event.account ?? null,
      createdAt: new Date(event.created * 1000),
      payload,
    };
  }

  private failure(error: unknown, action: string): unknown {
    if (!(error instanceof Stripe.errors.StripeError)) return error;
    this.logger.warn(
      {
        type: error.type,
        code: error.code,
        statusCode: error.statusCode,
        requestId: error.requestId,
        param: error.param,
      },
      `Stripe refused to ${action}: ${error.message}`,
    );
    return new AppError(
      'payments_provider_error',
      `Stripe could not ${action}: ${error.message} Try again in a moment; if it keeps failing, tell the operator (Stripe request ${error.requestId ?? 'unknown'}).`,
      { provider: 'stripe', providerCode: error.code ?? error.type },
    );
  }
}
