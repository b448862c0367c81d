import { AppError, Clock } from '@app/common';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { SearchHealth, SearchQuery, SearchResult, Suggestion } from './search-document';
import { SearchPort } from './search.port';

export interface SearchPage extends SearchResult {
  page: number;
  perPage: number;
  /** Server-side time of the search (ms). */
  tookMs: number;
}

/**
 * The read side of search (GET /v1/search, /v1/search/suggest): anonymous, answers only what
 * the index holds (the public catalog). Prepares the engine on boot (Meilisearch settings); a
 * failing engine answers 503 `service_unavailable` instead of a 500.
 */
@Injectable()
export class SearchService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SearchService.name);

  constructor(
    private readonly port: SearchPort,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.port.prepare();
    } catch (error) {
      this.logger.error({ err: error, engine: this.port.engine }, 'search engine not ready; searches fail until it is');
    }
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const started = performance.now();
    const result = await this.guard(() => this.port.search(query, this.clock.now()));
    return { ...result, page: query.page, perPage: query.perPage, tookMs: Math.round((performance.now() - started) * 10) / 10 };
  }

  suggest(prefix: string, limit: number): Promise<Suggestion[]> {
    return this.guard(() => this.port.suggest(prefix, limit, this.clock.now()));
  }

  health(): Promise<SearchHealth> {
    return this.port.health();
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.logger.error({ err: error, engine: this.port.engine }, 'search engine failed');
      throw new AppError('service_unavailable', 'Search is unavailable right now. Try again in a moment.');
    }
  }
}
