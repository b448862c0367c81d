import { PlansService, PublicCatalogService, type PlanView } from '@app/catalog';
import { Clock } from '@app/common';
import {
  UsageAnalyticsService,
  type RequestLogEntry,
  type RequestLogFilter,
  type RequestLogPage,
  type UsageSeriesQuery,
  type UsageSeriesResult,
} from '@app/metering';
import { SubscriptionsService, type SubscriptionStatus } from '@app/subscriptions';
import { Injectable } from '@nestjs/common';
import { periodCost, type PeriodCost } from './period-cost';

/** Statuses whose period runs (usage counts against the plan). */
const RUNNING: ReadonlySet<SubscriptionStatus> = new Set(['trialing', 'active', 'past_due']);

export interface CurrentPeriodUsage extends PeriodCost {
  subscriptionId: string;
  apiId: string;
  /** The API's name and slug now (null: the listing was deleted). */
  api: { name: string; slug: string } | null;
  planId: string;
  planName: string;
  status: SubscriptionStatus;
  periodStart: Date;
  periodEnd: Date;
  currency: string;
  priceAmountMinor: string;
  quotaLimit: number | null;
  quotaMode: 'hard' | 'soft';
  quotaPeriod: 'month' | 'day';
  overageUnitPriceMinor: string | null;
  calls: number;
  billableUnits: number;
  overageUnits: number;
}

/**
 * The signed-in consumer's usage: every read is scoped to the consumer's own account (rollups and
 * request log by `consumer_account_id`, subscriptions by owner), so nobody else's usage can show.
 */
@Injectable()
export class ConsumerUsageService {
  constructor(
    private readonly analytics: UsageAnalyticsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly plans: PlansService,
    private readonly catalog: PublicCatalogService,
    private readonly clock: Clock,
  ) {}

  series(consumerAccountId: string, query: UsageSeriesQuery): Promise<UsageSeriesResult> {
    return this.analytics.series({ kind: 'consumer', consumerAccountId }, query);
  }

  requests(
    consumerAccountId: string,
    filter: RequestLogFilter,
    cursor: string | null,
    limit?: number,
  ): Promise<RequestLogPage> {
    return this.analytics.requests(consumerAccountId, filter, cursor, limit);
  }

  allRequests(consumerAccountId: string, filter: RequestLogFilter): AsyncGenerator<RequestLogEntry[]> {
    return this.analytics.allRequests(consumerAccountId, filter);
  }

  /**
   * The current period of each subscription whose period runs (trialing, active, past_due):
   * usage from the rollups (the sums billing rates, read from whole days and hours: `periodTotals`),
   * quota remaining, overage so far and its cost, and a linear projection for the whole period
   * (period-cost.ts).
   */
  async currentPeriods(consumerAccountId: string): Promise<CurrentPeriodUsage[]> {
    const now = this.clock.now();
    const running = (await this.subscriptions.list(consumerAccountId)).filter(
      (s) => RUNNING.has(s.status) && s.currentPeriodStart !== null && s.currentPeriodEnd !== null,
    );
    if (running.length === 0) return [];
    const plans = new Map<string, PlanView>();
    for (const planId of new Set(running.map((s) => s.planId))) {
      const plan = await this.plans.findById(planId);
      if (plan) plans.set(planId, plan);
    }
    const apis = new Map<string, { name: string; slug: string } | null>();
    for (const apiId of new Set(running.map((s) => s.apiId))) apis.set(apiId, await this.catalog.nameOf(apiId));
    const usage = await this.analytics.periodTotals(
      consumerAccountId,
      running.map((s) => ({ subscriptionId: s.id, start: s.currentPeriodStart as Date, end: s.currentPeriodEnd as Date })),
    );
    return running.flatMap((s, i) => {
      const plan = plans.get(s.planId);
      if (!plan) return [];
      const periodStart = s.currentPeriodStart as Date;
      const periodEnd = s.currentPeriodEnd as Date;
      const { calls, billableUnits, overageUnits } = usage[i];
      return [
        {
          subscriptionId: s.id,
          apiId: s.apiId,
          api: apis.get(s.apiId) ?? null,
          planId: s.planId,
          planName: plan.name,
          status: s.status,
          periodStart,
          periodEnd,
          currency: plan.currency,
          priceAmountMinor: plan.priceAmountMinor,
          quotaLimit: plan.quotaLimit === null ? null : Number(plan.quotaLimit),
          quotaMode: plan.quotaMode,
          quotaPeriod: plan.quotaPeriod,
          overageUnitPriceMinor: plan.overageUnitPriceMinor,
          calls,
          billableUnits,
          overageUnits,
          ...periodCost({
            periodStart,
            periodEnd,
            now,
            billableUnits,
            overageUnits,
            quotaLimit: plan.quotaLimit,
            quotaMode: plan.quotaMode,
            overageUnitPriceMinor: plan.overageUnitPriceMinor,
            priceAmountMinor: plan.priceAmountMinor,
          }),
        },
      ];
    });
  }
}
