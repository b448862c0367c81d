import { Clock } from '@app/common';
import type { FactoryProvider } from '@nestjs/common';
import Stripe from 'stripe';
import { BillingEnv } from '../billing.env';
import { LocalPaymentsAdapter } from './local-payments.adapter';
import { PaymentsPort } from './payments.port';
import { StripePaymentsAdapter } from './stripe-payments.adapter';

/** SDK options: our own timeout and retries, no telemetry, and STRIPE_API_URL (a fake or a proxy) when set. */
export function stripeClientConfig(env: BillingEnv): Stripe.StripeConfig {
  const config: Stripe.StripeConfig = {
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: 'Portico' },
  };
  if (env.STRIPE_API_URL) {
    const url = new URL(env.STRIPE_API_URL);
    config.host = url.hostname;
    config.protocol = url.protocol === 'http:' ? 'http' : 'https';
    config.port = url.port || (url.protocol === 'http:' ? 80 : 443);
  }
  return config;
}

/** The one place `PAYMENTS` picks the adapter (STYLE: ports with an embedded default). */
export const PAYMENTS_PORT_PROVIDER: FactoryProvider<PaymentsPort> = {
  provide: PaymentsPort,
  inject: [BillingEnv, Clock],
  useFactory: (env: BillingEnv, clock: Clock): PaymentsPort => {
    if (env.PAYMENTS === 'stripe') {
      const { STRIPE_SECRET_KEY: secretKey, STRIPE_WEBHOOK_SECRET: webhookSecret } = env;
      // BillingEnv's validation already refused to boot without them; this keeps the types honest
      if (!secretKey || !webhookSecret)
        throw new Error('PAYMENTS=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET');
      return new StripePaymentsAdapter(new Stripe(secretKey, stripeClientConfig(env)), webhookSecret, clock);
    }
    return new LocalPaymentsAdapter();
  },
};
