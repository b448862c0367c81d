import { ListingsService } from '@app/catalog';
import { UsageAnalyticsService } from '@app/metering';
import { Injectable } from '@nestjs/common';

export interface PlatformDayTotals {
  day: Date;
  calls: number;
  errors: number;
  billableUnits: number;
  /** Distinct subscriptions with at least one call that day. */
  activeSubscriptions: number;
  /** Distinct consumer accounts with at least one call that day. */
  activeConsumers: number;
  /** Distinct providers whose APIs were called that day. */
  activeProviders: number;
}

/** Platform-wide totals for operators (the route is admin-only). */
@Injectable()
export class PlatformAnalyticsService {
  constructor(
    private readonly analytics: UsageAnalyticsService,
    private readonly listings: ListingsService,
  ) {}

  async daily(from: Date, to: Date): Promise<{ from: Date; to: Date; days: PlatformDayTotals[] }> {
    const { range, days } = await this.analytics.platformDays(from, to);
    const providerOf = await this.listings.providerIdsOf([...new Set(days.flatMap((d) => d.apiIds))]);
    return {
      from: range.from,
      to: range.to,
      days: days.map(({ apiIds, ...day }) => ({
        ...day,
        activeProviders: new Set(apiIds.map((id) => providerOf.get(id)).filter((id) => id !== undefined)).size,
      })),
    };
  }
}
