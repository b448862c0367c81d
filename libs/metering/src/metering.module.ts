import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsageBatchEntity } from './entities/usage-batch.entity';
import { UsageFoldedDayApiEntity, UsageFoldedHourApiEntity } from './entities/usage-folded-apis.entity';
import {
  UsageFoldedDayEndpointEntity,
  UsageFoldedHourEndpointEntity,
} from './entities/usage-folded-endpoints.entity';
import {
  UsageFoldedDayRollupEntity,
  UsageFoldedHourRollupEntity,
} from './entities/usage-folded-rollups.entity';
import {
  UsageFoldedDaySubscriptionEntity,
  UsageFoldedHourSubscriptionEntity,
} from './entities/usage-folded-subscriptions.entity';
import { UsageMinuteRollupEntity } from './entities/usage-minute-rollup.entity';
import { UsageRequestEntity } from './entities/usage-request.entity';
import { UsageAnalyticsRepository } from './analytics/usage-analytics.repository';
import { UsageAnalyticsService } from './analytics/usage-analytics.service';
import { MeteringService } from './metering.service';
import { RollupFoldRepository } from './rollups/rollup-fold.repository';
import { RollupFoldService } from './rollups/rollup-fold.service';
import { UsageRepository } from './usage.repository';

export const METERING_ENTITIES = [
  UsageBatchEntity,
  UsageRequestEntity,
  UsageMinuteRollupEntity,
  UsageFoldedHourRollupEntity,
  UsageFoldedDayRollupEntity,
  UsageFoldedHourSubscriptionEntity,
  UsageFoldedDaySubscriptionEntity,
  UsageFoldedHourApiEntity,
  UsageFoldedDayApiEntity,
  UsageFoldedHourEndpointEntity,
  UsageFoldedDayEndpointEntity,
];

/** Needs CoreModule (DataSource, Clock). */
@Module({
  imports: [TypeOrmModule.forFeature(METERING_ENTITIES)],
  providers: [
    UsageRepository,
    MeteringService,
    UsageAnalyticsRepository,
    UsageAnalyticsService,
    RollupFoldRepository,
    RollupFoldService,
  ],
  exports: [MeteringService, UsageAnalyticsService, RollupFoldService],
})
export class MeteringModule {}
