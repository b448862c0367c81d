/** free: only free plans; paid: only paid plans; freemium: both (libs/catalog's plan flags). */
export type Pricing = 'free' | 'paid' | 'freemium';
export const PRICINGS: readonly Pricing[] = ['free', 'paid', 'freemium'];

export type SearchSort = 'relevance' | 'popularity' | 'rating' | 'latency' | 'newest';
export const SEARCH_SORTS: readonly SearchSort[] = ['relevance', 'popularity', 'rating', 'latency', 'newest'];

/** Rating facet buckets: "at least N stars" (N = 4, 3, 2, 1), the same thresholds `minRating` filters by. */
export const RATING_BUCKETS = [4, 3, 2, 1] as const;

export const SEARCH_LIMITS = {
  queryMax: 200,
  perPageDefault: 20,
  perPageMax: 50,
  /** page × perPage stays under this (deep paging is not what search is for). */
  windowMax: 1_000,
  tagsMax: 10,
  suggestDefault: 8,
  suggestMax: 20,
  /** Tag facet values returned (most frequent first). */
  tagFacetMax: 30,
} as const;

/**
 * One listing as the index holds it: a denormalised copy of what the public catalog shows, plus
 * quality signals. Only listings in the public catalog (public, published or deprecated before
 * its sunset) are ever indexed; private, draft, pending and retired listings have no document.
 */
export interface SearchDocument {
  /** The listing's id. */
  id: string;
  slug: string;
  name: string;
  summary: string;
  /** Markdown. */
  description: string;
  /** Lower-case tags. */
  tags: string[];
  /** Category slug (filter and facet value). */
  category: string;
  categoryName: string;
  providerSlug: string;
  providerName: string;
  logoUrl: string | null;
  status: 'published' | 'deprecated';
  /** ISO-8601; past it the listing leaves results even before the index is refreshed. */
  sunsetAt: string | null;
  /** ISO-8601. */
  publishedAt: string | null;
  /** Null: no subscribable plan. */
  pricing: Pricing | null;
  /** Average stars 1–5 (two decimals), null without reviews. */
  ratingAvg: number | null;
  ratingCount: number;
  /** Subscriptions with access (trialing, active, past_due). */
  subscribers: number;
  /** Calls through the gateway over the last 30 days. */
  calls30d: number;
  /** Sort key from subscribers and calls (see popularityScore). */
  popularity: number;
  /** Median latency over 30 days (ms), null without calls. */
  latencyMs: number | null;
  /** Share of calls (0–1) answered below 400 over 30 days, null without calls. */
  successRate: number | null;
}

/** Log-scaled so a few huge APIs do not flatten everyone else: subscribers weigh twice a decade of calls. */
export function popularityScore(subscribers: number, calls30d: number): number {
  return Math.round(1000 * (2 * Math.log10(1 + Math.max(0, subscribers)) + Math.log10(1 + Math.max(0, calls30d))));
}

export interface SearchQuery {
  /** Free text (websearch syntax on postgres: "quoted phrase", OR, -negation); empty = browse. */
  q: string;
  category?: string;
  /** Any of these tags (lower-case). */
  tags?: string[];
  pricing?: Pricing;
  /** At least this average rating (1–5). */
  minRating?: number;
  sort: SearchSort;
  page: number;
  perPage: number;
}

export interface FacetCount {
  value: string;
  count: number;
}

/**
 * Disjunctive facets: each facet is counted with every OTHER filter applied (and the text query),
 * so a facet value's count is exactly the total the search would answer with that value selected
 * (the other filters kept). Rating buckets are cumulative ("4" = at least 4 stars).
 */
export interface SearchFacets {
  category: FacetCount[];
  tags: FacetCount[];
  pricing: FacetCount[];
  rating: FacetCount[];
}

/** HTML fragments: the source text escaped, matches wrapped in `<mark>…</mark>`. */
export interface SearchHighlights {
  name: string;
  summary: string;
  /** A short snippet of the description around a match, or null. */
  description: string | null;
}

export interface SearchHit {
  document: SearchDocument;
  highlights: SearchHighlights;
}

export interface SearchResult {
  hits: SearchHit[];
  total: number;
  facets: SearchFacets;
  /** True when full-text found too little and the typo-tolerant fallback answered (postgres). */
  fuzzy: boolean;
}

export interface Suggestion {
  id: string;
  slug: string;
  name: string;
  /** The name with the typed prefix wrapped in `<mark>…</mark>` (escaped HTML). */
  highlight: string;
}

export interface SearchHealth {
  engine: 'postgres' | 'meilisearch';
  ok: boolean;
  documents: number | null;
  detail: string | null;
}
