import { EntityRowReader } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { LIVE_STATUSES, type SubscriptionState, type SubscriptionStatus } from './subscription-state';
import { SubscriptionEntity } from './subscription.entity';

export type NewSubscription = Omit<
  SubscriptionEntity,
  'id' | 'createdAt' | 'updatedAt' | 'stripeCustomerId' | 'stripeSubscriptionId' | 'paymentGraceEndsAt'
>;

/** The payment provider's objects a subscription's payments run through (Checkout fills them). */
export type PaymentRefs = Partial<Pick<SubscriptionEntity, 'stripeCustomerId' | 'stripeSubscriptionId'>>;

/** Statuses whose periods run, so time can make them due (the scheduler's scan). */
const RUNNING_STATUSES: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due'];

/**
 * The `subscriptions` table. Consumer reads and writes take the consumer's account id, provider
 * reads and writes the provider id, so an unscoped query does not type-check; the system methods
 * (plan subscriber count, live lookup) take business keys only.
 */
@Injectable()
export class SubscriptionRepository {
  /** `findLive`: the gateway reloads a consumer's subscription this way, twice a minute per API. */
  private readonly live: EntityRowReader<SubscriptionEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.live = new EntityRowReader(
      dataSource,
      SubscriptionEntity,
      'consumer_account_id = $1 AND api_id = $2 AND status = ANY($3)',
    );
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(SubscriptionEntity);
  }

  async insert(values: NewSubscription): Promise<SubscriptionEntity> {
    const repo = this.repo();
    return repo.save(repo.create(values));
  }

  findForConsumer(
    consumerAccountId: string,
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<SubscriptionEntity | null> {
    return this.repo(manager).findOne({
      where: { id, consumerAccountId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  listForConsumer(consumerAccountId: string): Promise<SubscriptionEntity[]> {
    return this.repo().find({ where: { consumerAccountId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  findForProvider(
    providerId: string,
    id: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<SubscriptionEntity | null> {
    return this.repo(manager).findOne({
      where: { id, providerId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  listForProvider(providerId: string, status: SubscriptionStatus | null): Promise<SubscriptionEntity[]> {
    return this.repo().find({
      where: { providerId, ...(status ? { status } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: 500,
    });
  }

  /** The live subscription of a consumer to an API (at most one, by the partial unique index). */
  findLive(
    consumerAccountId: string,
    apiId: string,
    manager?: EntityManager,
  ): Promise<SubscriptionEntity | null> {
    return this.live.findOne([consumerAccountId, apiId, LIVE_STATUSES], manager);
  }

  /**
   * Whether the consumer ever had access to the API: a subscription whose access started (its
   * `anchor` is set when it starts trialing or active and never cleared), whatever its state now.
   */
  async hasStarted(consumerAccountId: string, apiId: string): Promise<boolean> {
    return this.repo()
      .createQueryBuilder('s')
      .where('s.consumer_account_id = :consumerAccountId AND s.api_id = :apiId AND s.anchor IS NOT NULL', {
        consumerAccountId,
        apiId,
      })
      .getExists();
  }

  /** Live subscriptions holding the plan (PlanSubscribers port), inside the caller's transaction. */
  /** Subscriptions with access (trialing, active, past_due) per API, for the APIs that have any. */
  async countWithAccessByApi(apiIds: readonly string[]): Promise<Map<string, number>> {
    if (apiIds.length === 0) return new Map();
    const rows = await this.dataSource.query<{ api_id: string; n: string }[]>(
      `SELECT api_id, count(*) AS n FROM subscriptions
        WHERE api_id = ANY($1::uuid[]) AND status IN ('trialing', 'active', 'past_due')
        GROUP BY api_id`,
      [apiIds],
    );
    return new Map(rows.map((row) => [row.api_id, Number(row.n)]));
  }

  countLiveOnPlan(planId: string, manager: EntityManager): Promise<number> {
    return manager
      .getRepository(SubscriptionEntity)
      .count({ where: { planId, status: In([...LIVE_STATUSES]) } });
  }

  /**
   * Writes a new state (and plan) if the row is still in `expected` status; false when someone
   * else moved it first (lazy settling races harmlessly).
   */
  async updateState(
    id: string,
    expected: SubscriptionStatus,
    state: SubscriptionState & { planId?: string } & PaymentRefs,
    manager?: EntityManager,
  ): Promise<boolean> {
    const result = await this.repo(manager).update({ id, status: expected }, { ...state });
    return (result.affected ?? 0) > 0;
  }

  /** System lookup by id (billing's completed checkout), locked until the caller's transaction ends. */
  findByIdForUpdate(id: string, manager: EntityManager): Promise<SubscriptionEntity | null> {
    return manager
      .getRepository(SubscriptionEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Up to `limit` subscriptions that time has made due at `now` (README "Time": a running period
   * ended, or a trial ended), in id order after `afterId`, so a scan pages through them once even
   * when some cannot be settled.
   */
  findDue(now: Date, limit: number, afterId: string | null): Promise<SubscriptionEntity[]> {
    const query = this.repo()
      .createQueryBuilder('s')
      .where('s.status IN (:...running)', { running: [...RUNNING_STATUSES] })
      .andWhere("(s.current_period_end <= :now OR (s.status = 'trialing' AND s.trial_ends_at <= :now))", {
        now,
      })
      .orderBy('s.id', 'ASC')
      .limit(limit);
    if (afterId !== null) query.andWhere('s.id > :afterId', { afterId });
    return query.getMany();
  }

  /**
   * Up to `limit` running subscriptions (trialing, active, past_due) whose stored current period
   * holds `at` (start ≤ at < end), in id order after `afterId`; only `ids` when given.
   */
  findInPeriodAt(
    at: Date,
    limit: number,
    afterId: string | null,
    ids?: readonly string[],
  ): Promise<SubscriptionEntity[]> {
    const query = this.repo()
      .createQueryBuilder('s')
      .where('s.status IN (:...running)', { running: [...RUNNING_STATUSES] })
      .andWhere('s.current_period_start <= :at AND s.current_period_end > :at', { at })
      .orderBy('s.id', 'ASC')
      .limit(limit);
    if (afterId !== null) query.andWhere('s.id > :afterId', { afterId });
    if (ids) query.andWhere('s.id IN (:...ids)', { ids: ids.length > 0 ? [...ids] : [null] });
    return query.getMany();
  }

  /**
   * New and churned subscriptions to a provider's APIs per `unit` bucket (UTC) in [from, to):
   * new = created in the bucket (any state); churned = canceled in the bucket after access had
   * started (`anchor` set; never-paid checkouts and rejected requests are not churn).
   */
  subscriptionFlow(
    providerId: string,
    from: Date,
    to: Date,
    unit: 'hour' | 'day',
    apiIds: readonly string[] | null,
  ): Promise<{ bucket: Date; created: string; churned: string }[]> {
    const api = apiIds === null ? '' : 'AND api_id = ANY($5::uuid[])';
    return this.dataSource.query(
      `SELECT bucket, sum(created)::bigint AS created, sum(churned)::bigint AS churned FROM (
         SELECT date_trunc($4::text, created_at, 'UTC') AS bucket, 1 AS created, 0 AS churned
         FROM subscriptions WHERE provider_id = $1::uuid AND created_at >= $2::timestamptz AND created_at < $3::timestamptz ${api}
         UNION ALL
         SELECT date_trunc($4::text, canceled_at, 'UTC'), 0, 1
         FROM subscriptions WHERE provider_id = $1::uuid AND status = 'canceled' AND anchor IS NOT NULL
           AND canceled_at >= $2::timestamptz AND canceled_at < $3::timestamptz ${api}
       ) flow GROUP BY bucket ORDER BY bucket`,
      [providerId, from.toISOString(), to.toISOString(), unit, ...(apiIds === null ? [] : [apiIds])],
    );
  }

  /** System lookup by id (billing's test clocks, admin only). */
  findById(id: string): Promise<SubscriptionEntity | null> {
    return this.repo().findOneBy({ id });
  }

  async reload(id: string, manager?: EntityManager): Promise<SubscriptionEntity> {
    return this.repo(manager).findOneByOrFail({ id });
  }
}
