import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsageBatchEntity } from './entities/usage-batch.entity';
import { UsageMinuteRollupEntity } from './entities/usage-minute-rollup.entity';
import { UsageRequestEntity } from './entities/usage-request.entity';
import { UsageAnalyticsRepository } from './analytics/usage-analytics.repository';
import { UsageAnalyticsService } from './analytics/usage-analytics.service';
import { MeteringService } from './metering.service';
import { UsageRepository } from './usage.repository';

export const METERING_ENTITIES = [UsageBatchEntity, UsageRequestEntity, UsageMinuteRollupEntity];

/** Needs CoreModule (DataSource, Clock). */
@Module({
  imports: [TypeOrmModule.forFeature(METERING_ENTITIES)],
  providers: [UsageRepository, MeteringService, UsageAnalyticsRepository, UsageAnalyticsService],
  exports: [MeteringService, UsageAnalyticsService],
})
export class MeteringModule {}
