import { CoreModule } from '@app/common';
import { BillingEnv, BillingModule } from '@app/billing';
import { CatalogModule } from '@app/catalog';
import { IdentityEnv, IdentityModule } from '@app/identity';
import { MeteringModule } from '@app/metering';
import { SearchEnv, SearchModule } from '@app/search';
import { ReviewsModule } from '@app/reviews';
import { SubscriptionsModule } from '@app/subscriptions';
import { type DynamicModule, Module } from '@nestjs/common';
import { MIGRATIONS } from '@migrations';
import { CliEnv } from './cli.env';

/**
 * Every feature lib, so the DataSource knows every entity: migrations are generated and checked
 * for drift against the union of all libs' entities.
 */
@Module({})
export class CliModule {
  static forRoot(rawEnv?: Record<string, unknown>): DynamicModule {
    return {
      module: CliModule,
      imports: [
        CoreModule.forRoot({ app: 'cli', env: CliEnv, envFragments: [IdentityEnv, BillingEnv, SearchEnv], migrations: MIGRATIONS, poolSize: 2, rawEnv }),
        IdentityModule,
        CatalogModule,
        BillingModule,
        SubscriptionsModule,
        MeteringModule,
        ReviewsModule,
        SearchModule,
      ],
    };
  }
}
