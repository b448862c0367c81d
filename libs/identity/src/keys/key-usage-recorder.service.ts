import { Clock, JobQueue } from '@app/common';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** How often the buffered last-use times are sent to the worker. */
export const KEY_USAGE_FLUSH_INTERVAL_MS = 5_000;
/** A flush starts early once this many distinct keys are waiting, which also bounds the job's size. */
export const KEY_USAGE_MAX_PENDING = 1_000;

/**
 * Keeps `api_keys.last_used_at` off the gateway's request path: `record()` only notes the latest
 * use per key in memory; every few seconds (and on shutdown) the whole map leaves as ONE
 * `identity.record-key-usage` job, which the worker applies with a single UPDATE that only moves
 * the column forward. A failed enqueue puts the uses back for the next flush (keeping the later
 * time), so a Redis blip loses nothing but freshness.
 */
@Injectable()
export class KeyUsageRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(KeyUsageRecorder.name);
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** Called by the gateway for every accepted request; never awaits anything. */
  record(keyId: string, at: Date = this.clock.now()): void {
    const time = at.getTime();
    if (time > (this.pending.get(keyId) ?? -Infinity)) this.pending.set(keyId, time);
    this.timer ??= setInterval(() => void this.flush(), KEY_USAGE_FLUSH_INTERVAL_MS).unref();
    if (this.pending.size >= KEY_USAGE_MAX_PENDING && !this.flushing) void this.flush();
  }

  /** How many keys wait for the next flush. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Sends what is buffered as one job; waits for a flush in progress first, so nothing recorded before the call is left behind. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    this.flushing = this.send().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async send(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const uses = [...batch].map(([keyId, time]) => ({ keyId, usedAt: new Date(time).toISOString() }));
    try {
      await this.jobs.enqueue('identity.record-key-usage', { uses }, { jobId: `key-usage-${randomUUID()}` });
    } catch (error) {
      for (const [keyId, time] of batch) {
        if (time > (this.pending.get(keyId) ?? -Infinity)) this.pending.set(keyId, time);
      }
      this.logger.warn(
        { err: error, keys: batch.size },
        'could not enqueue key usage; will retry on the next flush',
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
