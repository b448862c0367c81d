import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { ReadinessService } from './readiness.service';

@Module({ controllers: [HealthController], providers: [ReadinessService], exports: [ReadinessService] })
export class HealthModule {}

/** The same readiness check without the HTTP controller (for the gateway's own server). */
@Module({ providers: [ReadinessService], exports: [ReadinessService] })
export class ReadinessModule {}
