import { IsIn, IsOptional, IsString, IsUrl, ValidateIf } from 'class-validator';

export type SearchEngine = 'postgres' | 'meilisearch';
export const SEARCH_ENGINES: readonly SearchEngine[] = ['postgres', 'meilisearch'];

/** Variables owned by libs/search: which SearchPort adapter runs, and where Meilisearch is. */
export class SearchEnv {
  /** `postgres` (built in: full-text + trigram over `search_documents`) | `meilisearch`. */
  @IsIn([...SEARCH_ENGINES], { message: 'SEARCH_ENGINE must be postgres or meilisearch' })
  SEARCH_ENGINE: SearchEngine = 'postgres';

  /** Meilisearch base URL; required when SEARCH_ENGINE=meilisearch. */
  @ValidateIf((env: SearchEnv) => env.SEARCH_ENGINE === 'meilisearch' || env.MEILI_URL !== undefined)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'MEILI_URL must be set to an http(s) URL such as http://127.0.0.1:7700 when SEARCH_ENGINE=meilisearch' },
  )
  MEILI_URL?: string;

  /** Meilisearch master or admin API key (needs settings, documents and search rights). */
  @IsOptional()
  @IsString()
  MEILI_KEY?: string;
}
