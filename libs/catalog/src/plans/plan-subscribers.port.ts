import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * Port: how many subscriptions (in any state that still holds the plan: trialing, active,
 * past_due, pending…) reference a plan. Implemented by libs/subscriptions, which depends on
 * catalog — catalog cannot import it, so the implementation registers itself here at boot:
 *
 *   constructor(planSubscribers: PlanSubscribers) { planSubscribers.use(this); }
 *
 * `manager` is the plan edit's transaction (which holds the plan row FOR UPDATE): count inside it.
 */
export interface PlanSubscriberCounter {
  countSubscribers(planId: string, manager: EntityManager): Promise<number>;
}

/** Until libs/subscriptions registers its counter, no plan has subscribers. */
export const NO_PLAN_SUBSCRIBERS: PlanSubscriberCounter = {
  countSubscribers: () => Promise.resolve(0),
};

/** Holds the registered PlanSubscriberCounter (the embedded default says "no subscribers"). */
@Injectable()
export class PlanSubscribers {
  private counter: PlanSubscriberCounter = NO_PLAN_SUBSCRIBERS;

  /** Registers the real counter (libs/subscriptions, at boot; tests may register a fake). */
  use(counter: PlanSubscriberCounter): void {
    this.counter = counter;
  }

  async has(planId: string, manager: EntityManager): Promise<boolean> {
    return (await this.counter.countSubscribers(planId, manager)) > 0;
  }
}
