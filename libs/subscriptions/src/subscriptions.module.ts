import { BillingModule } from '@app/billing';
import { CatalogModule } from '@app/catalog';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscriptionEntity } from './subscription.entity';
import { SubscriptionRepository } from './subscription.repository';
import { SubscriptionsService } from './subscriptions.service';

export const SUBSCRIPTION_ENTITIES = [SubscriptionEntity];

/** Needs CoreModule (Clock, EventBus) and BillingEnv among the app's env fragments (PaymentsPort). */
@Module({
  imports: [TypeOrmModule.forFeature(SUBSCRIPTION_ENTITIES), CatalogModule, BillingModule],
  providers: [SubscriptionRepository, SubscriptionsService],
  exports: [SubscriptionsService],
})
export class SubscriptionsModule {}
