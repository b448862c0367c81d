import { BillingEnv, BillingModule } from '@app/billing';
import { CoreModule, EncryptionEnv, HealthModule, ProblemFilter } from '@app/common';
import { IdentityEnv, IdentityModule } from '@app/identity';
import { QuotaReconciliationModule } from '@app/gateway';
import { MeteringModule } from '@app/metering';
import { SearchEnv, SearchIndexingModule } from '@app/search';
import { SubscriptionsModule } from '@app/subscriptions';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { MIGRATIONS } from '@migrations';
import { BillingAccountsRegistrar } from './billing-accounts.registrar';
import { JobDispatcher } from './job-dispatcher';
import { BillingProcessor, BillingScheduler } from './processors/billing.processor';
import { MeteringProcessor, MeteringScheduler } from './processors/metering.processor';
import { QuotaProcessor, QuotaScheduler } from './processors/quota.processor';
import { RollupsProcessor, RollupsScheduler } from './processors/rollups.processor';
import { SearchProcessor, SearchScheduler } from './processors/search.processor';
import { SubscriptionsProcessor, SubscriptionsScheduler } from './processors/subscriptions.processor';
import { WorkerEnv, WorkerHttpEnv } from './worker.env';

/** The worker: BullMQ processors (apps/worker/src/processors) and its health endpoints. */
@Module({})
export class WorkerModule {
  static forRoot(rawEnv?: Record<string, unknown>): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot({ app: 'worker', env: WorkerEnv, envFragments: [IdentityEnv, WorkerHttpEnv, BillingEnv, EncryptionEnv, SearchEnv], migrations: MIGRATIONS, poolSize: 10, rawEnv }),
        DiscoveryModule,
        HealthModule,
        IdentityModule,
        BillingModule,
        SubscriptionsModule,
        MeteringModule,
        QuotaReconciliationModule,
        SearchIndexingModule,
      ],
      providers: [JobDispatcher, BillingAccountsRegistrar, BillingProcessor, BillingScheduler, SubscriptionsProcessor, SubscriptionsScheduler, MeteringProcessor, MeteringScheduler, RollupsProcessor, RollupsScheduler, QuotaProcessor, QuotaScheduler, SearchProcessor, SearchScheduler, { provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
