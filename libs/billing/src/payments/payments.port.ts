import type { PayoutState } from '@app/catalog';
import type { PaymentsMode } from '../billing.env';

/**
 * Onboarding requirements of a connected account, as Stripe reports them (`requirements.*`).
 * Field names are the payment provider's (`individual.verification.document`, `external_account`).
 */
export interface AccountRequirements {
  /** Due now: the provider must supply these to (keep) receiving charges and payouts. */
  currentlyDue: string[];
  /** Due and past their deadline: capabilities are (being) disabled. */
  pastDue: string[];
  /** Due later (a future deadline, or when volume grows). */
  eventuallyDue: string[];
  /** Submitted and being verified. */
  pendingVerification: string[];
  /** Why charges/payouts are disabled (`requirements.past_due`, `under_review`, `rejected.fraud`, …), or null. */
  disabledReason: string | null;
  currentDeadline: Date | null;
}

/** The account a provider is paid into (a Stripe Connect account), as the port reports it. */
export interface ConnectedAccount {
  id: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  /** The provider finished (submitted) the hosted onboarding form at least once. */
  detailsSubmitted: boolean;
  requirements: AccountRequirements;
}

/** Who the connected account is for: its business key (idempotency keys derive from it). */
export interface ConnectedAccountRequest {
  providerId: string;
}

/** A single-use link to the payment provider's hosted onboarding. */
export interface OnboardingLink {
  url: string;
  expiresAt: Date;
}

/**
 * A hosted payment page for the first period of a paid subscription (Stripe Checkout in
 * `subscription` mode): a destination charge to the provider's connected account, with the
 * platform fee kept as an application fee.
 */
export interface SubscriptionCheckoutRequest {
  /** Portico's subscription id: the business key (client reference, metadata, idempotency key). */
  subscriptionId: string;
  /** Prefills the payment page; null lets the payer type it. */
  customerEmail: string | null;
  /** What the payer sees on the page and the receipt (API and plan names). */
  productName: string;
  /** ISO 4217, as the plan stores it (e.g. `USD`). */
  currency: string;
  /** The monthly price in the currency's minor unit (a plan's `priceAmountMinor`). */
  unitAmountMinor: bigint;
  /** The platform's share of every charge, in percent (PLATFORM_FEE_BPS / 100, e.g. 20). */
  applicationFeePercent: number;
  /** The provider's connected account, which receives the charge minus the fee. */
  destinationAccountId: string;
  successUrl: string;
  cancelUrl: string;
  /**
   * Soft-quota plans with an overage price: a metered price on the same Stripe subscription that
   * the usage reporter feeds (meter events per subscription and window), charged in arrears.
   */
  overage?: OveragePriceRequest | null;
}

/** The metered price of a plan's overage units (business key: the plan id and its unit price). */
export interface OveragePriceRequest {
  planId: string;
  currency: string;
  /** Exact decimal minor units per unit (`2.5` = 2.5 cents), as the plan stores it. */
  unitPriceMinor: string;
  productName: string;
}

/**
 * A plan change of a subscription the payment provider collects: its items move to the new plan's
 * prices (business key: the subscription, the number of this change and the target plan).
 */
export interface SubscriptionPlanChangeRequest {
  subscriptionId: string;
  providerSubscriptionId: string;
  /** 1-based: this is the subscription's n-th plan change (a retry of the same change has the same n). */
  changeNumber: number;
  planId: string;
  productName: string;
  currency: string;
  /** The new plan's monthly price in minor units (0 for a free plan). */
  unitAmountMinor: bigint;
  /** The new plan's metered overage price, or null (hard quota, no unit price): the metered item is then removed. */
  overage: OveragePriceRequest | null;
  /** The instant Portico changed the plan: the provider prorates at it. */
  prorationDate: Date;
}

/** One usage window of one subscription, aggregated from the metering rollups. */
export interface UsageReportRequest {
  subscriptionId: string;
  /** The payment provider's customer the metered price bills (`cus_…`). */
  customerId: string;
  windowStart: Date;
  /** The window's end (exclusive): the meter event is timestamped just before it. */
  windowEnd: Date;
  /** `<subscriptionId>:<windowStart ISO>`: deterministic, the meter event's identifier. */
  identifier: string;
  units: bigint;
}

/** A subscription at the payment provider, as it is now (the source of truth for its payment state). */
export interface ProviderSubscription {
  id: string;
  customerId: string;
  /** The provider's status (`active`, `past_due`, `unpaid`, `canceled`, `incomplete_expired`, …). */
  status: string;
  porticoSubscriptionId: string | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  applicationFeePercent: number | null;
}

export interface ProviderInvoiceLine {
  kind: 'base' | 'overage';
  description: string;
  amountMinor: bigint;
  quantity: bigint | null;
  /** Exact decimal minor units per unit. */
  unitPriceMinor: string | null;
  periodStart: Date;
  periodEnd: Date;
}

