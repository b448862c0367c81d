import { PlansService, type PlanView } from '@app/catalog';
import { Clock, REDIS, RedisKeys } from '@app/common';
import { MeteringService } from '@app/metering';
import { SubscriptionsService, type SubscriptionView } from '@app/subscriptions';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { quotaCounterKey, quotaCounterTtlMs, quotaPeriodKey } from '../limiter/quota-counter';

/**
 * Raises a quota counter to the units the rollups hold, never lowers it; creates (seeds) a missing
 * counter with the period's expiry. Atomic with the limiter's INCRBY (both are Redis scripts or
 * single commands on one key), and INCRBY keeps the counter's TTL.
 *
 * KEYS[1] counter · ARGV[1] units from the rollups · ARGV[2] TTL in ms for a missing counter
 * Returns { before (-1 when missing), after }.
 */
export const QUOTA_RECONCILE_LUA = `
local current = redis.call('GET', KEYS[1])
local target = tonumber(ARGV[1])
if not current then
  redis.call('SET', KEYS[1], target, 'PX', ARGV[2])
  return { -1, target }
end
current = tonumber(current)
if current < target then
  redis.call('INCRBY', KEYS[1], target - current)
  return { current, target }
end
return { current, current }
`;

/** One counter this run changed because the rollups showed more units than Redis held. */
export interface QuotaDrift {
  subscriptionId: string;
  periodKey: string;
  /** The counter before; null when Redis had no counter for the period. */
  before: number | null;
  /** Units in the rollups for the period so far: the counter now. */
  after: number;
}

export interface QuotaReconciliationReport {
  /** ISO time the run read as "now". */
  at: string;
  /** Subscriptions with a quota and a running period that were checked. */
  checked: number;
  /** Counters that were missing and were created with the rollups' units (0 for a fresh period). */
  seeded: number;
  /** Counters at or above the rollups (calls still on their way to the rollups, or non-billable calls): left alone. */
  unchanged: number;
  /** Every counter raised (or seeded above 0): the drift that was corrected. */
  corrected: QuotaDrift[];
  /** Units added over all corrected counters. */
  unitsRestored: number;
  /** Subscriptions whose counter could not be reconciled (logged; the next run tries again). */
  failed: number;
}

export interface ReconcileOptions {
  /** Only these subscriptions (on demand); all running subscriptions with a quota by default. */
  subscriptionIds?: readonly string[];
  /** Subscriptions read per page (one Postgres query for them, one for their usage, one Redis pipeline). */
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;
/** Corrections listed in one log line (the report returned holds all of them). */
const LOGGED_DRIFTS = 20;

/**
 * Quota reconciliation (DESIGN §6, issue 5): the Redis counters the limiter enforces quotas with
 * are rebuilt from the minute rollups (`MeteringService.usageForPeriods`, billable units), the
 * source of truth, after Redis lost data and at period boundaries.
 *
 * The rule: `counter := max(counter, rollups)`. A counter BELOW the rollups lost increments (Redis
 * restarted without persistence, a failover to a replica that lagged, an eviction): it is raised
 * to what Postgres counted. A counter ABOVE the rollups is normal and is never lowered: calls the
 * gateway admitted are counted by the limiter at once but reach the rollups only after the usage
 * buffer (≤ 50 ms … minutes during a Redis outage) and the worker, and admitted calls that ended
 * in 5xx/timeouts or were re-priced by `X-Portico-Billing-Units` differ from the weight counted.
 * Lowering would hand back quota still in flight. After a loss, calls admitted since Redis came
 * back are in the fresh counter but possibly not yet in the rollups; raising to the rollups then
 * undercounts by at most those in-flight units, and the next run (when they have landed) raises
 * the counter again — each run converges towards the true usage, none overshoots it.
 */
@Injectable()
export class QuotaReconciler {
  private readonly logger = new Logger(QuotaReconciler.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly subscriptions: SubscriptionsService,
    private readonly plans: PlansService,
    private readonly metering: MeteringService,
    private readonly clock: Clock,
  ) {}

  async reconcile(options: ReconcileOptions = {}): Promise<QuotaReconciliationReport> {
    const now = this.clock.now();
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const report: QuotaReconciliationReport = {
      at: now.toISOString(),
      checked: 0,
      seeded: 0,
      unchanged: 0,
      corrected: [],
      unitsRestored: 0,
      failed: 0,
    };
    const plans = new Map<string, Promise<PlanView | null>>();
    const planOf = (planId: string): Promise<PlanView | null> => {
      let plan = plans.get(planId);
      if (!plan) plans.set(planId, (plan = this.plans.findById(planId)));
      return plan;
    };

    let afterId: string | null = null;
    for (;;) {
      const page: SubscriptionView[] = await this.subscriptions.listInPeriodAt({
        at: now,
        limit: pageSize,
        afterId,
        ids: options.subscriptionIds,
      });
      if (page.length === 0) break;
      afterId = page[page.length - 1].id;
      const withQuota: SubscriptionView[] = [];
      for (const sub of page) {
        const plan = await planOf(sub.planId);
        if (plan?.quotaLimit != null && sub.currentPeriodStart && sub.currentPeriodEnd) withQuota.push(sub);
      }
      if (withQuota.length > 0) await this.reconcilePage(withQuota, now, report);
      if (page.length < pageSize) break;
    }

    if (report.corrected.length > 0) {
      this.logger.warn(
        {
          corrected: report.corrected.length,
          unitsRestored: report.unitsRestored,
          drifts: report.corrected.slice(0, LOGGED_DRIFTS),
        },
        'quota counters were behind the rollups (Redis lost data?): raised them to the rollups',
      );
    }
    return report;
  }

  private async reconcilePage(
    subs: readonly SubscriptionView[],
    now: Date,
    report: QuotaReconciliationReport,
  ): Promise<void> {
    const usage = await this.metering.usageForPeriods(
      subs.map((sub) => ({
        subscriptionId: sub.id,
        start: sub.currentPeriodStart!,
        end: sub.currentPeriodEnd!,
      })),
    );
    const pipeline = this.redis.pipeline();
    const periodKeys = subs.map((sub) => quotaPeriodKey(sub.currentPeriodStart));
    subs.forEach((sub, i) => {
      const key = quotaCounterKey(this.keys.prefix, sub.id, periodKeys[i]);
      const ttl = quotaCounterTtlMs(sub.currentPeriodEnd!.getTime(), now.getTime());
      pipeline.eval(QUOTA_RECONCILE_LUA, 1, key, String(usage[i].billableUnits), String(ttl));
    });
    const replies = (await pipeline.exec()) ?? [];
    subs.forEach((sub, i) => {
      const [error, reply] = replies[i] ?? [new Error('no reply'), null];
      report.checked += 1;
      if (error || !Array.isArray(reply)) {
        report.failed += 1;
        this.logger.error({ err: error, subscriptionId: sub.id }, 'could not reconcile the quota counter');
        return;
      }
      const [before, after] = reply.map(Number);
      if (before === -1) report.seeded += 1;
      if (after > Math.max(before, 0)) {
        report.corrected.push({
          subscriptionId: sub.id,
          periodKey: periodKeys[i],
          before: before === -1 ? null : before,
          after,
        });
        report.unitsRestored += after - Math.max(before, 0);
      } else if (before !== -1) {
        report.unchanged += 1;
      }
    });
  }
}
