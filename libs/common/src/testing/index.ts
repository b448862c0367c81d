import { randomUUID } from 'node:crypto';
import { Clock } from '../clock/clock';
import { EnvValidationError, loadEnv } from '../config/load-env';
import { AppError } from '../errors/app-error';
import { timeOrderedUuid } from '../ids/ids';
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

/** A live, billable, successful call by default; every call gets a fresh request id (a UUIDv7, as the gateway mints). */
export function usageEventFactory(overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    requestId: timeOrderedUuid(),
    at: new Date().toISOString(),
    keyId: randomUUID(),
    keyPrefix: 'mp_live_ab12',
    applicationId: randomUUID(),
    consumerAccountId: randomUUID(),
    apiId: randomUUID(),
    subscriptionId: randomUUID(),
    planId: randomUUID(),
    endpointId: randomUUID(),
    method: 'GET',
    status: 200,
    latencyMs: 20,
    bytesIn: 0,
    bytesOut: 100,
    mode: 'live',
    billableUnits: 1,
    overageUnits: 0,
    generated: false,
    errorCode: null,
    ...overrides,
  };
}

/** The AppError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject with an AppError');
}

/** What `loadEnv` refuses in `raw` for an env class, one message per problem; empty when it loads. */
export function envProblems<T extends object>(cls: new () => T, raw: Record<string, unknown>): string[] {
  try {
    loadEnv(cls, raw);
    return [];
  } catch (error) {
    if (error instanceof EnvValidationError) return error.problems;
    throw error;
  }
}
