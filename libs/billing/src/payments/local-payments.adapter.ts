import type { PayoutState } from '@app/catalog';
import { AppError } from '@app/common';
import {
  PaymentsPort,
  type CheckoutSession,
  type ConnectedAccount,
  type ConnectedAccountRequest,
  type InvoiceCollection,
  type InvoiceCreditRequest,
  type InvoiceCollectionRequest,
  type OnboardingLink,
  type PaymentRetryRequest,
  type ProviderCharge,
  type ProviderInvoice,
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

/**
 * The embedded default (`PAYMENTS=local`): no external service. Providers can be paid at once —
 * what they are owed is recorded in Portico's ledger (billing issue) and paid out by the operator.
 * There are no connected accounts and no incoming webhooks.
 */
export class LocalPaymentsAdapter extends PaymentsPort {
  readonly mode = 'local' as const;
  readonly requiresOnboarding = false;

  initialPayoutState(): PayoutState {
    return { payoutStatus: 'ready', chargesEnabled: true, payoutsEnabled: true, payoutRequirements: [] };
  }

  createConnectedAccount(_request: ConnectedAccountRequest): Promise<ConnectedAccount> {
    return Promise.reject(
      new Error('PAYMENTS=local has no connected accounts (check requiresOnboarding first)'),
    );
  }

  retrieveConnectedAccount(_accountId: string): Promise<ConnectedAccount> {
    return Promise.reject(
      new Error('PAYMENTS=local has no connected accounts (check requiresOnboarding first)'),
    );
  }

  createOnboardingLink(_accountId: string, _returnUrl: string, _refreshUrl: string): Promise<OnboardingLink> {
    return Promise.reject(
      new Error('PAYMENTS=local has no hosted onboarding (check requiresOnboarding first)'),
    );
  }

  createSubscriptionCheckout(_request: SubscriptionCheckoutRequest): Promise<CheckoutSession> {
    return Promise.reject(
      new Error(
        'PAYMENTS=local has no hosted checkout: paid subscriptions are active at once (check mode first)',
      ),
    );
  }

  readonly paysOutSeparately = true;

  /** Marked paid when finalised: the ledger records the money as collected (README "Payments and payouts"). */
  collectInvoice(request: InvoiceCollectionRequest): Promise<InvoiceCollection> {
    return Promise.resolve({ status: 'paid', reference: `local:invoice:${request.invoiceId}` });
  }

  /** Recorded only: the operator pays the provider by their own means, the ledger keeps the record. */
  transferToProvider(request: ProviderTransferRequest): Promise<ProviderTransfer> {
    return Promise.resolve({ reference: `local:payout:${request.payoutId}` });
  }

  /** Portico invoices every closed period itself (base and overage) and marks it paid. */
  readonly collectsSubscriptions = false;

  reportUsage(_request: UsageReportRequest): Promise<void> {
    return Promise.reject(new Error('PAYMENTS=local rates usage itself (check collectsSubscriptions first)'));
  }

  retrieveSubscription(_id: string): Promise<ProviderSubscription> {
    return Promise.reject(new Error('PAYMENTS=local has no provider subscriptions (check collectsSubscriptions first)'));
  }

  /** Nothing to end outside Portico. */
  changeSubscriptionPlan(_request: SubscriptionPlanChangeRequest): Promise<'updated' | 'unchanged'> {
    return Promise.reject(new Error('PAYMENTS=local has no provider subscriptions (check collectsSubscriptions first)'));
  }

  cancelSubscription(_providerSubscriptionId: string, _subscriptionId: string, _finalInvoice?: boolean): Promise<void> {
    return Promise.resolve();
  }

  cancelSubscriptionAtPeriodEnd(_providerSubscriptionId: string, _subscriptionId: string, _planChanges: number): Promise<void> {
    return Promise.resolve();
  }

  retrieveInvoice(_id: string): Promise<ProviderInvoice> {
    return Promise.reject(new Error('PAYMENTS=local has no provider invoices (check collectsSubscriptions first)'));
  }

  retrieveCharge(_id: string): Promise<ProviderCharge> {
    return Promise.reject(new Error('PAYMENTS=local has no provider charges (check collectsSubscriptions first)'));
  }

  reverseTransfer(_request: TransferReversalRequest): Promise<{ reference: string }> {
    return Promise.reject(new Error('PAYMENTS=local pays providers out separately: there is no transfer to reverse'));
  }

  /** The operator collects by their own means: a retry records the invoice as paid, like the first collection. */
  retryInvoicePayment(_request: PaymentRetryRequest): Promise<'paid' | 'failed'> {
    return Promise.resolve('paid');
  }

  /** Nothing is pending anywhere else: the credit note lowered the receivable, which is the whole of it. */
  creditOpenInvoice(_request: InvoiceCreditRequest): Promise<{ reference: string | null }> {
    return Promise.resolve({ reference: null });
  }

  /** Recorded only: the operator pays the consumer back by their own means; the ledger keeps the record. */
  refundPayment(request: RefundRequest): Promise<{ reference: string }> {
    return Promise.resolve({ reference: `local:refund:${request.refundId}` });
  }

  verifyWebhook(_rawBody: Buffer | undefined, _signatureHeader: string | undefined): VerifiedPaymentEvent {
    throw new AppError(
      'not_found',
      'This Portico install does not take Stripe webhooks (PAYMENTS=local). Set PAYMENTS=stripe and the Stripe variables to use Stripe.',
    );
  }
}
