import { Injectable } from '@nestjs/common';

export interface ListingRating {
  /** Average stars (1–5), null without reviews. */
  average: number | null;
  count: number;
}

/**
 * Port: a listing's review aggregates, the only thing the indexer needs from reviews. SearchModule
 * fills it with libs/reviews' `ReviewsService.aggregatesFor`; tests and tools may register another
 * source (or none: NO_RATINGS). Review changes reach the index through REVIEWS_CHANGED_EVENT.
 */
export interface RatingSource {
  aggregatesFor(apiIds: readonly string[]): Promise<Map<string, ListingRating>>;
}

/** Until libs/reviews registers, no listing has a rating. */
export const NO_RATINGS: RatingSource = { aggregatesFor: () => Promise.resolve(new Map()) };

@Injectable()
export class SearchRatings {
  private source: RatingSource = NO_RATINGS;

  use(source: RatingSource): void {
    this.source = source;
  }

  aggregatesFor(apiIds: readonly string[]): Promise<Map<string, ListingRating>> {
    return this.source.aggregatesFor(apiIds);
  }
}
