import { PlatformAnalyticsService } from '@app/analytics';
import { Clock } from '@app/common';
import { Controller, Get, Query, Req, type StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Roles } from '../http/roles.guard';
import { AdminAnalyticsQueryDto, PlatformAnalyticsDto, PlatformDayDto } from './analytics.dto';
import { rangeOf } from './analytics-query';
import { csvFile, fileStamp, wantsCsv } from './csv-response';

/** Platform-wide totals for operators. */
@ApiTags('admin')
@Controller('v1/admin/analytics')
@Roles('admin')
export class AdminAnalyticsController {
  constructor(
    private readonly platform: PlatformAnalyticsService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Platform totals per UTC day over [from, to) (default: the last 30 days): calls, errors, billable units, and the subscriptions, consumers and providers with at least one call. Admins only. CSV with ?format=csv or Accept: text/csv.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: PlatformAnalyticsDto })
  async daily(@Query() query: AdminAnalyticsQueryDto, @Req() req: Request): Promise<PlatformAnalyticsDto | StreamableFile> {
    const { from, to } = rangeOf(query, 'day', this.clock.now());
    const result = await this.platform.daily(from, to);
    const dto: PlatformAnalyticsDto = {
      from: result.from.toISOString(),
      to: result.to.toISOString(),
      days: result.days.map((d) => PlatformDayDto.from(d)),
    };
    if (!wantsCsv(req, query.format)) return dto;
    return csvFile(
      `platform-${fileStamp(dto.from)}-${fileStamp(dto.to)}.csv`,
      ['day', 'calls', 'errors', 'billable_units', 'active_subscriptions', 'active_consumers', 'active_providers'],
      [dto.days.map((d) => [d.day, d.calls, d.errors, d.billableUnits, d.activeSubscriptions, d.activeConsumers, d.activeProviders])],
    );
  }
}
