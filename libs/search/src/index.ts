export * from './search.env';
export * from './search.module';
export * from './search.port';
export {
  PRICINGS,
  RATING_BUCKETS,
  SEARCH_LIMITS,
  SEARCH_SORTS,
  popularityScore,
  type FacetCount,
  type Pricing,
  type SearchDocument,
  type SearchFacets,
  type SearchHealth,
  type SearchHighlights,
  type SearchHit,
  type SearchQuery,
  type SearchResult,
  type SearchSort,
  type Suggestion,
} from './search-document';
export { SearchService, type SearchPage } from './search.service';
export { NO_RATINGS, SearchRatings, type ListingRating, type RatingSource } from './search-ratings.port';
export { SearchIndexer, INDEX_BATCH, type IndexOutcome, type ReindexProgress, type ReindexReport } from './indexing/search-indexer.service';
export {
  INDEX_COALESCE_WINDOW_MS,
  INDEX_LISTING_JOB,
  REFRESH_ALL_JOB,
  SearchIndexQueue,
} from './indexing/search-index.queue';
export { PostgresSearchAdapter, FUZZY_FALLBACK_BELOW } from './postgres/postgres-search.adapter';
export {
  MEILI_DEFAULT_INDEX,
  MEILI_SETTINGS,
  MeilisearchSearchAdapter,
  type MeilisearchOptions,
} from './meilisearch/meilisearch-search.adapter';
