import { PlansService, type PlanView } from '@app/catalog';
import { Clock, EventBus, validationFailed } from '@app/common';
import { MeteringService } from '@app/metering';
import { NotificationsService } from '@app/notifications';
import { Injectable, Logger } from '@nestjs/common';
import { SUBSCRIPTION_CHANGED_EVENT } from './subscription-changed.event';
import { SubscriptionsService } from './subscriptions.service';
import { firingKey, UsageControlsRepository, type ControlledSubscription } from './usage-controls.repository';
import {
  crossedAlerts,
  formatMinor,
  normalizedThresholds,
  overageCostMinor,
  spendCapAlertKey,
  spendCapReached,
  USAGE_CONTROL_LIMITS,
  type CrossedAlert,
  type PeriodTotals,
  type UsageTerms,
} from './usage-controls.rules';

export interface UsageAlertsInput {
  quotaPercents: number[];
  overageAmountsMinor: number[];
}

export interface UsageAlertsView {
  subscriptionId: string;
  /** Ascending, distinct percentages of the period quota (billing units). */
  quotaPercents: number[];
  /** Ascending, distinct overage costs (minor units of `currency`). */
  overageAmountsMinor: number[];
  currency: string;
  /** Alerts that fired in the current period (`quota:80`, `overage:500`, `spend_cap:1000`). */
  firedThisPeriod: string[];
}

export interface SpendCapView {
  subscriptionId: string;
  /** The most overage paid per period (minor units of `currency`); null = no cap. */
  amountMinor: number | null;
  currency: string;
  /** True while the cap stops live calls (until the period ends, or the cap is raised or removed). */
  reached: boolean;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  /** Overage of the current period so far, as metered (seconds behind the gateway). */
  overageUnits: number;
  overageCostMinor: number;
}

/** What one evaluation did (the worker logs it). */
export interface UsageControlsOutcome {
  /** Subscriptions with controls and a running period among those asked. */
  evaluated: number;
  /** Alerts fired now (each once per period). */
  fired: number;
  /** Subscriptions whose spend cap was found reached now. */
  capped: number;
}

/** The gateway's view of a reached cap (DirectorySubscription.spendCapReached). */
export interface SpendCapReached {
  amountMinor: number;
}

const termsOf = (plan: PlanView): UsageTerms => ({
  quotaLimit: plan.quotaLimit === null ? null : Number(plan.quotaLimit),
  quotaMode: plan.quotaMode,
  overageUnitPriceMinor: plan.overageUnitPriceMinor,
});

/**
 * Usage alerts and the overage spend cap of a subscription (README "Alerts and caps"). The
 * consumer configures them (owner-scoped through SubscriptionsService: another account's
 * subscription is 404); the worker calls `evaluate` after applying each usage batch for the
 * subscriptions it billed; the gateway reads `spendCapReachedIn` when it loads a subscription.
 */
@Injectable()
export class UsageControlsService {
  private readonly logger = new Logger(UsageControlsService.name);

