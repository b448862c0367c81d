import { CatalogModule } from '@app/catalog';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CheckoutCompletions } from './checkout/checkout-completions.port';
import { SubscriptionCheckoutService } from './checkout/subscription-checkout.service';
import { StripeEventEntity } from './inbox/stripe-event.entity';
import { StripeEventRepository } from './inbox/stripe-event.repository';
import { StripeInboxService } from './inbox/stripe-inbox.service';
import { ProviderOnboardingService } from './onboarding/provider-onboarding.service';
import { PAYMENTS_PORT_PROVIDER } from './payments/payments.factory';
import { PaymentsPort } from './payments/payments.port';

/** Needs BillingEnv among the app's env fragments (EnvModule) and CoreModule's Clock and JobQueue. */
@Module({
  imports: [TypeOrmModule.forFeature([StripeEventEntity]), CatalogModule],
  providers: [
    PAYMENTS_PORT_PROVIDER,
    StripeEventRepository,
    StripeInboxService,
    ProviderOnboardingService,
    CheckoutCompletions,
    SubscriptionCheckoutService,
  ],
  exports: [
    PaymentsPort,
    ProviderOnboardingService,
    StripeInboxService,
    CheckoutCompletions,
    SubscriptionCheckoutService,
  ],
})
export class BillingModule {}
