import { ProviderAnalyticsService, TOP_CONSUMERS } from '@app/analytics';
import { Clock } from '@app/common';
import type { AuthenticatedSession } from '@app/identity';
import { Controller, Get, Query, Req, type StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentSession } from '../http/current-session.decorator';
import {
  ConsumerBreakdownDto,
  ProviderAnalyticsQueryDto,
  ProviderOverviewDto,
  ProviderUsageQueryDto,
  UsageSeriesResultDto,
  type UsageMeasuresDto,
} from './analytics.dto';
import { filtersOf, groupByOf, rangeOf } from './analytics-query';
import { csvFile, fileStamp, wantsCsv } from './csv-response';
import { seriesCsv } from './usage-series-csv';

const MEASURE_HEADER = ['calls', 'errors', 'error_rate', 'billable_units', 'overage_units', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms'];
const measureCells = (m: UsageMeasuresDto) => [
  m.calls, m.errors, m.errorRate, m.billableUnits, m.overageUnits, m.latencyMs.p50, m.latencyMs.p95, m.latencyMs.p99,
];

/**
 * Analytics of the signed-in provider's APIs only: another provider's API id answers 404 like an
 * unknown id. Consumers appear as subscription id, display name and email domain — nothing more.
 */
@ApiTags('provider')
@Controller('v1/provider/analytics')
export class ProviderAnalyticsController {
  constructor(
    private readonly analytics: ProviderAnalyticsService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Calls, error rate, latency percentiles and billable units per API, endpoint, plan and top consumer over [from, to) (default: the last 30 days), and new/churned subscriptions per day. CSV (one line per API, endpoint, plan and consumer) with ?format=csv or Accept: text/csv.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: ProviderOverviewDto })
  async overview(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: ProviderAnalyticsQueryDto,
    @Req() req: Request,
  ): Promise<ProviderOverviewDto | StreamableFile> {
    const range = { ...rangeOf(query, 'day', this.clock.now()), apiId: query.api ?? null };
    const overview = ProviderOverviewDto.from(
      await this.analytics.overview(session.account.id, range, query.limit ?? TOP_CONSUMERS.default),
    );
    if (!wantsCsv(req, query.format)) return overview;
    const rows = [
      ...overview.apis.map((b) => ['api', b.id, b.name, null, ...measureCells(b)]),
      ...overview.endpoints.map((b) => ['endpoint', b.id, b.name, b.apiId ?? null, ...measureCells(b)]),
      ...overview.plans.map((b) => ['plan', b.id, b.name, null, ...measureCells(b)]),
      ...overview.topConsumers.map((c) => ['consumer', c.subscriptionId, `${c.displayName ?? ''} (${c.emailDomain ?? ''})`, c.apiId, ...measureCells(c)]),
    ];
    return csvFile(
      `provider-analytics-${fileStamp(overview.from)}-${fileStamp(overview.to)}.csv`,
      ['dimension', 'id', 'name', 'api_id', ...MEASURE_HEADER],
      [rows],
    );
  }

  @Get('usage')
  @ApiOperation({
    summary:
      'Usage of your APIs as a time series (minute, hour or day buckets, at most 1,500), filtered and grouped by API, endpoint, plan and status class. CSV with ?format=csv or Accept: text/csv.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: UsageSeriesResultDto })
  async series(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: ProviderUsageQueryDto,
    @Req() req: Request,
  ): Promise<UsageSeriesResultDto | StreamableFile> {
    const granularity = query.granularity ?? 'hour';
    const { api: _api, ...rest } = filtersOf(query);
    const result = UsageSeriesResultDto.from(
      await this.analytics.series(session.account.id, query.api ?? null, {
        ...rangeOf(query, granularity, this.clock.now()),
        granularity,
        filters: rest,
        groupBy: groupByOf(query.groupBy),
      }),
    );
    if (!wantsCsv(req, query.format)) return result;
    const { header, rows } = seriesCsv(result);
    return csvFile(`provider-usage-${granularity}-${fileStamp(result.from)}-${fileStamp(result.to)}.csv`, header, [rows]);
  }

  @Get('consumers')
  @ApiOperation({
    summary:
      'Usage per subscriber of your APIs, most calls first (identity: subscription id, display name, email domain). CSV with ?format=csv or Accept: text/csv.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: [ConsumerBreakdownDto] })
  async consumers(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: ProviderAnalyticsQueryDto,
    @Req() req: Request,
  ): Promise<ConsumerBreakdownDto[] | StreamableFile> {
    const range = { ...rangeOf(query, 'day', this.clock.now()), apiId: query.api ?? null };
    const rows = (await this.analytics.consumers(session.account.id, range, query.limit ?? TOP_CONSUMERS.max)).map((c) =>
      ConsumerBreakdownDto.ofConsumer(c),
    );
    if (!wantsCsv(req, query.format)) return rows;
    return csvFile(
      `provider-consumers-${fileStamp(range.from.toISOString())}-${fileStamp(range.to.toISOString())}.csv`,
      ['subscription_id', 'api_id', 'display_name', 'email_domain', ...MEASURE_HEADER],
      [rows.map((c) => [c.subscriptionId, c.apiId, c.displayName, c.emailDomain, ...measureCells(c)])],
    );
  }
}
