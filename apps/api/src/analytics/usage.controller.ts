import { ConsumerUsageService } from '@app/analytics';
import { Clock, validationFailed } from '@app/common';
import type { AuthenticatedSession } from '@app/identity';
import { Controller, Get, Query, Req, type StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentSession } from '../http/current-session.decorator';
import {
  CurrentPeriodDto,
  RequestLogEntryDto,
  RequestLogPageDto,
  RequestLogQueryDto,
  UsageQueryDto,
  UsageSeriesResultDto,
} from './analytics.dto';
import { filtersOf, groupByOf, rangeOf, requestFilterOf } from './analytics-query';
import { csvFile, fileStamp, wantsCsv } from './csv-response';
import { seriesCsv } from './usage-series-csv';

const REQUEST_LOG_HEADER = [
  'at', 'request_id', 'method', 'status', 'latency_ms', 'bytes_in', 'bytes_out', 'billable_units', 'mode',
  'generated', 'error_code', 'api_id', 'endpoint_id', 'subscription_id', 'app_id', 'key_id', 'key_prefix',
];

/** The signed-in consumer's own usage (rollups and request log scoped to the account). */
@ApiTags('usage')
@Controller('v1/usage')
export class UsageController {
  constructor(
    private readonly usage: ConsumerUsageService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Your usage as a time series: calls, errors, bytes, billable units and p50/p95/p99 latency per minute, hour or day bucket (UTC), filtered and grouped by API, app, key, endpoint and status class. At most 1,500 buckets per range (400 names the granularity to use). CSV with ?format=csv or Accept: text/csv.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: UsageSeriesResultDto })
  async series(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: UsageQueryDto,
    @Req() req: Request,
  ): Promise<UsageSeriesResultDto | StreamableFile> {
    const granularity = query.granularity ?? 'hour';
    const result = UsageSeriesResultDto.from(
      await this.usage.series(session.account.id, {
        ...rangeOf(query, granularity, this.clock.now()),
        granularity,
        filters: filtersOf(query),
        groupBy: groupByOf(query.groupBy),
      }),
    );
    if (!wantsCsv(req, query.format)) return result;
    const { header, rows } = seriesCsv(result);
    return csvFile(`usage-${granularity}-${fileStamp(result.from)}-${fileStamp(result.to)}.csv`, header, [rows]);
  }

  @Get('subscriptions')
  @ApiOperation({
    summary:
      "The current period of each of your subscriptions whose period runs: quota limit, used and remaining, overage units and cost so far, and the period's cost projected linearly (money in minor units as integer strings, with the currency).",
  })
  @ApiOkResponse({ type: [CurrentPeriodDto] })
  async currentPeriods(@CurrentSession() session: AuthenticatedSession): Promise<CurrentPeriodDto[]> {
    return (await this.usage.currentPeriods(session.account.id)).map((u) => CurrentPeriodDto.from(u));
  }

  @Get('requests')
  @ApiOperation({
    summary:
      'Your recent requests (7 days), newest first, with cursor pagination; filter by API, app, key and status (404 or 4xx). Never bodies or keys. CSV (every matching request, streamed) with ?format=csv or Accept: text/csv.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: RequestLogPageDto })
  async requests(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: RequestLogQueryDto,
    @Req() req: Request,
  ): Promise<RequestLogPageDto | StreamableFile> {
    const filter = requestFilterOf(query);
    if (filter.from && filter.to && !(filter.from < filter.to))
      throw validationFailed('from', 'must be before to (the range is [from, to))');
    if (wantsCsv(req, query.format)) {
      const pages = this.usage.allRequests(session.account.id, filter);
      return csvFile(`requests-${fileStamp(this.clock.now().toISOString())}.csv`, REQUEST_LOG_HEADER, mapPages(pages));
    }
    const page = await this.usage.requests(session.account.id, filter, query.cursor ?? null, query.limit);
    return { items: page.items.map((e) => RequestLogEntryDto.from(e)), nextCursor: page.nextCursor };
  }
}

async function* mapPages(
  pages: AsyncIterable<Parameters<typeof RequestLogEntryDto.from>[0][]>,
): AsyncGenerator<(string | number | boolean | null)[][]> {
  for await (const page of pages) {
    yield page.map((e) => [
      e.at.toISOString(), e.requestId, e.method, e.status, e.latencyMs, e.bytesIn, e.bytesOut, e.billableUnits, e.mode,
      e.generated, e.errorCode, e.apiId, e.endpointId, e.subscriptionId, e.applicationId, e.keyId, e.keyPrefix,
    ]);
  }
}
