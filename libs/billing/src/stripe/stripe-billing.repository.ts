import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import {
  STRIPE_ENDED_STATUSES,
  DisputeEntity,
  DriftEntity,
  DunningEntity,
  RefundEntity,
  StripeSubscriptionLinkEntity,
  UsageReportEntity,
} from './stripe-billing.entities';

/** The tables of billing's Stripe mirror, dunning, refunds and reconciliation. */
@Injectable()
export class StripeBillingRepository {
  constructor(readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  // ---- subscription links ------------------------------------------------------------------------

  async upsertLink(
    manager: EntityManager,
    link: Pick<
      StripeSubscriptionLinkEntity,
      'subscriptionId' | 'stripeCustomerId' | 'stripeSubscriptionId' | 'stripeStatus' | 'currentPeriodStart' | 'currentPeriodEnd'
    >,
    reportFrom: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO billing_stripe_subscriptions (subscription_id, stripe_customer_id, stripe_subscription_id, stripe_status,
         current_period_start, current_period_end, usage_reported_until, usage_rechecked_until, usage_swept_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)
       ON CONFLICT (subscription_id) DO UPDATE SET stripe_status = EXCLUDED.stripe_status,
         current_period_start = EXCLUDED.current_period_start, current_period_end = EXCLUDED.current_period_end,
         updated_at = now()`,
      [
        link.subscriptionId,
        link.stripeCustomerId,
        link.stripeSubscriptionId,
        link.stripeStatus,
        link.currentPeriodStart,
        link.currentPeriodEnd,
        reportFrom,
      ],
    );
  }

  linkBySubscriptionId(subscriptionId: string, manager?: EntityManager): Promise<StripeSubscriptionLinkEntity | null> {
    return this.m(manager).getRepository(StripeSubscriptionLinkEntity).findOneBy({ subscriptionId });
  }

  linkByStripeId(stripeSubscriptionId: string, manager?: EntityManager): Promise<StripeSubscriptionLinkEntity | null> {
    return this.m(manager).getRepository(StripeSubscriptionLinkEntity).findOneBy({ stripeSubscriptionId });
  }

  async updateLinkState(
    manager: EntityManager,
    subscriptionId: string,
    state: Pick<StripeSubscriptionLinkEntity, 'stripeStatus' | 'currentPeriodStart' | 'currentPeriodEnd'>,
  ): Promise<void> {
    await manager.getRepository(StripeSubscriptionLinkEntity).update({ subscriptionId }, state);
  }

  /** How many plan changes libs/subscriptions recorded for the subscription (billing_plan_changes). */
  async countPlanChanges(manager: EntityManager, subscriptionId: string): Promise<number> {
    const rows = await manager.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM billing_plan_changes WHERE subscription_id = $1',
      [subscriptionId],
    );
    return rows[0].n;
  }

  /**
   * Links whose usage is reported: running ones, and ended ones whose last period ended after
   * `endedSince` with usage not yet reported (or re-checked) up to its end; a page in id order.
   */
  linksToReport(limit: number, afterId: string | null, endedSince: Date): Promise<StripeSubscriptionLinkEntity[]> {
    const query = this.dataSource
      .getRepository(StripeSubscriptionLinkEntity)
      .createQueryBuilder('l')
      .where(
        `(l.stripe_status <> ALL(:ended)
          OR (l.current_period_end > :endedSince
              AND (l.usage_reported_until < l.current_period_end OR l.usage_rechecked_until < l.current_period_end)))`,
        { endedSince, ended: [...STRIPE_ENDED_STATUSES] },
      )
      .orderBy('l.subscription_id', 'ASC')
      .limit(limit);
    if (afterId) query.andWhere('l.subscription_id > :afterId', { afterId });
    return query.getMany();
  }

  allLinks(limit: number, afterId: string | null): Promise<StripeSubscriptionLinkEntity[]> {
    const query = this.dataSource
      .getRepository(StripeSubscriptionLinkEntity)
      .createQueryBuilder('l')
      .orderBy('l.subscription_id', 'ASC')
      .limit(limit);
    if (afterId) query.andWhere('l.subscription_id > :afterId', { afterId });
    return query.getMany();
  }

  async advanceUsageCursor(subscriptionId: string, until: Date): Promise<void> {
    await this.dataSource
      .getRepository(StripeSubscriptionLinkEntity)
      .createQueryBuilder()
      .update()
      .set({ usageReportedUntil: until })
      .where('subscription_id = :subscriptionId AND usage_reported_until < :until', { subscriptionId, until })
      .execute();
  }

  async advanceUsageRecheck(subscriptionId: string, until: Date): Promise<void> {
    await this.dataSource.query(
      'UPDATE billing_stripe_subscriptions SET usage_rechecked_until = $2 WHERE subscription_id = $1 AND usage_rechecked_until < $2',
      [subscriptionId, until],
    );
  }

  async advanceUsageSweep(subscriptionId: string, until: Date): Promise<void> {
    await this.dataSource.query(
      'UPDATE billing_stripe_subscriptions SET usage_swept_until = $2 WHERE subscription_id = $1 AND usage_swept_until < $2',
      [subscriptionId, until],
    );
  }

  // ---- usage reports ----------------------------------------------------------------------------

  /** Fixes a window's units (a revision written before keeps its first units: a rerun replays them). */
  async insertUsageReport(
    row: Pick<UsageReportEntity, 'subscriptionId' | 'windowStart' | 'windowEnd' | 'revision' | 'units' | 'identifier'>,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO billing_usage_reports (subscription_id, window_start, window_end, revision, units, identifier)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subscription_id, window_start, revision) DO NOTHING`,
      [row.subscriptionId, row.windowStart, row.windowEnd, row.revision, row.units, row.identifier],
    );
  }

