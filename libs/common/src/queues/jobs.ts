import { QueueName } from './queue-names';

/**
 * Payload of every job, by job name (`<lib>.<verb-noun>`). Enqueueing is type-checked against
 * this map, and the worker refuses to boot unless every name here has exactly one handler.
 * Payloads never carry secrets (no full keys, no passwords, no card data).
 */
export interface JobPayloads {
  /** Key ids seen by the gateway since the last flush, with the latest use of each. */
  'identity.record-key-usage': { uses: { keyId: string; usedAt: string }[] };
  /** A verified Stripe webhook event stored in libs/billing's inbox (`stripe_events`); job id = event id. */
  'billing.apply-stripe-event': { eventId: string };
}

export type JobName = keyof JobPayloads;

/** Which queue carries each job. */
export const JOB_QUEUES: { readonly [N in JobName]: QueueName } = {
  'identity.record-key-usage': QueueName.Metering,
  'billing.apply-stripe-event': QueueName.Billing,
};

export const JOB_NAMES = Object.keys(JOB_QUEUES) as JobName[];

/** One place for retry and retention defaults (STYLE: Jobs). */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;
