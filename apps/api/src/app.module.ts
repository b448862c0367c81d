import { AnalyticsModule } from '@app/analytics';
import { BillingEnv, BillingModule } from '@app/billing';
import { CatalogEnv, CatalogModule } from '@app/catalog';
import { CoreModule, EncryptionEnv, HealthModule, IdempotencyModule, ProblemFilter, UpstreamPolicyEnv } from '@app/common';
import { IdentityEnv, IdentityModule } from '@app/identity';
import { NotificationsModule } from '@app/notifications';
import { ReviewsModule } from '@app/reviews';
import { SearchEnv, SearchModule } from '@app/search';
import { SubscriptionsModule } from '@app/subscriptions';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { MIGRATIONS } from '@migrations';
import { ApiEnv, ApiHttpEnv } from './api.env';
import { AdminAnalyticsController } from './analytics/admin-analytics.controller';
import { ProviderAnalyticsController } from './analytics/provider-analytics.controller';
import { UsageController } from './analytics/usage.controller';
import { AppsController } from './apps/apps.controller';
import { AuthController } from './auth/auth.controller';
import { GithubAuthModule } from './auth/github-auth.module';
import { MeController } from './auth/me.controller';
import { API_IDEMPOTENCY } from './http/idempotency-scope';
import { KeysController } from './keys/keys.controller';
import { StripeWebhookController } from './billing/stripe-webhook.controller';
import { AdminBillingController } from './billing/admin-billing.controller';
import { InvoicesController } from './billing/invoices.controller';
import { ProviderEarningsController } from './billing/provider-earnings.controller';
import { ProviderRefundsController } from './billing/provider-refunds.controller';
import { ProviderPayoutsController } from './catalog/provider-payouts.controller';
import { ProviderController } from './catalog/provider.controller';
import { AdminListingsController } from './catalog/admin-listings.controller';
import { CatalogController } from './catalog/catalog.controller';
import { ProviderListingsController } from './catalog/provider-listings.controller';
import { PlansController } from './catalog/plans.controller';
import { VersionsController } from './catalog/versions.controller';
import { ProviderSubscriptionsController } from './subscriptions/provider-subscriptions.controller';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';
import { UsageControlsController } from './subscriptions/usage-controls.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { AdminReviewsController } from './reviews/admin-reviews.controller';
import { ReviewsController } from './reviews/reviews.controller';
import { SearchController } from './search/search.controller';

import { SessionGuard } from './http/session.guard';
import { createValidationPipe } from './http/validation.pipe';

@Module({})
export class ApiModule {
  static forRoot(rawEnv?: Record<string, unknown>): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot({ app: 'api', env: ApiEnv, envFragments: [IdentityEnv, ApiHttpEnv, BillingEnv, CatalogEnv, UpstreamPolicyEnv, EncryptionEnv, SearchEnv], migrations: MIGRATIONS, rawEnv }),
        HealthModule,
        IdentityModule,
        IdempotencyModule.forRootAsync(API_IDEMPOTENCY),
        GithubAuthModule,
        CatalogModule,
        BillingModule,
        SubscriptionsModule,
        AnalyticsModule,
        NotificationsModule,
        ReviewsModule,
        SearchModule,
      ],
      controllers: [AuthController, MeController, AppsController, KeysController, ProviderController, ProviderPayoutsController, StripeWebhookController, InvoicesController, ProviderEarningsController, ProviderRefundsController, AdminBillingController, PlansController, VersionsController, ProviderListingsController, CatalogController, AdminListingsController, SubscriptionsController, ProviderSubscriptionsController, UsageControlsController, NotificationsController, UsageController, ProviderAnalyticsController, AdminAnalyticsController, ReviewsController, AdminReviewsController, SearchController],
      providers: [
        { provide: APP_GUARD, useClass: SessionGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
