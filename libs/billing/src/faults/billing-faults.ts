import { Injectable } from '@nestjs/common';

/** Points where a money-moving job talks to the payment provider and then writes the database. */
export type BillingFaultPoint = 'refund.after-provider-call' | 'usage.after-provider-call';

/**
 * Crash simulation for tests (README "Crash safety"): `crashAfter(point)` makes the next pass
 * through `point` throw, as if the process died after the payment provider answered and before
 * the database committed. Inert unless a test arms it; nothing in production arms it.
 */
@Injectable()
export class BillingFaults {
  private readonly armed = new Set<BillingFaultPoint>();

  crashAfter(point: BillingFaultPoint): void {
    this.armed.add(point);
  }

  pass(point: BillingFaultPoint): void {
    if (this.armed.delete(point)) throw new Error(`simulated crash after ${point}`);
  }
}
