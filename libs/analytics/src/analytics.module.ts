import { CatalogModule } from '@app/catalog';
import { IdentityModule } from '@app/identity';
import { MeteringModule } from '@app/metering';
import { SubscriptionsModule } from '@app/subscriptions';
import { Module } from '@nestjs/common';
import { ConsumerUsageService } from './consumer-usage.service';
import { PlatformAnalyticsService } from './platform-analytics.service';
import { ProviderAnalyticsService } from './provider-analytics.service';

/** Needs CoreModule (DataSource, Clock) and what SubscriptionsModule needs (BillingEnv). */
@Module({
  imports: [MeteringModule, SubscriptionsModule, CatalogModule, IdentityModule],
  providers: [ConsumerUsageService, ProviderAnalyticsService, PlatformAnalyticsService],
  exports: [ConsumerUsageService, ProviderAnalyticsService, PlatformAnalyticsService],
})
export class AnalyticsModule {}
