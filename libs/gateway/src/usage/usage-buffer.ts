import { encodeUsageCalls, JobQueue, type UsageEvent } from '@app/common';
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export interface UsageBufferOptions {
  /** A batch leaves at most this long after its first event was pushed. */
  flushIntervalMs: number;
  /** A batch leaves as soon as it holds this many events (also the largest job). */
  maxBatchSize: number;
  /** Events held in memory at most (waiting + batches not yet enqueued); beyond it the oldest are dropped. */
  maxBufferedEvents: number;
  /** An enqueue that has not answered by then counts as failed (ioredis queues commands while Redis is away). */
  enqueueTimeoutMs: number;
  /** First retry delay after a failed enqueue; doubles per consecutive failure up to `retryMaxDelayMs`. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** How long graceful shutdown keeps trying to enqueue what is left before giving up (and logging the loss). */
  shutdownTimeoutMs: number;
}

export const DEFAULT_USAGE_BUFFER_OPTIONS: UsageBufferOptions = {
  flushIntervalMs: 50,
  maxBatchSize: 500,
  maxBufferedEvents: 100_000,
  enqueueTimeoutMs: 2_000,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 5_000,
  shutdownTimeoutMs: 10_000,
};

/** Injection token for partial overrides of DEFAULT_USAGE_BUFFER_OPTIONS (tests, tuning). */
export const USAGE_BUFFER_OPTIONS = Symbol('USAGE_BUFFER_OPTIONS');

/** Warnings about dropped events are logged at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

interface Batch {
  /** Fixed when the batch is sealed and kept across retries: the job id and metering's idempotency key. */
  readonly id: string;
  readonly seq: number;
  events: UsageEvent[];
}

interface FlushWaiter {
  seq: number;
  resolve: () => void;
}

class EnqueueTimeoutError extends Error {
  constructor(ms: number) {
    super(`enqueue did not answer within ${ms} ms`);
    this.name = 'EnqueueTimeoutError';
  }
}

/**
 * The gateway's usage buffer (DESIGN §3 step 7): `push()` only appends to memory; events leave as
 * ONE `metering.apply-usage-batch` job per batch (≤ `maxBatchSize` events, or whatever arrived in
 * `flushIntervalMs`), job id `usage-<batchId>`.
 *
 * Batches are sealed with their UUID before the first enqueue attempt and sent in order, one at a
 * time. A failed (or unanswered) enqueue keeps the batch with the same id at the head and retries
 * with exponential backoff: if the failed attempt reached Redis after all, BullMQ ignores the second
 * add of the same job id, and metering ignores a batch id it has applied — nothing counts twice.
 *
 * Memory is bounded by `maxBufferedEvents`: beyond it the oldest events not currently being sent
 * are dropped (counted in `dropped`, warned about at most every 10 s). Recent usage is worth more
 * than old usage during a long Redis outage, and the gateway must never stop serving for metering.
 */