  /** Units written so far per window (all revisions) and the next revision, by window start (ms). */
  async writtenUsage(subscriptionId: string, windowStarts: readonly Date[]): Promise<Map<number, { units: bigint; nextRevision: number }>> {
    const rows = await this.dataSource.query<{ window_start: Date; units: string; next_revision: number }[]>(
      `SELECT window_start, sum(units)::text AS units, max(revision) + 1 AS next_revision
         FROM billing_usage_reports WHERE subscription_id = $1 AND window_start = ANY($2::timestamptz[])
        GROUP BY window_start`,
      [subscriptionId, windowStarts],
    );
    return new Map(rows.map((r) => [r.window_start.getTime(), { units: BigInt(r.units), nextRevision: r.next_revision }]));
  }

  /** Written, unsent usage reports, oldest first; only `subscriptionId`'s when given. */
  unreportedUsage(limit: number, subscriptionId?: string): Promise<UsageReportEntity[]> {
    return this.dataSource.getRepository(UsageReportEntity).find({
      where: { reportedAt: IsNull(), ...(subscriptionId ? { subscriptionId } : {}) },
      order: { createdAt: 'ASC' },
      take: limit,
    });
  }

  async markUsageReported(row: Pick<UsageReportEntity, 'subscriptionId' | 'windowStart' | 'revision'>, at: Date): Promise<void> {
    await this.dataSource
      .getRepository(UsageReportEntity)
      .update({ subscriptionId: row.subscriptionId, windowStart: row.windowStart, revision: row.revision, reportedAt: IsNull() }, { reportedAt: at });
  }

  // ---- dunning -----------------------------------------------------------------------------------

  /** Starts dunning of the invoice unless it runs (or ran) already; true when this call started it. */
  async startDunning(
    manager: EntityManager,
    row: Pick<DunningEntity, 'invoiceId' | 'subscriptionId' | 'consumerAccountId' | 'startedAt' | 'nextAttemptAt' | 'graceEndsAt'>,
  ): Promise<boolean> {
    const inserted = await manager.query<{ invoice_id: string }[]>(
      `INSERT INTO billing_dunning (invoice_id, subscription_id, consumer_account_id, started_at, next_attempt_at, grace_ends_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (invoice_id) DO NOTHING RETURNING invoice_id`,
      [row.invoiceId, row.subscriptionId, row.consumerAccountId, row.startedAt, row.nextAttemptAt, row.graceEndsAt],
    );
    return inserted.length > 0;
  }

  lockDunning(manager: EntityManager, invoiceId: string): Promise<DunningEntity | null> {
    return manager.getRepository(DunningEntity).findOne({ where: { invoiceId }, lock: { mode: 'pessimistic_write' } });
  }

