import type { SearchDocument, SearchHealth, SearchQuery, SearchResult, Suggestion } from './search-document';

/**
 * The search engine behind GET /v1/search: `postgres` (embedded default) or `meilisearch`, chosen
 * by SEARCH_ENGINE in one factory (search-engine.factory.ts). Every adapter passes the shared
 * contract suite (`describeSearchContract` in @app/search/testing).
 *
 * Documents are upserted whole and removed by listing id; an adapter never decides visibility
 * (the indexer only hands it listings of the public catalog) except the sunset date, which it
 * applies at query time so a deprecated listing leaves results the moment it is retired by time.
 */
export abstract class SearchPort {
  abstract readonly engine: 'postgres' | 'meilisearch';

  /** Creates the index / applies settings (Meilisearch, on boot). Idempotent. */
  abstract prepare(): Promise<void>;

  /** Inserts or replaces documents (by id); returns once they are searchable. */
  abstract upsert(documents: readonly SearchDocument[]): Promise<void>;

  /** Removes documents by listing id (unknown ids are ignored); returns once applied. */
  abstract remove(ids: readonly string[]): Promise<void>;

  abstract search(query: SearchQuery, now: Date): Promise<SearchResult>;

  /** Type-ahead: listings whose name has words starting with what was typed. */
  abstract suggest(prefix: string, limit: number, now: Date): Promise<Suggestion[]>;

  /** Every document id the index holds (for reindex's report), in pages. */
  abstract listIds(): AsyncGenerator<string[]>;

  abstract health(): Promise<SearchHealth>;
}
