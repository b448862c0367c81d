import { Clock } from '../clock/clock';
import type { UsageEvent } from '../queues/jobs';
import { usageBatchEvents } from '../queues/usage-batch';

/** Test helpers of libs/common (imported as `@app/common/testing`, tests only). */

/** A Clock the test moves by hand: set `at` to travel. */
export class ManualClock extends Clock {
  constructor(public at: Date) {
    super();
  }

  now(): Date {
    return new Date(this.at);
  }
}

/** The calls of a queued `metering.apply-usage-batch` payload as events (a gateway sends them as columns). */
export function queuedUsageEvents(payload: unknown): UsageEvent[] {
  const events = usageBatchEvents(payload);
  if (events === null) throw new Error('not a usage batch payload');
  return events as UsageEvent[];
}