  dunningDue(now: Date, limit: number): Promise<DunningEntity[]> {
    return this.dataSource
      .getRepository(DunningEntity)
      .createQueryBuilder('d')
      .where('d.ended_at IS NULL AND d.next_attempt_at <= :now', { now })
      .orderBy('d.next_attempt_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  dunningOf(invoiceId: string, manager?: EntityManager): Promise<DunningEntity | null> {
    return this.m(manager).getRepository(DunningEntity).findOneBy({ invoiceId });
  }

  async saveDunning(manager: EntityManager, row: DunningEntity): Promise<void> {
    await manager.getRepository(DunningEntity).save(row);
  }

  // ---- refunds -----------------------------------------------------------------------------------

  async insertRefund(
    manager: EntityManager,
    row: Omit<RefundEntity, 'id' | 'createdAt' | 'completedAt' | 'status' | 'stripeRefundId' | 'requestKey'> & {
      requestKey?: string | null;
    },
  ): Promise<RefundEntity> {
    const repo = manager.getRepository(RefundEntity);
    return repo.save(repo.create({ ...row, status: 'pending', stripeRefundId: null, requestKey: row.requestKey ?? null }));
  }

  findRefundByRequestKey(requestKey: string): Promise<RefundEntity | null> {
    return this.dataSource.getRepository(RefundEntity).findOneBy({ requestKey });
  }

  lockRefund(manager: EntityManager, id: string): Promise<RefundEntity | null> {
    return manager.getRepository(RefundEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findRefund(id: string, manager?: EntityManager): Promise<RefundEntity | null> {
    return this.m(manager).getRepository(RefundEntity).findOneBy({ id });
  }

  findRefundByStripeId(stripeRefundId: string, manager?: EntityManager): Promise<RefundEntity | null> {
    return this.m(manager).getRepository(RefundEntity).findOneBy({ stripeRefundId });
  }

  async completeRefund(manager: EntityManager, id: string, reference: string, at: Date): Promise<void> {
    await manager.getRepository(RefundEntity).update({ id }, { status: 'succeeded', stripeRefundId: reference, completedAt: at });
  }

  pendingRefunds(olderThan: Date, limit: number): Promise<RefundEntity[]> {
    return this.dataSource
      .getRepository(RefundEntity)
      .createQueryBuilder('r')
      .where(`r.status = 'pending' AND r.created_at <= :olderThan`, { olderThan })
      .orderBy('r.created_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  refundsOf(invoiceId: string): Promise<RefundEntity[]> {
    return this.dataSource.getRepository(RefundEntity).find({ where: { invoiceId }, order: { createdAt: 'ASC' } });
  }

  // ---- disputes ----------------------------------------------------------------------------------

  async insertDispute(
    manager: EntityManager,
    row: Pick<DisputeEntity, 'stripeDisputeId' | 'invoiceId' | 'amountMinor' | 'currency' | 'status' | 'reason' | 'stripeChargeId'>,
  ): Promise<string | null> {
    const inserted = await manager.query<{ id: string }[]>(
      `INSERT INTO billing_disputes (stripe_dispute_id, invoice_id, amount_minor, currency, status, reason, stripe_charge_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (stripe_dispute_id) DO NOTHING RETURNING id`,
      [row.stripeDisputeId, row.invoiceId, row.amountMinor, row.currency, row.status, row.reason, row.stripeChargeId],
    );
    return inserted[0]?.id ?? null;
  }

  /** The dispute row locked for its outcome (inside the inbox transaction). */
  lockDispute(manager: EntityManager, stripeDisputeId: string): Promise<DisputeEntity | null> {
    return manager
      .getRepository(DisputeEntity)
      .createQueryBuilder('d')
      .setLock('pessimistic_write')
      .where('d.stripe_dispute_id = :stripeDisputeId', { stripeDisputeId })
      .getOne();
  }

  async closeDispute(
    manager: EntityManager,
    id: string,
    outcome: Pick<DisputeEntity, 'status' | 'outcome' | 'closedAt' | 'creditNoteId' | 'stripeChargeId' | 'shareReversalMinor'>,
  ): Promise<void> {
    await manager.getRepository(DisputeEntity).update({ id }, outcome);
  }

  /**
   * Lost disputes whose provider share is still to be reversed, and due: never tried, or last tried
   * 2^attempts minutes ago or more (a day at most), oldest first.
   */
  disputeSharesToReverse(now: Date, limit: number): Promise<DisputeEntity[]> {
    return this.dataSource
      .getRepository(DisputeEntity)
      .createQueryBuilder('d')
      .where('d.share_reversal_minor IS NOT NULL AND d.share_reversed_at IS NULL')
      .andWhere(
        `(d.share_reversal_attempted_at IS NULL
          OR d.share_reversal_attempted_at <= :now::timestamptz - make_interval(mins => least(power(2, d.share_reversal_attempts), 1440)::int))`,
        { now },
      )
      .orderBy('d.share_reversal_attempted_at', 'ASC', 'NULLS FIRST')
      .addOrderBy('d.created_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  recentDisputes(limit: number): Promise<DisputeEntity[]> {
    return this.dataSource.getRepository(DisputeEntity).find({ order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
  }

  lockDisputeById(manager: EntityManager, id: string): Promise<DisputeEntity | null> {
    return manager.getRepository(DisputeEntity).createQueryBuilder('d').setLock('pessimistic_write').where('d.id = :id', { id }).getOne();
  }

  async recordShareReversed(manager: EntityManager, id: string, reference: string, at: Date): Promise<void> {
    await manager.getRepository(DisputeEntity).update(
      { id },
      { shareReversalReference: reference, shareReversedAt: at, shareReversalAttemptedAt: at, shareReversalError: null },
    );
  }

  async recordShareReversalFailed(id: string, error: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE billing_disputes
          SET share_reversal_attempts = share_reversal_attempts + 1, share_reversal_attempted_at = $2, share_reversal_error = $3
        WHERE id = $1 AND share_reversed_at IS NULL`,
      [id, at, error.slice(0, 2000)],
    );
  }

  // ---- drift -------------------------------------------------------------------------------------

  async recordDrift(row: Pick<DriftEntity, 'objectType' | 'objectId' | 'stripeId' | 'field' | 'localValue' | 'stripeValue'>, at: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO billing_drifts (object_type, object_id, stripe_id, field, local_value, stripe_value, detected_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (object_type, object_id, field) DO UPDATE SET local_value = EXCLUDED.local_value,
         stripe_value = EXCLUDED.stripe_value, stripe_id = EXCLUDED.stripe_id,
         detected_at = CASE WHEN billing_drifts.resolved_at IS NULL THEN billing_drifts.detected_at ELSE EXCLUDED.detected_at END,
         resolved_at = NULL`,
      [row.objectType, row.objectId, row.stripeId, row.field, row.localValue.slice(0, 255), row.stripeValue.slice(0, 255), at],
    );
  }

  async resolveDrifts(objectType: string, objectId: string, fieldsInDrift: readonly string[], at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE billing_drifts SET resolved_at = $4 WHERE object_type = $1 AND object_id = $2 AND resolved_at IS NULL
         AND NOT (field = ANY($3::varchar[]))`,
      [objectType, objectId, fieldsInDrift, at],
    );
  }

  openDrifts(limit = 500): Promise<DriftEntity[]> {
    return this.dataSource.getRepository(DriftEntity).find({
      where: { resolvedAt: IsNull() },
      order: { detectedAt: 'DESC' },
      take: limit,
    });
  }

  /** Stripe-collected invoices to compare: every open one, and the most recent others. */
  async invoicesToReconcile(limit: number): Promise<{ id: string; stripe_invoice_id: string; status: string; total_amount_minor: string }[]> {
    return this.dataSource.query(
      `(SELECT id, stripe_invoice_id, status, total_amount_minor::text FROM invoices
         WHERE stripe_invoice_id IS NOT NULL AND status IN ('open', 'uncollectible'))
       UNION
       (SELECT id, stripe_invoice_id, status, total_amount_minor::text FROM invoices
         WHERE stripe_invoice_id IS NOT NULL ORDER BY created_at DESC LIMIT $1)`,
      [limit],
    );
  }
}
