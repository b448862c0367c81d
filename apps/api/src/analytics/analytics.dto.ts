import type { ConsumerBreakdown, CurrentPeriodUsage, NamedBreakdown, PlatformDayTotals, ProviderOverview } from '@app/analytics';
import {
  CONSUMER_GROUP_BY,
  GRANULARITIES,
  REQUEST_LOG_PAGE,
  type Granularity,
  type RequestLogEntry,
  type UsageMeasures,
  type UsageSeriesResult,
} from '@app/metering';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const FORMATS = ['json', 'csv'] as const;
const PROVIDER_GROUP_BY = ['api', 'endpoint', 'plan', 'statusClass'] as const;
const groupByPattern = (names: readonly string[]): RegExp =>
  new RegExp(`^(${names.join('|')})(,(${names.join('|')}))*$`);

class RangeQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start (inclusive; floored to the granularity, UTC). Default: `to` minus 1 h (minute), 24 h (hour) or 30 days (day).' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date and time' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (exclusive; ceiled to the granularity). Default: now.' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date and time' })
  to?: string;

  @ApiPropertyOptional({ enum: FORMATS, description: 'csv: the same data as a CSV download (also chosen by `Accept: text/csv`).' })
  @IsOptional()
  @IsIn([...FORMATS], { message: 'format must be json or csv' })
  format?: (typeof FORMATS)[number];
}

class SeriesQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'hour', description: 'Bucket size; at most 1,500 buckets per range.' })
  @IsOptional()
  @IsIn([...GRANULARITIES], { message: `granularity must be one of ${GRANULARITIES.join(', ')}` })
  granularity?: Granularity;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only calls to this API.' })
  @IsOptional()
  @IsUUID('all', { message: 'api must be a UUID' })
  api?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only calls to this endpoint.' })
  @IsOptional()
  @IsUUID('all', { message: 'endpoint must be a UUID' })
  endpoint?: string;

  @ApiPropertyOptional({ enum: STATUS_CLASSES, description: 'Only responses of this status class.' })
  @IsOptional()
  @IsIn([...STATUS_CLASSES], { message: `statusClass must be one of ${STATUS_CLASSES.join(', ')}` })
  statusClass?: (typeof STATUS_CLASSES)[number];
}

export class UsageQueryDto extends SeriesQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only calls made with this application of yours.' })
  @IsOptional()
  @IsUUID('all', { message: 'app must be a UUID' })
  app?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only calls made with this key of yours.' })
  @IsOptional()
  @IsUUID('all', { message: 'key must be a UUID' })
  key?: string;

  @ApiPropertyOptional({ example: 'api,statusClass', description: `Comma-separated: one series per combination of ${CONSUMER_GROUP_BY.join(', ')}.` })
  @IsOptional()
  @Matches(groupByPattern(CONSUMER_GROUP_BY), { message: `groupBy must be a comma-separated list of ${CONSUMER_GROUP_BY.join(', ')}` })
  groupBy?: string;
}

export class ProviderUsageQueryDto extends SeriesQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only calls on this plan.' })
  @IsOptional()
  @IsUUID('all', { message: 'plan must be a UUID' })
  plan?: string;

  @ApiPropertyOptional({ example: 'endpoint', description: `Comma-separated: one series per combination of ${PROVIDER_GROUP_BY.join(', ')}.` })
  @IsOptional()
  @Matches(groupByPattern(PROVIDER_GROUP_BY), { message: `groupBy must be a comma-separated list of ${PROVIDER_GROUP_BY.join(', ')}` })
  groupBy?: string;
}

export class ProviderAnalyticsQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'One of your APIs (default: all of them).' })
  @IsOptional()
  @IsUUID('all', { message: 'api must be a UUID' })
  api?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, description: 'How many consumers to list (most calls first).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class AdminAnalyticsQueryDto extends RangeQueryDto {}

export class RequestLogQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'api must be a UUID' })
  api?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'app must be a UUID' })
  app?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'key must be a UUID' })
  key?: string;

  @ApiPropertyOptional({ example: '4xx', description: 'An exact status (404) or a class (4xx).' })
  @IsOptional()
  @Matches(/^[1-5](\d\d|xx)$/, { message: 'status must be a status code (404) or a class (4xx)' })
  status?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: REQUEST_LOG_PAGE.max, default: REQUEST_LOG_PAGE.default })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(REQUEST_LOG_PAGE.max)
  limit?: number;
}

