import { BillingModule } from '@app/billing';
import { CatalogModule } from '@app/catalog';
import { MeteringModule } from '@app/metering';
import { NotificationsModule } from '@app/notifications';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscriptionEntity } from './subscription.entity';
import { SubscriptionRepository } from './subscription.repository';
import { SubscriptionsService } from './subscriptions.service';
import { UsageAlertFiringEntity } from './usage-alert-firing.entity';
import { SubscriptionUsageControlsEntity } from './usage-controls.entity';
import { UsageControlsRepository } from './usage-controls.repository';
import { UsageControlsService } from './usage-controls.service';

export const SUBSCRIPTION_ENTITIES = [SubscriptionEntity, SubscriptionUsageControlsEntity, UsageAlertFiringEntity];

/** Needs CoreModule (Clock, EventBus) and BillingEnv among the app's env fragments (PaymentsPort). */
@Module({
  imports: [TypeOrmModule.forFeature(SUBSCRIPTION_ENTITIES), CatalogModule, BillingModule, MeteringModule, NotificationsModule],
  providers: [SubscriptionRepository, SubscriptionsService, UsageControlsRepository, UsageControlsService],
  exports: [SubscriptionsService, UsageControlsService],
})
export class SubscriptionsModule {}
