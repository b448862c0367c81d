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
  type InvoiceCollectionRequest,
  type OnboardingLink,
  type ProviderTransfer,
  type ProviderTransferRequest,
  type SubscriptionCheckoutRequest,
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
};

/** `checkout.sessions.create` parameters of a subscription's first payment (README "Checkout"). */
export function subscriptionCheckoutParams(
  request: SubscriptionCheckoutRequest,
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
      session = await this.stripe.checkout.sessions.create(subscriptionCheckoutParams(request), {
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