@Injectable()
export class UsageBuffer implements BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageBuffer.name);
  private readonly options: UsageBufferOptions;

  /** Events not yet in a batch. */
  private open: UsageEvent[] = [];
  /** Sealed batches, oldest first; the head may be in flight. */
  private readonly batches: Batch[] = [];
  private sealedEvents = 0;
  private nextSeq = 1;
  private waiters: FlushWaiter[] = [];

  private inFlight?: Batch;
  private sending = false;
  private sealTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private consecutiveFailures = 0;

  private droppedSinceLog = 0;
  private lastDropLogAt = -Infinity;

  /** Events handed to the queue. */
  enqueued = 0;
  /** Batches handed to the queue (one job each). */
  enqueuedBatches = 0;
  /** Events discarded because the buffer was full. */
  dropped = 0;
  /** Enqueue attempts that failed or timed out (each is retried with the same batch id). */
  failedFlushes = 0;

  constructor(
    private readonly jobs: JobQueue,
    @Optional() @Inject(USAGE_BUFFER_OPTIONS) options?: Partial<UsageBufferOptions>,
  ) {
    this.options = { ...DEFAULT_USAGE_BUFFER_OPTIONS, ...options };
    if (this.options.maxBufferedEvents < this.options.maxBatchSize * 2) {
      throw new Error('UsageBuffer: maxBufferedEvents must hold at least two batches');
    }
  }

  /** Records one call. Never awaits, never throws: metering must not touch the request path. */
  push(event: UsageEvent): void {
    try {
      this.open.push(event);
      if (this.open.length >= this.options.maxBatchSize) {
        this.seal();
        this.kick();
      } else if (!this.sealTimer) {
        this.sealTimer = setTimeout(() => {
          this.sealTimer = undefined;
          this.seal();
          this.kick();
        }, this.options.flushIntervalMs);
        this.sealTimer.unref();
      }
      if (this.depth > this.options.maxBufferedEvents)
        this.dropOldest(this.depth - this.options.maxBufferedEvents);
    } catch (error) {
      this.logger.error({ err: error }, 'usage buffer push failed');
    }
  }

  /** Events held in memory: not yet batched, or in batches not yet enqueued (the in-flight one included). */
  get depth(): number {
    return this.open.length + this.sealedEvents;
  }

  get counters(): {
    depth: number;
    enqueued: number;
    enqueuedBatches: number;
    dropped: number;
    failedFlushes: number;
  } {
    return {
      depth: this.depth,
      enqueued: this.enqueued,
      enqueuedBatches: this.enqueuedBatches,
      dropped: this.dropped,
      failedFlushes: this.failedFlushes,
    };
  }

  /**
   * Resolves once every event pushed before the call has been enqueued (or dropped for space).
   * Keeps retrying while Redis is unreachable; bound it with a timeout where that matters.
   */
  flush(): Promise<void> {
    this.seal();
    const target = this.nextSeq - 1;
    if (target <= this.doneSeq()) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ seq: target, resolve }));
    // a flush is urgent: skip a pending backoff delay
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.kick();
    return done;
  }

  /**
   * Graceful shutdown: enqueue everything buffered, trying for at most `shutdownTimeoutMs`. The
   * gateway should stop accepting calls first; anything pushed later still leaves on the timer.
   */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.options.shutdownTimeoutMs);
    });
    const flushed = await Promise.race([this.flush().then(() => false), timedOut]);
    clearTimeout(timer);
    if (flushed) {
      this.logger.error(
        { events: this.depth, failedFlushes: this.failedFlushes },
        'shutdown: usage events could not be enqueued in time and are lost',
      );
    }
  }

  /** Closes the open batch: it gets its id now and keeps it across every retry. */
  private seal(): void {
    if (this.sealTimer) {
      clearTimeout(this.sealTimer);
      this.sealTimer = undefined;
    }
    if (this.open.length === 0) return;
    const events = this.open;
    this.open = [];
    this.batches.push({ id: randomUUID(), seq: this.nextSeq++, events });
    this.sealedEvents += events.length;
  }

  private kick(): void {
    if (this.sending || this.retryTimer || this.batches.length === 0) return;
    this.sending = true;
    void this.sendAll().finally(() => {
      this.sending = false;
    });
  }

  private async sendAll(): Promise<void> {
    while (this.batches.length > 0) {
      const batch = this.batches[0];
      this.inFlight = batch;
      try {
        await this.enqueue(batch);
      } catch (error) {
        this.inFlight = undefined;
        this.failedFlushes += 1;
        this.consecutiveFailures += 1;
        const delay = Math.min(
          this.options.retryMaxDelayMs,
          this.options.retryBaseDelayMs * 2 ** (this.consecutiveFailures - 1),
        );
        this.logger.warn(
          { err: error, batchId: batch.id, events: batch.events.length, depth: this.depth, retryInMs: delay },
          'could not enqueue a usage batch; retrying with the same batch id',
        );
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, delay);
        this.retryTimer.unref();
        return;
      }
      this.inFlight = undefined;
      this.consecutiveFailures = 0;
      this.enqueued += batch.events.length;
      this.enqueuedBatches += 1;
      this.remove(batch);
    }
  }

  private async enqueue(batch: Batch): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EnqueueTimeoutError(this.options.enqueueTimeoutMs)),
        this.options.enqueueTimeoutMs,
      );
    });
    try {
      await Promise.race([
        this.jobs.enqueue(
          'metering.apply-usage-batch',
          { batchId: batch.id, calls: encodeUsageCalls(batch.events) },
          // a finished batch is not worth keeping: up to 500 events (~300 KB) each, and the worker's
          // usage_batches table, not the job, makes a redelivery harmless
          { jobId: `usage-${batch.id}`, removeOnComplete: { count: 100 } },
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private remove(batch: Batch): void {
    // the in-flight batch is never dropped for space, so it is still here
    const index = this.batches.indexOf(batch);
    if (index < 0) return;
    this.batches.splice(index, 1);
    this.sealedEvents -= batch.events.length;
    this.resolveWaiters();
  }

  /** Every batch with seq ≤ this has left memory (enqueued or dropped): batches are kept in seq order. */
  private doneSeq(): number {
    return (this.batches[0]?.seq ?? this.nextSeq) - 1;
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const done = this.doneSeq();
    const ready = this.waiters.filter((waiter) => waiter.seq <= done);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.seq > done);
    for (const waiter of ready) waiter.resolve();
  }

  /** Drops the `count` oldest events that are not being sent right now. */
  private dropOldest(count: number): void {
    let left = count;
    let index = 0;
    while (left > 0 && index < this.batches.length) {
      const batch = this.batches[index];
      if (batch === this.inFlight) {
        index += 1;
        continue;
      }
      const take = Math.min(left, batch.events.length);
      batch.events.splice(0, take);
      this.sealedEvents -= take;
      left -= take;
      if (batch.events.length === 0) {
        this.batches.splice(index, 1);
      } else {
        index += 1;
      }
    }
    if (left > 0) {
      // everything sealed is in flight: drop from the open batch instead
      const take = Math.min(left, this.open.length);
      this.open.splice(0, take);
      left -= take;
    }
    const droppedNow = count - left;
    this.dropped += droppedNow;
    this.droppedSinceLog += droppedNow;
    this.resolveWaiters();
    const now = Date.now();
    if (now - this.lastDropLogAt >= DROP_LOG_INTERVAL_MS) {
      this.logger.warn(
        {
          dropped: this.droppedSinceLog,
          droppedTotal: this.dropped,
          depth: this.depth,
          cap: this.options.maxBufferedEvents,
        },
        'usage buffer full: dropped the oldest usage events',
      );
      this.lastDropLogAt = now;
      this.droppedSinceLog = 0;
    }
  }
}
