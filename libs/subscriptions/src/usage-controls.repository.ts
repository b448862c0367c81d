import { pgBinaryArray, runPrepared, type PreparedStatement } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { SubscriptionStatus } from './subscription-state';
import { SubscriptionUsageControlsEntity } from './usage-controls.entity';

/** A subscription with usage controls, as the worker evaluates it (controls joined to its running period). */
export interface ControlledSubscription {
  subscriptionId: string;
  consumerAccountId: string;
  apiId: string;
  planId: string;
  status: SubscriptionStatus;
  periodStart: Date;
  periodEnd: Date;
  quotaAlertPercents: number[];
  overageAlertAmountsMinor: number[];
  spendCapAmountMinor: number | null;
  spendCappedPeriodStart: Date | null;
}

interface ControlledRow {
  subscription_id: string;
  consumer_account_id: string;
  api_id: string;
  plan_id: string;
  status: SubscriptionStatus;
  current_period_start: Date;
  current_period_end: Date;
  quota_alert_percents: number[];
  overage_alert_amounts_minor: string[];
  spend_cap_amount_minor: string | null;
  spend_capped_period_start: Date | null;
}

/** The running subscriptions among `$1` with usage controls set, in id order (`findControlled`). */
const FIND_CONTROLLED: PreparedStatement = {
  name: 'subscriptions.find-controlled',
  text: `SELECT c.subscription_id, s.consumer_account_id, s.api_id, s.plan_id, s.status,
              s.current_period_start, s.current_period_end, c.quota_alert_percents,
              c.overage_alert_amounts_minor, c.spend_cap_amount_minor, c.spend_capped_period_start
       FROM subscription_usage_controls c
       JOIN subscriptions s ON s.id = c.subscription_id
       WHERE c.subscription_id = ANY($1::uuid[])
         AND s.status IN ('trialing', 'active', 'past_due')
         AND s.current_period_start <= $2 AND s.current_period_end > $2
         AND (cardinality(c.quota_alert_percents) > 0 OR cardinality(c.overage_alert_amounts_minor) > 0
              OR c.spend_cap_amount_minor IS NOT NULL)
       ORDER BY c.subscription_id`,
};

/** `spendCapReachedIn`: the cap amount of subscription `$1` when it was reached in the period starting at `$2`. */
const SPEND_CAP_REACHED_IN: PreparedStatement = {
  name: 'subscriptions.spend-cap-reached-in',
  text: `SELECT spend_cap_amount_minor FROM subscription_usage_controls
       WHERE subscription_id = $1 AND spend_capped_period_start = $2 AND spend_cap_amount_minor IS NOT NULL`,
};

/**
 * `subscription_usage_controls` and `usage_alert_firings`. Callers check the subscription's owner
 * first (through SubscriptionsService); the worker's reads take business keys only.
 */
