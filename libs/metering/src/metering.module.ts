import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsageBatchEntity } from './entities/usage-batch.entity';
import { UsageMinuteRollupEntity } from './entities/usage-minute-rollup.entity';
import { UsageRequestEntity } from './entities/usage-request.entity';
import { MeteringService } from './metering.service';
import { UsageRepository } from './usage.repository';

export const METERING_ENTITIES = [UsageBatchEntity, UsageRequestEntity, UsageMinuteRollupEntity];

/** Needs CoreModule (DataSource, Clock). */
@Module({
  imports: [TypeOrmModule.forFeature(METERING_ENTITIES)],
  providers: [UsageRepository, MeteringService],
  exports: [MeteringService],
})
export class MeteringModule {}
