import { CatalogModule } from '@app/catalog';
import { MeteringModule } from '@app/metering';
import { ReviewsModule, ReviewsService } from '@app/reviews';
import { SubscriptionsModule } from '@app/subscriptions';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SearchIndexQueue } from './indexing/search-index.queue';
import { SearchIndexTriggers } from './indexing/search-index-triggers';
import { SearchIndexer } from './indexing/search-indexer.service';
import { SearchDocumentEntity } from './postgres/search-document.entity';
import { SearchFacetCountEntity } from './postgres/search-facet-count.entity';
import { createSearchPort } from './search-engine.factory';
import { SearchRatings } from './search-ratings.port';
import { SearchEnv } from './search.env';
import { SearchPort } from './search.port';
import { SearchService } from './search.service';

export const SEARCH_ENTITIES = [SearchDocumentEntity, SearchFacetCountEntity];

/**
 * Needs CoreModule (DataSource, EventBus, JobQueue, Clock) and SearchEnv among the app's env
 * fragments. Imported by the api (queries), the worker (through SearchIndexingModule) and the cli.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(SEARCH_ENTITIES),
    CatalogModule,
    SubscriptionsModule,
    MeteringModule,
    ReviewsModule,
  ],
  providers: [
    { provide: SearchPort, inject: [SearchEnv, DataSource], useFactory: createSearchPort },
    {
      // ratings come from libs/reviews' aggregates (average null and count 0 without reviews)
      provide: SearchRatings,
      inject: [ReviewsService],
      useFactory: (reviews: ReviewsService): SearchRatings => {
        const ratings = new SearchRatings();
        ratings.use({ aggregatesFor: (apiIds) => reviews.aggregatesFor(apiIds) });
        return ratings;
      },
    },
    SearchService,
    SearchIndexer,
    SearchIndexQueue,
  ],
  exports: [SearchPort, SearchRatings, SearchService, SearchIndexer, SearchIndexQueue],
})
export class SearchModule {}

/** SearchModule plus the event listeners that enqueue indexing jobs: only the worker imports it. */
@Module({
  imports: [SearchModule, CatalogModule],
  providers: [SearchIndexTriggers],
  exports: [SearchModule],
})
export class SearchIndexingModule {}
