import { PublicCatalogService, type CatalogSearchSource } from '@app/catalog';
import { Clock } from '@app/common';
import { UsageAnalyticsService } from '@app/metering';
import { SubscriptionsService } from '@app/subscriptions';
import { Injectable } from '@nestjs/common';
import { popularityScore, type Pricing, type SearchDocument } from '../search-document';
import { SearchRatings } from '../search-ratings.port';
import { SearchPort } from '../search.port';

/** Listings read, built and written per round trip. */
export const INDEX_BATCH = 500;
const SIGNAL_WINDOW_MS = 30 * 86_400_000;

export interface IndexOutcome {
  upserted: number;
  removed: number;
}

export interface ReindexReport {
  /** Documents written (every listing of the public catalog). */
  indexed: number;
  /** In the database, missing from the index before the rebuild. */
  added: string[];
  /** In the index, not in the public catalog (any more): removed by the rebuild. */
  removed: string[];
  tookMs: number;
}

export type ReindexProgress = (done: number, total: number) => void;

function pricingOf(source: CatalogSearchSource): Pricing | null {
  if (source.hasFreePlan && source.hasPaidPlan) return 'freemium';
  if (source.hasPaidPlan) return 'paid';
  if (source.hasFreePlan) return 'free';
  return null;
}

/**
 * Builds search documents from the other libs' exported reads (the public catalog, subscriber
 * counts, 30-day usage from the metering rollups, review aggregates through SearchRatings) and
 * writes them through the SearchPort. A listing that is not in the public catalog (private,
 * draft, pending, retired, past its sunset, deleted) is removed, so one code path serves every
 * event: "listing X changed" → re-read X → upsert or remove.
 */
@Injectable()
export class SearchIndexer {
  constructor(
    private readonly port: SearchPort,
    private readonly catalog: PublicCatalogService,
    private readonly subscriptions: SubscriptionsService,
    private readonly usage: UsageAnalyticsService,
    private readonly ratings: SearchRatings,
    private readonly clock: Clock,
  ) {}

  /** Re-reads these listings and upserts or removes their documents. */
  async indexListings(apiIds: readonly string[]): Promise<IndexOutcome> {
    let upserted = 0;
    let removed = 0;
    for (let i = 0; i < apiIds.length; i += INDEX_BATCH) {
      const ids = [...new Set(apiIds.slice(i, i + INDEX_BATCH))];
      const documents = await this.buildDocuments(ids);
      const present = new Set(documents.map((d) => d.id));
      const gone = ids.filter((id) => !present.has(id));
      await this.port.upsert(documents);
      await this.port.remove(gone);
      upserted += documents.length;
      removed += gone.length;
    }
    return { upserted, removed };
  }

  /**
   * Rebuilds every document from the database (fresh signals included) and removes documents of
   * listings no longer in the public catalog. Reports the differences it found between the index
   * and the database. Also the scheduled refresh: it heals lost events and expired sunsets.
   */
  async reindexAll(progress?: ReindexProgress): Promise<ReindexReport> {
    const started = Date.now();
    const before = new Set<string>();
    for await (const page of this.port.listIds()) for (const id of page) before.add(id);
    const ids: string[] = [];
    for (let after: string | null = null; ; ) {
      const page = await this.catalog.publicIds(after, 5_000);
      ids.push(...page);
      if (page.length < 5_000) break;
      after = page[page.length - 1];
    }
    const indexed = new Set<string>();
    progress?.(0, ids.length);
    for (let i = 0; i < ids.length; i += INDEX_BATCH) {
      const documents = await this.buildDocuments(ids.slice(i, i + INDEX_BATCH));
      await this.port.upsert(documents);
      for (const d of documents) indexed.add(d.id);
      progress?.(Math.min(i + INDEX_BATCH, ids.length), ids.length);
    }
    const removed = [...before].filter((id) => !indexed.has(id));
    await this.port.remove(removed);
    const added = [...indexed].filter((id) => !before.has(id));
    return { indexed: indexed.size, added, removed, tookMs: Date.now() - started };
  }

  /** Documents for the ids that are in the public catalog (the others are absent). */
  async buildDocuments(apiIds: readonly string[]): Promise<SearchDocument[]> {
    if (apiIds.length === 0) return [];
    const sources = await this.catalog.searchSources(apiIds);
    if (sources.length === 0) return [];
    const ids = sources.map((s) => s.id);
    const now = this.clock.now();
    const [subscribers, usage, ratings] = await Promise.all([
      this.subscriptions.subscriberCounts(ids),
      this.usage.breakdown({ kind: 'provider', apiIds: ids }, new Date(now.getTime() - SIGNAL_WINDOW_MS), now, ['api'], {}, ids.length),
      this.ratings.aggregatesFor(ids),
    ]);
    const usageByApi = new Map(usage.map((item) => [String(item.keys.api), item]));
    return sources.map((source) => {
      const calls = usageByApi.get(source.id);
      const subs = subscribers.get(source.id) ?? 0;
      const calls30d = calls?.calls ?? 0;
      const rating = ratings.get(source.id);
      return {
        id: source.id,
        slug: source.slug,
        name: source.name,
        summary: source.summary,
        description: source.description,
        tags: source.tags,
        category: source.category.slug,
        categoryName: source.category.name,
        providerSlug: source.provider.slug,
        providerName: source.provider.displayName,
        logoUrl: source.logoUrl,
        status: source.status === 'deprecated' ? 'deprecated' : 'published',
        sunsetAt: source.sunsetAt ? source.sunsetAt.toISOString() : null,
        publishedAt: source.publishedAt ? source.publishedAt.toISOString() : null,
        pricing: pricingOf(source),
        ratingAvg: rating && rating.count > 0 && rating.average !== null ? Math.round(rating.average * 100) / 100 : null,
        ratingCount: rating?.count ?? 0,
        subscribers: subs,
        calls30d,
        popularity: popularityScore(subs, calls30d),
        latencyMs: calls && calls.calls > 0 ? calls.latencyMs.p50 : null,
        successRate: calls && calls.calls > 0 ? Math.round((1 - calls.errors / calls.calls) * 10_000) / 10_000 : null,
      };
    });
  }
}
