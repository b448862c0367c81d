import { LRUCache } from 'lru-cache';
import type { SearchFacets, SearchQuery } from '../search-document';

/** What a search answers besides its page of hits: the same for every sort and page. */
export interface FacetBlock {
  /** Matches with every filter applied. */
  total: number;
  /** Matches of the text alone (decides the typo fallback). */
  matched: number;
  facets: SearchFacets;
}

export interface FacetCacheEntry extends FacetBlock {
  /** `search_index_state.version` read in the statement that computed the block. */
  version: string;
  /** The `now` the block was computed for (visibility depends on it through sunset dates). */
  computedAt: number;
  /** The earliest sunset among the matches after `computedAt`: the block is wrong from then on. */
  validUntil: number;
}

export interface FacetCacheOptions {
  /** Most facet blocks kept (least recently used evicted); each is a few kB. */
  maxEntries: number;
  /** A text query's block is kept from this many matches on; text-less browsing always is. */
  minMatches: number;
  /**
   * Age after which a block is recomputed even though the version did not move: only a safety net
   * for writes that bypass the version trigger (triggers disabled, a restore), never needed otherwise.
   */
  maxAgeMs: number;
}

export const FACET_CACHE_DEFAULTS: FacetCacheOptions = {
  maxEntries: 500,
  minMatches: 1_000,
  maxAgeMs: 60_000,
};

/**
 * The postgres adapter's cache of facet blocks (total, matched and the four facets), per search
 * mode, text and normalised filter set (docs/adr/0005-search-facet-cache.md). A block is reused
 * only by a statement that reads the same `search_index_state.version` (bumped in the writing
 * transaction of every insert, update or delete of a search document), for a `now` between its
 * computation and the next sunset among its matches: so a cached block is exactly what computing
 * it again would answer, and an indexed change shows in facets as soon as it shows in hits.
 */
export class FacetCache {
  private readonly entries: LRUCache<string, FacetCacheEntry>;
  /** Blocks being computed right now, by key: settles when the computation ends (either way). */
  private readonly inProgress = new Map<string, Promise<void>>();

  constructor(readonly options: FacetCacheOptions) {
    this.entries = new LRUCache<string, FacetCacheEntry>({ max: options.maxEntries, ttl: options.maxAgeMs });
  }

  /** Everything the block depends on; sort, page and perPage do not change it. */
  static key(mode: string, query: SearchQuery): string {
    const tags = query.tags && query.tags.length > 0 ? [...new Set(query.tags)].sort() : null;
    return JSON.stringify([
      mode,
      mode === 'browse' ? '' : query.q.trim(),
      query.category ?? null,
      tags,
      query.pricing ?? null,
      query.minRating ?? null,
    ]);
  }

  /** A block computed for a `now` this one may reuse, if the version still matches (the caller checks). */
  candidate(key: string, now: Date): FacetCacheEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const at = now.getTime();
    return at >= entry.computedAt && at < entry.validUntil ? entry : undefined;
  }

  /** Whether a freshly computed block is worth keeping: every browse, and broad text queries. */
  keeps(mode: string, matched: number): boolean {
    return mode === 'browse' || matched >= this.options.minMatches;
  }

  set(key: string, entry: FacetCacheEntry): void {
    this.entries.set(key, entry);
  }

  /** Forgets this entry (its version moved), unless another search already replaced it. */
  drop(key: string, entry: FacetCacheEntry): void {
    if (this.entries.peek(key) === entry) this.entries.delete(key);
  }

  /** Settles once no search computes this key's block any more (at once when none does). */
  async computing(key: string): Promise<void> {
    await this.inProgress.get(key);
  }

  /** Marks this key's block as being computed; call the returned function when done (or failed). */
  compute(key: string): () => void {
    let settle: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (settle = resolve));
    this.inProgress.set(key, running);
    return () => {
      if (this.inProgress.get(key) === running) this.inProgress.delete(key);
      settle();
    };
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