/** An invoice the payment provider issued for a subscription, as it is now. */
export interface ProviderInvoice {
  id: string;
  number: string | null;
  /** The provider's subscription it bills, or null (one-off invoices are not Portico's). */
  subscriptionId: string | null;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  /** ISO 4217 upper case. */
  currency: string;
  totalMinor: bigint;
  amountPaidMinor: bigint;
  /** What is left to collect: the total less payments and credit notes issued while it was open. */
  amountRemainingMinor: bigint;
  attemptCount: number;
  /** What refunds go through: the PaymentIntent (`pi_…`) that paid it, or null while unpaid. */
  paymentReference: string | null;
  /** The charge that paid it (`ch_…`), or null (unpaid, or paid without a charge: credited in full). */
  chargeId: string | null;
  lines: ProviderInvoiceLine[];
}

export interface ProviderRefundInfo {
  id: string;
  amountMinor: bigint;
  status: string;
  /** `metadata.porticoRefundId` of refunds Portico made; null for refunds made elsewhere (the dashboard). */
  porticoRefundId: string | null;
  /** `metadata.porticoCreditNoteId` of a credit note Portico paid back as a refund (its invoice was collected in full first). */
  porticoCreditNoteId: string | null;
}

/** A fee the payment provider took, in the currency of the platform's balance it came from. */
export interface ProviderFee {
  amountMinor: bigint;
  /** ISO 4217 upper case. */
  currency: string;
}

/** A charge with its refunds, as it is now. */
export interface ProviderCharge {
  id: string;
  paymentReference: string | null;
  currency: string;
  amountMinor: bigint;
  amountRefundedMinor: bigint;
  refunds: ProviderRefundInfo[];
  /** The transfer of a destination charge to the provider's account (stripe); null otherwise. */
  transferId: string | null;
  /** What the payment provider took from the platform for this charge (its processing fee), or null when it does not say yet. */
  fee: ProviderFee | null;
}

/** Takes part of a destination charge's transfer back from the provider's account (business key: the lost dispute). */
export interface TransferReversalRequest {
  /** Stripe's id of the lost dispute whose provider share is taken back. */
  stripeDisputeId: string;
  transferId: string;
  amountMinor: bigint;
  metadata: Record<string, string>;
}

/** A refund of part or all of a payment (business key: Portico's refund id). */
export interface RefundRequest {
  refundId: string;
  invoiceId: string;
  paymentReference: string | null;
  amountMinor: bigint;
  currency: string;
}

/** A credit note on an open invoice: what is left to collect goes down (business key: the credit note). */
export interface InvoiceCreditRequest {
  creditNoteId: string;
  invoiceId: string;
  /** The payment provider's invoice (stripe: `in_…`), or null when it does not collect this one. */
  providerInvoiceId: string | null;
  amountMinor: bigint;
  currency: string;
  memo: string | null;
}

/** A retry of an unpaid invoice (business key: the invoice id and the retry number). */
export interface PaymentRetryRequest {
  invoiceId: string;
  providerInvoiceId: string | null;
  retry: number;
}

/** A created payment page. */
export interface CheckoutSession {
  /** The payment provider's id (`cs_…`). */
  id: string;
  /** Where to send the payer's browser. */
  url: string;
  expiresAt: Date | null;
}

/** A webhook event whose signature and timestamp were verified. */
export interface VerifiedPaymentEvent {
  /** The provider's event id (`evt_…`): the inbox key and the job id. */
  id: string;
  type: string;
  /** Connected account the event is about (Connect events), else null. */
  account: string | null;
  createdAt: Date;
  /** The whole event as received, stored in the inbox. */
  payload: Record<string, unknown>;
}

/** An invoice Portico finalised and asks the payment adapter to collect (business key: the invoice id). */
export interface InvoiceCollectionRequest {
  invoiceId: string;
  invoiceNumber: string;
  consumerAccountId: string;
  providerId: string;
  amountMinor: bigint;
  currency: string;
}

/** `paid`: collected now (local); `pending`: the adapter reports the payment later (stripe: webhooks). */
export type InvoiceCollection = { status: 'paid'; reference: string } | { status: 'pending' };

/** A payout of a provider's balance (business key: the payout id). */
export interface ProviderTransferRequest {
  payoutId: string;
  providerId: string;
  amountMinor: bigint;
  currency: string;
}

export interface ProviderTransfer {
  reference: string;
}

/**
 * Everything Portico asks of a payment provider, behind one interface with two adapters chosen by
 * `PAYMENTS` in one factory (payments.factory.ts): `local` (built in, no external service) and
 * `stripe` (Stripe Connect through the official SDK).
 *
 * Contract every method keeps, now and when later issues add customers, checkout, subscriptions,
 * usage, invoices and refunds:
 *  - Writes take the business key of what they create (here the provider id) and the adapter sends
 *    an idempotency key derived from it (`portico:<operation>:<business key>`), so a retried job or
 *    request creates nothing twice. Never rely on an SDK's random keys.
 *  - Inputs and outputs are Portico's own types (camelCase, Dates, integer minor units); provider
 *    objects never leak past the adapter.
 *  - Failures of the provider surface as `AppError('payments_provider_error')` (502); programming
 *    errors (calling an operation the adapter cannot do) are plain Errors.
 *  - State is derived from the provider's current objects, never from the order events arrive in.
 */
