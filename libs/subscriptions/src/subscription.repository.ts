import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { LIVE_STATUSES, type SubscriptionState, type SubscriptionStatus } from './subscription-state';
import { SubscriptionEntity } from './subscription.entity';

export type NewSubscription = Omit<
  SubscriptionEntity,
  'id' | 'createdAt' | 'updatedAt' | 'stripeCustomerId' | 'stripeSubscriptionId'
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
  constructor(private readonly dataSource: DataSource) {}

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
    return this.repo(manager).findOne({
      where: { consumerAccountId, apiId, status: In([...LIVE_STATUSES]) },
    });
  }

  /** Live subscriptions holding the plan (PlanSubscribers port), inside the caller's transaction. */
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

  async reload(id: string, manager?: EntityManager): Promise<SubscriptionEntity> {
    return this.repo(manager).findOneByOrFail({ id });
  }
}
