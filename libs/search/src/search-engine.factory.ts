import type { DataSource } from 'typeorm';
import { MeilisearchSearchAdapter } from './meilisearch/meilisearch-search.adapter';
import { PostgresSearchAdapter } from './postgres/postgres-search.adapter';
import type { SearchEnv } from './search.env';
import type { SearchPort } from './search.port';

/** The one place SEARCH_ENGINE picks the adapter. */
export function createSearchPort(env: SearchEnv, dataSource: DataSource): SearchPort {
  if (env.SEARCH_ENGINE === 'meilisearch') {
    if (!env.MEILI_URL) throw new Error('MEILI_URL must be set when SEARCH_ENGINE=meilisearch');
    return new MeilisearchSearchAdapter({ url: env.MEILI_URL, apiKey: env.MEILI_KEY });
  }
  return new PostgresSearchAdapter(dataSource);
}