export abstract class PaymentsPort {
  abstract readonly mode: PaymentsMode;

  /** Whether providers must finish hosted onboarding (a connected account) before they can be paid. */
  abstract readonly requiresOnboarding: boolean;

  /** The payout state a new provider starts in (`ready` at once with local payments). */
  abstract initialPayoutState(): PayoutState;

  /** Creates the provider's connected account (idempotent per provider id). */
  abstract createConnectedAccount(request: ConnectedAccountRequest): Promise<ConnectedAccount>;

  /** The connected account as it is now (the source of truth for payout state). */
  abstract retrieveConnectedAccount(accountId: string): Promise<ConnectedAccount>;

  /** A new single-use onboarding link. `refreshUrl` is visited when it expired or was used. */
  abstract createOnboardingLink(
    accountId: string,
    returnUrl: string,
    refreshUrl: string,
  ): Promise<OnboardingLink>;

  /**
   * Creates the hosted payment page of a paid subscription's first period (idempotent per
   * subscription id). Only adapters whose payments are collected by the payment provider have it:
   * check `mode` first (local payments activate paid subscriptions at once).
   */
  abstract createSubscriptionCheckout(request: SubscriptionCheckoutRequest): Promise<CheckoutSession>;

  /**
   * Verifies a webhook delivery on its raw body (signature and a ±300 s timestamp window) and
   * returns the event. Throws `AppError('webhook_signature_invalid')` when it does not verify.
   */
  /**
   * Collects a finalised invoice (idempotent per invoice id). `local` answers `paid` at once;
   * `stripe` answers `pending` (the payment arrives through webhooks: issue 6's Stripe part).
   */
  abstract collectInvoice(request: InvoiceCollectionRequest): Promise<InvoiceCollection>;

  /**
   * Pays a provider their balance (idempotent per payout id). Only adapters that pay providers
   * separately from the charge have it: check `paysOutSeparately` first (Stripe destination
   * charges already move the provider's share to the connected account).
   */
  abstract readonly paysOutSeparately: boolean;
  abstract transferToProvider(request: ProviderTransferRequest): Promise<ProviderTransfer>;

  /**
   * Whether overage is charged by the payment provider from reported usage (stripe: a metered price
   * fed by `reportUsage`) rather than by Portico's own invoice of the closed period (local).
   */
  abstract readonly collectsSubscriptions: boolean;

  /** Reports one usage window (idempotent per identifier: a replay is answered, never counted twice). */
  abstract reportUsage(request: UsageReportRequest): Promise<void>;

  abstract retrieveSubscription(providerSubscriptionId: string): Promise<ProviderSubscription>;

  /**
   * Moves the provider's subscription to another plan's prices (idempotent per change), prorated
   * like Portico's rating. `unchanged` when it already bills the target prices (a retried change).
   */
  abstract changeSubscriptionPlan(request: SubscriptionPlanChangeRequest): Promise<'updated' | 'unchanged'>;

  /**
   * Ends the provider's subscription now; an already-canceled one is fine. `finalInvoice`: the
   * provider invoices what the running period still owes (its metered overage) at once — a
   * consumer's cancellation; dunning gives up without one.
   */
  abstract cancelSubscription(providerSubscriptionId: string, subscriptionId: string, finalInvoice?: boolean): Promise<void>;

  /**
   * Schedules the provider's subscription to end when its period ends, without a renewal charge (a
   * consumer canceled at period end in Portico); idempotent per subscription and `planChanges`, the
   * plan changes recorded before it (each withdraws a pending cancellation). Setting it again is harmless.
   */
  abstract cancelSubscriptionAtPeriodEnd(
    providerSubscriptionId: string,
    subscriptionId: string,
    planChanges: number,
  ): Promise<void>;

  abstract retrieveInvoice(providerInvoiceId: string): Promise<ProviderInvoice>;

  abstract retrieveCharge(chargeId: string): Promise<ProviderCharge>;

  /** Reverses part of a transfer to a provider (a lost dispute's share); answers the reversal's id. */
  abstract reverseTransfer(request: TransferReversalRequest): Promise<{ reference: string }>;

  /** Tries to collect an unpaid invoice again (idempotent per invoice and retry number). */
  abstract retryInvoicePayment(request: PaymentRetryRequest): Promise<'paid' | 'failed'>;

  /**
   * Lowers what an open invoice still collects by a credit note's amount (idempotent per credit
   * note); answers the provider's reference of the credit, or null when it collects nothing for
   * this invoice (local: the receivable is Portico's own).
   */
  abstract creditOpenInvoice(request: InvoiceCreditRequest): Promise<{ reference: string | null }>;

  /**
   * Refunds part or all of a payment (idempotent per refund id). stripe: the transfer to the
   * provider is reversed and the application fee refunded in proportion.
   */
  abstract refundPayment(request: RefundRequest): Promise<{ reference: string }>;

  abstract verifyWebhook(
    rawBody: Buffer | undefined,
    signatureHeader: string | undefined,
  ): VerifiedPaymentEvent;
}
