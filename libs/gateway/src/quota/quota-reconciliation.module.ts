import { CatalogModule } from '@app/catalog';
import { MeteringModule } from '@app/metering';
import { SubscriptionsModule } from '@app/subscriptions';
import { Module } from '@nestjs/common';
import { QuotaReconciler } from './quota-reconciler.service';

/**
 * The quota reconciliation for the worker (`gateway.reconcile-quotas`): reads subscriptions, plans
 * and the rollups, writes the limiter's quota counters. Needs CoreModule (Redis, Clock) and the env
 * fragments SubscriptionsModule needs (BillingEnv).
 */
@Module({
  imports: [CatalogModule, SubscriptionsModule, MeteringModule],
  providers: [QuotaReconciler],
  exports: [QuotaReconciler],
})
export class QuotaReconciliationModule {}
