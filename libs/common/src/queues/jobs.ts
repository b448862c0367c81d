import { QueueName } from './queue-names';
import type { UsageBatchPayload } from './usage-batch';

/**
 * One call through the gateway (DESIGN §3 step 7), as it leaves the gateway in a usage batch.
 * Never carries the key itself, bodies or query strings.
 */
export interface UsageEvent {
  /** X-Portico-Request-Id: a UUID (the gateway mints UUIDv7s), unique per call; metering counts a request id once and skips a call whose id is not a UUID. */
  requestId: string;
  /** ISO-8601 time the gateway received the call. */
  at: string;
  keyId: string;
  /** Display form of the key (`mp_live_…9xYz`: prefix and last four), for the request log. */
  keyPrefix: string;
  applicationId: string;
  consumerAccountId: string;
  /** Null when the call was rejected before an API was resolved (api_not_found). */
  apiId: string | null;
  /** Null when the call was rejected before a subscription was resolved. */
  subscriptionId: string | null;
  planId: string | null;
  /** The matched endpoint of the current version, or null (unmatched path, or rejected earlier). */
  endpointId: string | null;
  method: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  mode: 'live' | 'test';
  /** Billing units this call costs: the endpoint weight or X-Portico-Billing-Units; 0 when not billable (test, ≥ 500, gateway-generated). */
  billableUnits: number;
  /** Of billableUnits, the units over a soft quota. */
  overageUnits: number;
  /** True when the gateway answered itself (rejections, upstream_timeout/unavailable, mocks). */
  generated: boolean;
  /** The DESIGN §4 code of a gateway-generated error, else null. */
  errorCode: string | null;
}

/**
 * Payload of every job, by job name (`<lib>.<verb-noun>`). Enqueueing is type-checked against
 * this map, and the worker refuses to boot unless every name here has exactly one handler.
 * Payloads never carry secrets (no full keys, no passwords, no card data).
 */
export interface JobPayloads {
  /** A verified Stripe webhook event stored in libs/billing's inbox (`stripe_events`); job id = event id. */
  'billing.apply-stripe-event': { eventId: string };
  /** Rates one closed subscription period (libs/billing); job id = `rate-<subscriptionId>-<periodStartMs>`. */
  'billing.rate-period': { subscriptionId: string; periodStart: string };
  /** Re-enqueues closed periods not rated after a minute (libs/billing); a job scheduler adds one a minute. */
  'billing.rate-pending-periods': Record<string, never>;
  /** Pays providers their settled balances (libs/billing); a job scheduler per PAYOUT_SCHEDULE. */
  'billing.run-payouts': Record<string, never>;
  /** PAYMENTS=stripe: reports closed usage windows to Stripe's metered price (libs/billing UsageReporter); a job scheduler adds one a minute. */
  'billing.report-usage': Record<string, never>;
  /** Retries unpaid invoices due on DUNNING_RETRY_SCHEDULE and cancels after the last (libs/billing DunningService); a job scheduler adds one a minute. */
  'billing.retry-payments': Record<string, never>;
  /** Completes refunds left pending by a crash between the payment provider's answer and the commit (libs/billing); every minute. */
  'billing.complete-refunds': Record<string, never>;
  /** PAYMENTS=stripe: takes the provider's share of lost disputes back from its transfer (libs/billing DisputeShareReversals); every minute. */
  'billing.reverse-dispute-shares': Record<string, never>;
  /** PAYMENTS=stripe: compares subscriptions and invoices with Stripe's objects and records drift (libs/billing); hourly. */
  'billing.reconcile-stripe': Record<string, never>;
  /** Calls buffered by one gateway process (≤ 500 events or ~50 ms) as columns (`UsageCalls`); job id = `usage-<batchId>`. */
  'metering.apply-usage-batch': UsageBatchPayload;
  /** Deletes request-log rows and applied batch ids past their retention (libs/metering); a job scheduler adds one an hour. */
  'metering.prune-usage': Record<string, never>;
  /** Folds the minute rollups' pending deltas into the hour and day rollups (libs/metering RollupFoldService); a job scheduler adds one every 5 s. */
  'metering.fold-rollups': Record<string, never>;
  /**
   * Raises the limiter's Redis quota counters to the rollups (libs/gateway QuotaReconciler); a job
   * scheduler adds one a minute, and anyone may enqueue one on demand (only `subscriptionIds`, if given).
   */
  'gateway.reconcile-quotas': { subscriptionIds?: string[]; reason?: string };
  /** Settles every subscription whose period or trial ended (libs/subscriptions); a job scheduler adds one a minute. */
  'subscriptions.advance-periods': Record<string, never>;
  /**
   * Re-reads one listing and upserts or removes its search document (libs/search); job id =
   * `search-listing-<apiId>-<window>` so changes within a 250 ms window coalesce.
   */
  'search.index-listing': { apiId: string; reason: string };
  /** Rebuilds every search document with fresh quality signals and drops stale ones (libs/search); a job scheduler adds one every 10 minutes. */
  'search.refresh-all': { reason?: string };
}

export type JobName = keyof JobPayloads;

/** Which queue carries each job. */
export const JOB_QUEUES: { readonly [N in JobName]: QueueName } = {
  'billing.apply-stripe-event': QueueName.Billing,
  'billing.rate-period': QueueName.Billing,
  'billing.rate-pending-periods': QueueName.Billing,
  'billing.run-payouts': QueueName.Billing,
  'billing.report-usage': QueueName.Billing,
  'billing.retry-payments': QueueName.Billing,
  'billing.complete-refunds': QueueName.Billing,
  'billing.reverse-dispute-shares': QueueName.Billing,
  'billing.reconcile-stripe': QueueName.Billing,
  'metering.apply-usage-batch': QueueName.Metering,
  'metering.prune-usage': QueueName.Metering,
  'metering.fold-rollups': QueueName.Metering,
  'subscriptions.advance-periods': QueueName.Billing,
  'gateway.reconcile-quotas': QueueName.Metering,
  'search.index-listing': QueueName.SearchIndex,
  'search.refresh-all': QueueName.SearchIndex,
};

export const JOB_NAMES = Object.keys(JOB_QUEUES) as JobName[];

/** One place for retry and retention defaults (STYLE: Jobs). */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;
