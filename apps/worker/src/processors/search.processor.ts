import { JOB_QUEUES, JobHandler, JobQueue, type JobPayloads } from '@app/common';
import { INDEX_LISTING_JOB, REFRESH_ALL_JOB, SearchIndexer, type IndexOutcome, type ReindexReport } from '@app/search';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

/** How often every document is rebuilt with fresh quality signals (usage, subscribers) and stale ones dropped. */
export const SEARCH_REFRESH_EVERY_MS = 10 * 60_000;

/** Jobs of libs/search (queue `search-index`). */
@Injectable()
export class SearchProcessor {
  private readonly logger = new Logger(SearchProcessor.name);

  constructor(private readonly indexer: SearchIndexer) {}

  /** Re-reads the listing: upserts its document, or removes it when it left the public catalog. Idempotent. */
  @JobHandler(INDEX_LISTING_JOB)
  indexListing(payload: JobPayloads[typeof INDEX_LISTING_JOB]): Promise<IndexOutcome> {
    return this.indexer.indexListings([payload.apiId]);
  }

  /** Rebuilds every document; a second run finds nothing to add or remove. */
  @JobHandler(REFRESH_ALL_JOB)
  async refreshAll(payload: JobPayloads[typeof REFRESH_ALL_JOB]): Promise<Omit<ReindexReport, 'added' | 'removed'> & { added: number; removed: number }> {
    const report = await this.indexer.reindexAll();
    if (report.added.length > 0 || report.removed.length > 0) {
      this.logger.log({ reason: payload.reason, added: report.added.length, removed: report.removed.length }, 'search refresh repaired the index');
    }
    return { indexed: report.indexed, added: report.added.length, removed: report.removed.length, tookMs: report.tookMs };
  }
}

/** Upserts the refresh job scheduler at boot (one schedule however many workers run). */
@Injectable()
export class SearchScheduler implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.queue(JOB_QUEUES[REFRESH_ALL_JOB]).upsertJobScheduler(
      REFRESH_ALL_JOB,
      { every: SEARCH_REFRESH_EVERY_MS },
      {
        name: REFRESH_ALL_JOB,
        data: { reason: 'scheduled' },
        opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } },
      },
    );
  }
}