  constructor(
    private readonly controls: UsageControlsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly plans: PlansService,
    private readonly metering: MeteringService,
    private readonly notifications: NotificationsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  // ---- consumer -------------------------------------------------------------------------------

  async getAlerts(consumerAccountId: string, subscriptionId: string): Promise<UsageAlertsView> {
    const sub = await this.subscriptions.get(consumerAccountId, subscriptionId);
    const [row, plan] = await Promise.all([this.controls.find(sub.id), this.requirePlan(sub.planId)]);
    const fired =
      sub.currentPeriodStart === null
        ? []
        : [
            ...(await this.controls.firedAlerts([
              { subscriptionId: sub.id, periodStart: sub.currentPeriodStart },
            ])),
          ]
            .map((key) => key.split(' ')[2])
            .sort();
    return {
      subscriptionId: sub.id,
      quotaPercents: row?.quotaAlertPercents ?? [],
      overageAmountsMinor: row?.overageAlertAmountsMinor ?? [],
      currency: plan.currency,
      firedThisPeriod: fired,
    };
  }

  /**
   * Replaces the subscription's alerts. Alerts already reached this period fire with the next
   * usage batch (each once per period); an alert removed and added again in the same period does
   * not fire twice.
   */
  async putAlerts(
    consumerAccountId: string,
    subscriptionId: string,
    input: UsageAlertsInput,
  ): Promise<UsageAlertsView> {
    const sub = await this.subscriptions.get(consumerAccountId, subscriptionId);
    const quotaPercents = normalizedThresholds(input.quotaPercents);
    const overageAmountsMinor = normalizedThresholds(input.overageAmountsMinor);
    for (const [field, values] of [
      ['quotaPercents', quotaPercents],
      ['overageAmountsMinor', overageAmountsMinor],
    ] as const)
      if (values.length > USAGE_CONTROL_LIMITS.alertsMax)
        throw validationFailed(field, `at most ${USAGE_CONTROL_LIMITS.alertsMax} distinct values`);
    await this.controls.upsertAlerts(sub.id, quotaPercents, overageAmountsMinor);
    await this.evaluate([sub.id]);
    return this.getAlerts(consumerAccountId, subscriptionId);
  }

  async getSpendCap(consumerAccountId: string, subscriptionId: string): Promise<SpendCapView> {
    const sub = await this.subscriptions.get(consumerAccountId, subscriptionId);
    const [row, plan] = await Promise.all([this.controls.find(sub.id), this.requirePlan(sub.planId)]);
    const usage =
      sub.currentPeriodStart && sub.currentPeriodEnd
        ? await this.metering.usageForPeriod(sub.id, sub.currentPeriodStart, sub.currentPeriodEnd)
        : { overageUnits: 0 };
    return {
      subscriptionId: sub.id,
      amountMinor: row?.spendCapAmountMinor ?? null,
      currency: plan.currency,
      reached:
        row?.spendCappedPeriodStart != null &&
        sub.currentPeriodStart !== null &&
        row.spendCappedPeriodStart.getTime() === sub.currentPeriodStart.getTime(),
      currentPeriodStart: sub.currentPeriodStart,
      currentPeriodEnd: sub.currentPeriodEnd,
      overageUnits: usage.overageUnits,
      overageCostMinor: overageCostMinor(usage.overageUnits, plan),
    };
  }

  /**
   * Sets (a number) or removes (null) the overage spend cap. Any reached cap is lifted at once and
   * announced (gateways drop their cached subscription), then checked again against the new
   * amount: a cap lowered below this period's overage is reached again at once.
   */
  async setSpendCap(
    consumerAccountId: string,
    subscriptionId: string,
    amountMinor: number | null,
  ): Promise<SpendCapView> {
    const sub = await this.subscriptions.get(consumerAccountId, subscriptionId);
    await this.controls.upsertSpendCap(sub.id, amountMinor);
    // awaited: the gateways hear of it before the consumer's next call
    await this.announce(sub.consumerAccountId, sub.apiId, sub.id);
    if (amountMinor !== null) await this.evaluate([sub.id]);
    return this.getSpendCap(consumerAccountId, subscriptionId);
  }

  // ---- system ---------------------------------------------------------------------------------

  /**
   * After a usage batch (the worker): for the subscriptions it billed that have controls, reads the
   * current period's totals from the rollups, fires the alerts reached (once per period: a row in
   * `usage_alert_firings` and its notification in one transaction) and marks a reached spend cap
   * (announced so gateways refuse live calls). Safe to repeat and to run concurrently.
   */
  async evaluate(subscriptionIds: readonly string[]): Promise<UsageControlsOutcome> {
    const outcome: UsageControlsOutcome = { evaluated: 0, fired: 0, capped: 0 };
    const rows = await this.controls.findControlled(subscriptionIds, this.clock.now());
    if (rows.length === 0) return outcome;
    const periods = rows.map((row) => ({
      subscriptionId: row.subscriptionId,
      start: row.periodStart,
      end: row.periodEnd,
    }));
    const [usage, fired] = await Promise.all([
      this.metering.usageForPeriods(periods),
      this.controls.firedAlerts(
        rows.map((row) => ({ subscriptionId: row.subscriptionId, periodStart: row.periodStart })),
      ),
    ]);
    const plans = new Map<string, PlanView | null>();
    for (const [index, row] of rows.entries()) {
      outcome.evaluated += 1;
      if (!plans.has(row.planId)) plans.set(row.planId, await this.plans.findById(row.planId));
      const plan = plans.get(row.planId);
      if (!plan) continue;
      const totals = usage[index];
      const crossed = crossedAlerts(
        { quotaPercents: row.quotaAlertPercents, overageAmountsMinor: row.overageAlertAmountsMinor },
        termsOf(plan),
        totals,
      );
      for (const alert of crossed) {
        if (fired.has(firingKey(row.subscriptionId, row.periodStart, alert.key))) continue;
        if (await this.fireAlert(row, plan, alert, totals)) outcome.fired += 1;
      }
      if (
        spendCapReached(row.spendCapAmountMinor, termsOf(plan), totals) &&
        row.spendCappedPeriodStart?.getTime() !== row.periodStart.getTime() &&
        (await this.capSpend(row, plan, totals))
      )
        outcome.capped += 1;
    }
    return outcome;
  }

  /** The cap amount when the subscription's cap was reached in the period starting at `periodStart` (the gateway's load). */
  async spendCapReachedIn(subscriptionId: string, periodStart: Date | null): Promise<SpendCapReached | null> {
    if (periodStart === null) return null;
    const amountMinor = await this.controls.spendCapReachedIn(subscriptionId, periodStart);
    return amountMinor === null ? null : { amountMinor };
  }

  // ---- internals ------------------------------------------------------------------------------

  private async fireAlert(
    row: ControlledSubscription,
    plan: PlanView,
    alert: CrossedAlert,
    totals: PeriodTotals,
  ): Promise<boolean> {
    const money = (amount: number) => formatMinor(amount, plan.currency, plan.currencyMinorUnits);
    const cost = overageCostMinor(totals.overageUnits, plan);
    const periodEnd = row.periodEnd.toISOString();
    const notification =
      alert.kind === 'quota'
        ? {
            type: 'usage.quota_threshold',
            title: `${alert.percent} % of your ${plan.name} quota used`,
            body:
              `Subscription ${row.subscriptionId} has used ${totals.billableUnits} of its ${plan.quotaLimit} units this period (until ${periodEnd}). ` +
              (plan.quotaMode === 'hard'
                ? 'Past 100 % calls are refused with quota_exceeded until the period ends: change to a larger plan to keep calling.'
                : `Past 100 % calls are billed as overage${plan.overageUnitPriceMinor ? ` at ${plan.overageUnitPriceMinor} ${plan.currency} minor units per unit` : ''}; set a spend cap to limit it.`),
            data: {
              threshold: alert.percent,
              usedUnits: totals.billableUnits,
              quotaLimit: Number(plan.quotaLimit),
            },
          }
        : {
            type: 'usage.overage_threshold',
            title: `Overage on ${plan.name} reached ${money(alert.amountMinor)}`,
            body: `Subscription ${row.subscriptionId} has ${totals.overageUnits} overage units this period (until ${periodEnd}), costing ${money(cost)} so far. Set or lower a spend cap to stop overage.`,
            data: {
              thresholdAmountMinor: alert.amountMinor,
              overageUnits: totals.overageUnits,
              overageCostMinor: cost,
            },
          };
    return this.controls.transaction(async (manager) => {
      if (!(await this.controls.claimFiring(manager, row.subscriptionId, row.periodStart, alert.key)))
        return false;
      const recorded = await this.notifications.record(
        {
          accountId: row.consumerAccountId,
          type: notification.type,
          title: notification.title,
          body: notification.body,
          data: { ...this.baseData(row, plan), alert: alert.key, ...notification.data },
        },
        manager,
      );
      await this.controls.setFiringNotification(
        manager,
        row.subscriptionId,
        row.periodStart,
        alert.key,
        recorded.id,
      );
      return true;
    });
  }

  private async capSpend(
    row: ControlledSubscription,
    plan: PlanView,
    totals: PeriodTotals,
  ): Promise<boolean> {
    const cap = row.spendCapAmountMinor;
    if (cap === null) return false;
    const money = (amount: number) => formatMinor(amount, plan.currency, plan.currencyMinorUnits);
    const cost = overageCostMinor(totals.overageUnits, plan);
    const alert = spendCapAlertKey(cap);
    const capped = await this.controls.transaction(async (manager) => {
      if (!(await this.controls.markSpendCapped(manager, row.subscriptionId, cap, row.periodStart)))
        return false;
      if (await this.controls.claimFiring(manager, row.subscriptionId, row.periodStart, alert)) {
        const recorded = await this.notifications.record(
          {
            accountId: row.consumerAccountId,
            type: 'usage.spend_cap_reached',
            title: `Spend cap of ${money(cap)} reached on ${plan.name}`,
            body:
              `Subscription ${row.subscriptionId} has ${money(cost)} of overage this period, reaching your cap of ${money(cap)}. ` +
              `Live calls are refused with 429 spend_cap_reached until the period ends at ${row.periodEnd.toISOString()}, so no more overage is billed. ` +
              `Raise or remove the cap (PUT /v1/subscriptions/${row.subscriptionId}/spend-cap) to resume at once.`,
            data: {
              ...this.baseData(row, plan),
              alert,
              capAmountMinor: cap,
              overageUnits: totals.overageUnits,
              overageCostMinor: cost,
            },
          },
          manager,
        );
        await this.controls.setFiringNotification(
          manager,
          row.subscriptionId,
          row.periodStart,
          alert,
          recorded.id,
        );
      }
      return true;
    });
    if (capped) {
      this.logger.log(
        { subscriptionId: row.subscriptionId, capAmountMinor: cap, overageCostMinor: cost },
        'spend cap reached',
      );
      await this.announce(row.consumerAccountId, row.apiId, row.subscriptionId);
    }
    return capped;
  }

  private baseData(row: ControlledSubscription, plan: PlanView): Record<string, unknown> {
    return {
      subscriptionId: row.subscriptionId,
      apiId: row.apiId,
      planId: plan.id,
      currency: plan.currency,
      periodStart: row.periodStart.toISOString(),
      periodEnd: row.periodEnd.toISOString(),
    };
  }

  private async requirePlan(planId: string): Promise<PlanView> {
    const plan = await this.plans.findById(planId);
    if (!plan) throw new Error(`subscription references plan ${planId}, which does not exist`);
    return plan;
  }

  /** SUBSCRIPTION_CHANGED_EVENT: gateways drop the cached subscription and re-read the cap. */
  private async announce(consumerAccountId: string, apiId: string, subscriptionId: string): Promise<void> {
    try {
      await this.events.publish(SUBSCRIPTION_CHANGED_EVENT, `${consumerAccountId}:${apiId}`);
    } catch (error) {
      this.logger.warn(
        { err: error, subscriptionId },
        'could not broadcast subscription-changed; caches expire by TTL',
      );
    }
  }
}