@Injectable()
export class UsageControlsRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(SubscriptionUsageControlsEntity);
  }

  find(subscriptionId: string): Promise<SubscriptionUsageControlsEntity | null> {
    return this.repo().findOne({ where: { subscriptionId } });
  }

  async upsertAlerts(
    subscriptionId: string,
    quotaPercents: number[],
    overageAmountsMinor: number[],
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO subscription_usage_controls (subscription_id, quota_alert_percents, overage_alert_amounts_minor)
       VALUES ($1, $2::smallint[], $3::bigint[])
       ON CONFLICT ON CONSTRAINT pk_subscription_usage_controls DO UPDATE SET
         quota_alert_percents = EXCLUDED.quota_alert_percents,
         overage_alert_amounts_minor = EXCLUDED.overage_alert_amounts_minor,
         updated_at = now()`,
      [subscriptionId, quotaPercents, overageAmountsMinor.map(String)],
    );
  }

  /** Sets (or removes, with null) the cap and lifts any cap reached: the worker re-checks it against the new amount. */
  async upsertSpendCap(subscriptionId: string, amountMinor: number | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO subscription_usage_controls (subscription_id, spend_cap_amount_minor)
       VALUES ($1, $2::bigint)
       ON CONFLICT ON CONSTRAINT pk_subscription_usage_controls DO UPDATE SET
         spend_cap_amount_minor = EXCLUDED.spend_cap_amount_minor,
         spend_capped_period_start = NULL,
         updated_at = now()`,
      [subscriptionId, amountMinor === null ? null : String(amountMinor)],
    );
  }

  /**
   * The subscriptions among `ids` that have usage controls and a running period containing `now`,
   * joined to that period (one query; subscriptions without controls cost nothing more).
   */
  async findControlled(ids: readonly string[], now: Date): Promise<ControlledSubscription[]> {
    if (ids.length === 0) return [];
    // run after every usage batch: prepared, and the ids in binary (parsing and planning it took
    // ~14 times the server's time of running it on an empty table, ~1.3 µs per metered call)
    const { rows } = await runPrepared<ControlledRow>(this.dataSource, FIND_CONTROLLED, [
      pgBinaryArray.uuid(ids),
      now.toISOString(),
    ]);
    return rows.map((row) => ({
      subscriptionId: row.subscription_id,
      consumerAccountId: row.consumer_account_id,
      apiId: row.api_id,
      planId: row.plan_id,
      status: row.status,
      periodStart: row.current_period_start,
      periodEnd: row.current_period_end,
      quotaAlertPercents: row.quota_alert_percents.map(Number),
      overageAlertAmountsMinor: row.overage_alert_amounts_minor.map(Number),
      spendCapAmountMinor: row.spend_cap_amount_minor === null ? null : Number(row.spend_cap_amount_minor),
      spendCappedPeriodStart: row.spend_capped_period_start,
    }));
  }

  /** The alert keys already fired for each (subscription, period start), as `<subscriptionId> <periodStartMs> <alert>`. */
  async firedAlerts(periods: readonly { subscriptionId: string; periodStart: Date }[]): Promise<Set<string>> {
    if (periods.length === 0) return new Set();
    const rows = await this.dataSource.query<
      { subscription_id: string; period_start: Date; alert: string }[]
    >(
      `SELECT f.subscription_id, f.period_start, f.alert
       FROM unnest($1::uuid[], $2::timestamptz[]) AS p(subscription_id, period_start)
       JOIN usage_alert_firings f ON f.subscription_id = p.subscription_id AND f.period_start = p.period_start`,
      [periods.map((p) => p.subscriptionId), periods.map((p) => p.periodStart.toISOString())],
    );
    return new Set(rows.map((row) => firingKey(row.subscription_id, row.period_start, row.alert)));
  }

  /**
   * Claims an alert for the period inside the caller's transaction; false when it fired before. A
   * concurrent claim of the same alert waits on this row until the transaction ends, then gets false.
   */
  async claimFiring(
    manager: EntityManager,
    subscriptionId: string,
    periodStart: Date,
    alert: string,
  ): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `INSERT INTO usage_alert_firings (subscription_id, period_start, alert)
       VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT pk_usage_alert_firings DO NOTHING
       RETURNING alert`,
      [subscriptionId, periodStart.toISOString(), alert],
    );
    return rows.length > 0;
  }

  async setFiringNotification(
    manager: EntityManager,
    subscriptionId: string,
    periodStart: Date,
    alert: string,
    notificationId: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE usage_alert_firings SET notification_id = $4
       WHERE subscription_id = $1 AND period_start = $2 AND alert = $3`,
      [subscriptionId, periodStart.toISOString(), alert, notificationId],
    );
  }

  /**
   * Marks the cap reached for the period, unless the consumer changed the cap meanwhile (the write
   * is conditional on the amount read) or it is marked already; true when this call marked it.
   */
  async markSpendCapped(
    manager: EntityManager,
    subscriptionId: string,
    capAmountMinor: number,
    periodStart: Date,
  ): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `UPDATE subscription_usage_controls SET spend_capped_period_start = $3, updated_at = now()
       WHERE subscription_id = $1 AND spend_cap_amount_minor = $2::bigint
         AND spend_capped_period_start IS DISTINCT FROM $3::timestamptz
       RETURNING subscription_id`,
      [subscriptionId, String(capAmountMinor), periodStart.toISOString()],
    );
    return rows.length > 0;
  }

  /** The cap amount when it was reached in the period starting at `periodStart`, else null (the gateway's lookup). */
  async spendCapReachedIn(subscriptionId: string, periodStart: Date): Promise<number | null> {
    // every gateway reloads each live subscription's cap about twice a minute: prepared
    const { rows } = await runPrepared<{ spend_cap_amount_minor: string }>(
      this.dataSource,
      SPEND_CAP_REACHED_IN,
      [subscriptionId, periodStart.toISOString()],
    );
    return rows.length > 0 ? Number(rows[0].spend_cap_amount_minor) : null;
  }
}

export function firingKey(subscriptionId: string, periodStart: Date, alert: string): string {
  return `${subscriptionId} ${periodStart.getTime()} ${alert}`;
}
