import { JobQueue } from '@app/common';
import { Injectable } from '@nestjs/common';

/** Changes to one listing within this window coalesce into one indexing job. */
export const INDEX_COALESCE_WINDOW_MS = 250;

export const INDEX_LISTING_JOB = 'search.index-listing' as const;
export const REFRESH_ALL_JOB = 'search.refresh-all' as const;

/**
 * Producer of `search-index` jobs. A change to listing X at time t enqueues job id
 * `search-listing-<X>-<w>` (w = the coalescing window t falls in) delayed to the window's end:
 * every change in the same window maps to the same id, which BullMQ adds once, and the job runs
 * after the window closed, so it reads every change committed in it. Worst-case delay:
 * one window plus the job itself, far inside the 2-second bound.
 */
@Injectable()
export class SearchIndexQueue {
  constructor(private readonly jobs: JobQueue) {}

  async listingChanged(apiId: string, reason: string, now = Date.now()): Promise<void> {
    const window = Math.floor(now / INDEX_COALESCE_WINDOW_MS);
    const delay = (window + 1) * INDEX_COALESCE_WINDOW_MS - now;
    await this.jobs.enqueue(
      INDEX_LISTING_JOB,
      { apiId, reason },
      { jobId: `search-listing-${apiId}-${window}`, delay, removeOnComplete: { age: 3600, count: 1_000 } },
    );
  }

  /** A full reconcile (signals refresh + stale documents), deduplicated while one is waiting. */
  async refreshAll(reason: string): Promise<void> {
    await this.jobs.enqueue(REFRESH_ALL_JOB, { reason }, { deduplication: { id: 'search-refresh-all' }, attempts: 1 });
  }
}