// ---- responses ----------------------------------------------------------------------------------

export class LatencyDto {
  @ApiProperty({ type: Number, nullable: true, description: 'ms, from the summed histograms; null without calls.' }) p50!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p95!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99!: number | null;
}

export class UsageMeasuresDto {
  @ApiProperty() calls!: number;
  @ApiProperty({ description: 'Responses with status ≥ 400.' }) errors!: number;
  @ApiProperty({ description: 'errors / calls (0 … 1).' }) errorRate!: number;
  @ApiProperty() bytesIn!: number;
  @ApiProperty() bytesOut!: number;
  @ApiProperty({ description: 'After fair metering (test calls, ≥ 500 and gateway-generated answers cost 0).' }) billableUnits!: number;
  @ApiProperty({ description: 'Of billableUnits, the units over a soft quota.' }) overageUnits!: number;
  @ApiProperty({ type: LatencyDto }) latencyMs!: LatencyDto;

  static from(m: UsageMeasures): UsageMeasuresDto {
    return {
      calls: m.calls,
      errors: m.errors,
      errorRate: m.errorRate,
      bytesIn: m.bytesIn,
      bytesOut: m.bytesOut,
      billableUnits: m.billableUnits,
      overageUnits: m.overageUnits,
      latencyMs: { ...m.latencyMs },
    };
  }
}

export class UsagePointDto extends UsageMeasuresDto {
  @ApiProperty({ format: 'date-time', description: 'Bucket start (UTC).' }) start!: string;
}

export class UsageGroupDto {
  @ApiPropertyOptional({ type: String, nullable: true }) api?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) app?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) key?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'null: no endpoint matched (or rejected before).' }) endpoint?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) plan?: string | null;
  @ApiPropertyOptional({ example: '2xx' }) statusClass?: string;
}

export class UsageSeriesDto {
  @ApiProperty({ type: UsageGroupDto, description: 'The group (empty without groupBy).' }) group!: UsageGroupDto;
  @ApiProperty({ type: UsageMeasuresDto }) totals!: UsageMeasuresDto;
  @ApiProperty({ type: [UsagePointDto], description: 'Without groupBy: every bucket (zeros included); grouped: buckets with calls.' })
  points!: UsagePointDto[];
}

export const statusClassLabel = (value: unknown): string => `${String(value)}xx`;

export class UsageSeriesResultDto {
  @ApiProperty({ format: 'date-time', description: 'Aligned start.' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'Aligned end (exclusive).' }) to!: string;
  @ApiProperty({ enum: GRANULARITIES }) granularity!: Granularity;
  @ApiProperty({ type: [String] }) groupBy!: string[];
  @ApiProperty({ type: [UsageSeriesDto] }) series!: UsageSeriesDto[];

  static from(result: UsageSeriesResult): UsageSeriesResultDto {
    return {
      from: result.range.from.toISOString(),
      to: result.range.to.toISOString(),
      granularity: result.range.granularity,
      groupBy: [...result.groupBy],
      series: result.series.map((s) => ({
        group: Object.fromEntries(
          Object.entries(s.group).map(([k, v]) => [k, k === 'statusClass' ? statusClassLabel(v) : v]),
        ),
        totals: UsageMeasuresDto.from(s.totals),
        points: s.points.map((p) => ({ start: p.start.toISOString(), ...UsageMeasuresDto.from(p) })),
      })),
    };
  }
}

export class CurrentPeriodDto {
  @ApiProperty({ format: 'uuid' }) subscriptionId!: string;
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Weather Now', description: 'null: the listing was deleted.' })
  apiName!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'weather-now', description: 'Calls go to {GATEWAY_URL}/{apiSlug}/….' })
  apiSlug!: string | null;
  @ApiProperty({ format: 'uuid' }) planId!: string;
  @ApiProperty() planName!: string;
  @ApiProperty({ enum: ['trialing', 'active', 'past_due'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive.' }) periodEnd!: string;
  @ApiProperty({ description: 'Share of the period gone (0 … 1).' }) elapsedFraction!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ example: '1900', description: 'Base price per period, minor units (integer string).' }) basePriceMinor!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Units per period; null = unlimited.' }) quotaLimit!: number | null;
  @ApiProperty({ enum: ['hard', 'soft'] }) quotaMode!: string;
  @ApiProperty({ enum: ['month', 'day'] }) quotaPeriod!: string;
  @ApiProperty({ description: 'Billable units used this period.' }) quotaUsed!: number;
  @ApiProperty({ type: Number, nullable: true }) quotaRemaining!: number | null;
  @ApiProperty() calls!: number;
  @ApiProperty({ type: String, nullable: true, example: '0.05', description: 'Minor units per overage unit (exact decimal).' })
  overageUnitPriceMinor!: string | null;
  @ApiProperty() overageUnits!: number;
  @ApiProperty({ example: '51', description: 'overageUnits × unit price, rounded half-up once (minor units).' }) overageCostMinor!: string;
  @ApiProperty({ description: 'Base price + overage so far (minor units).' }) costSoFarMinor!: string;
  @ApiProperty({ description: 'Billable units extrapolated linearly to the whole period.' }) projectedBillableUnits!: number;
  @ApiProperty() projectedOverageUnits!: number;
  @ApiProperty() projectedOverageCostMinor!: string;
  @ApiProperty({ description: 'Base price + projected overage (minor units).' }) projectedTotalMinor!: string;

  static from(u: CurrentPeriodUsage): CurrentPeriodDto {
    return {
      subscriptionId: u.subscriptionId,
      apiId: u.apiId,
      apiName: u.api?.name ?? null,
      apiSlug: u.api?.slug ?? null,
      planId: u.planId,
      planName: u.planName,
      status: u.status,
      periodStart: u.periodStart.toISOString(),
      periodEnd: u.periodEnd.toISOString(),
      elapsedFraction: u.elapsedFraction,
      currency: u.currency,
      basePriceMinor: u.priceAmountMinor,
      quotaLimit: u.quotaLimit,
      quotaMode: u.quotaMode,
      quotaPeriod: u.quotaPeriod,
      quotaUsed: u.billableUnits,
      quotaRemaining: u.quotaRemaining,
      calls: u.calls,
      overageUnitPriceMinor: u.overageUnitPriceMinor,
      overageUnits: u.overageUnits,
      overageCostMinor: u.overageCostMinor,
      costSoFarMinor: u.costSoFarMinor,
      projectedBillableUnits: u.projectedBillableUnits,
      projectedOverageUnits: u.projectedOverageUnits,
      projectedOverageCostMinor: u.projectedOverageCostMinor,
      projectedTotalMinor: u.projectedTotalMinor,
    };
  }
}

export class RequestLogEntryDto {
  @ApiProperty() requestId!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ format: 'uuid' }) keyId!: string;
  @ApiProperty({ description: 'Display form of the key (never the key).' }) keyPrefix!: string;
  @ApiProperty({ type: String, nullable: true }) apiId!: string | null;
  @ApiProperty({ type: String, nullable: true }) subscriptionId!: string | null;
  @ApiProperty({ type: String, nullable: true }) endpointId!: string | null;
  @ApiProperty() method!: string;
  @ApiProperty() status!: number;
  @ApiProperty() latencyMs!: number;
  @ApiProperty() bytesIn!: number;
  @ApiProperty() bytesOut!: number;
  @ApiProperty({ enum: ['live', 'test'] }) mode!: string;
  @ApiProperty() billableUnits!: number;
  @ApiProperty({ description: 'The gateway answered itself.' }) generated!: boolean;
  @ApiProperty({ type: String, nullable: true }) errorCode!: string | null;

  static from(e: RequestLogEntry): RequestLogEntryDto {
    return { ...e, at: e.at.toISOString() };
  }
}

export class RequestLogPageDto {
  @ApiProperty({ type: [RequestLogEntryDto] }) items!: RequestLogEntryDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for older requests; null on the last page.' })
  nextCursor!: string | null;
}

export class NamedBreakdownDto extends UsageMeasuresDto {
  @ApiProperty({ type: String, nullable: true }) id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'API name, plan name (version), or METHOD /path of a current endpoint.' }) name!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Endpoints: their API.' }) apiId?: string | null;

  static ofBreakdown(b: NamedBreakdown): NamedBreakdownDto {
    return { id: b.id, name: b.name, ...(b.apiId !== undefined ? { apiId: b.apiId } : {}), ...UsageMeasuresDto.from(b) };
  }
}

export class ConsumerBreakdownDto extends UsageMeasuresDto {
  @ApiProperty({ format: 'uuid' }) subscriptionId!: string;
  @ApiProperty({ type: String, nullable: true }) apiId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The consumer account’s display name.' }) displayName!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'example.com', description: 'Only the domain of the consumer’s email, never the address.' })
  emailDomain!: string | null;

  static ofConsumer(c: ConsumerBreakdown): ConsumerBreakdownDto {
    return { subscriptionId: c.subscriptionId, apiId: c.apiId, displayName: c.displayName, emailDomain: c.emailDomain, ...UsageMeasuresDto.from(c) };
  }
}

export class SubscriptionFlowBucketDto {
  @ApiProperty({ format: 'date-time', description: 'UTC day.' }) start!: string;
  @ApiProperty({ description: 'Subscriptions created that day.' }) created!: number;
  @ApiProperty({ description: 'Subscriptions canceled that day after access had started.' }) churned!: number;
}

export class SubscriptionFlowDto {
  @ApiProperty() created!: number;
  @ApiProperty() churned!: number;
  @ApiProperty({ type: [SubscriptionFlowBucketDto], description: 'Days with any change.' }) buckets!: SubscriptionFlowBucketDto[];
}

export class ProviderOverviewDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ type: UsageMeasuresDto }) totals!: UsageMeasuresDto;
  @ApiProperty({ type: [NamedBreakdownDto] }) apis!: NamedBreakdownDto[];
  @ApiProperty({ type: [NamedBreakdownDto] }) endpoints!: NamedBreakdownDto[];
  @ApiProperty({ type: [NamedBreakdownDto] }) plans!: NamedBreakdownDto[];
  @ApiProperty({ type: [ConsumerBreakdownDto] }) topConsumers!: ConsumerBreakdownDto[];
  @ApiProperty({ type: SubscriptionFlowDto }) subscriptions!: SubscriptionFlowDto;

  static from(o: ProviderOverview): ProviderOverviewDto {
    return {
      from: o.from.toISOString(),
      to: o.to.toISOString(),
      totals: UsageMeasuresDto.from(o.totals),
      apis: o.apis.map((b) => NamedBreakdownDto.ofBreakdown(b)),
      endpoints: o.endpoints.map((b) => NamedBreakdownDto.ofBreakdown(b)),
      plans: o.plans.map((b) => NamedBreakdownDto.ofBreakdown(b)),
      topConsumers: o.topConsumers.map((c) => ConsumerBreakdownDto.ofConsumer(c)),
      subscriptions: {
        created: o.subscriptions.created,
        churned: o.subscriptions.churned,
        buckets: o.subscriptions.buckets.map((b) => ({ start: b.start.toISOString(), created: b.created, churned: b.churned })),
      },
    };
  }
}

export class PlatformDayDto {
  @ApiProperty({ format: 'date-time', description: 'UTC day.' }) day!: string;
  @ApiProperty() calls!: number;
  @ApiProperty() errors!: number;
  @ApiProperty() billableUnits!: number;
  @ApiProperty({ description: 'Distinct subscriptions with at least one call that day.' }) activeSubscriptions!: number;
  @ApiProperty({ description: 'Distinct consumer accounts with at least one call that day.' }) activeConsumers!: number;
  @ApiProperty({ description: 'Distinct providers whose APIs were called that day.' }) activeProviders!: number;

  static from(d: PlatformDayTotals): PlatformDayDto {
    return { ...d, day: d.day.toISOString() };
  }
}

export class PlatformAnalyticsDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ type: [PlatformDayDto] }) days!: PlatformDayDto[];
}
