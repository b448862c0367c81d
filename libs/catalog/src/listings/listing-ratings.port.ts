import { Injectable } from '@nestjs/common';

/** How many visible reviews gave each number of stars. */
export interface RatingDistribution {
  '1': number;
  '2': number;
  '3': number;
  '4': number;
  '5': number;
}

/** A listing's rating from its visible reviews: average (null without reviews), count and distribution. */
export interface ListingRating {
  /** Mean of the ratings, rounded to two decimals; null when there is no visible review. */
  average: number | null;
  count: number;
  distribution: RatingDistribution;
}

/**
 * Port: the rating aggregates of listings. Implemented by libs/reviews, which depends on catalog —
 * catalog cannot import it, so the implementation registers itself here at boot:
 *
 *   constructor(listingRatings: ListingRatings) { listingRatings.use(this); }
 *
 * Without it (processes that do not load libs/reviews), every listing has no reviews.
 */
export interface ListingRatingSource {
  ratingsOf(apiIds: readonly string[]): Promise<Map<string, ListingRating>>;
}

export function emptyRating(): ListingRating {
  return { average: null, count: 0, distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } };
}

/** Until libs/reviews registers its source, no listing has reviews. */
export const NO_LISTING_RATINGS: ListingRatingSource = {
  ratingsOf: () => Promise.resolve(new Map()),
};

/** Holds the registered ListingRatingSource (the embedded default says "no reviews"). */
@Injectable()
export class ListingRatings {
  private source: ListingRatingSource = NO_LISTING_RATINGS;

  use(source: ListingRatingSource): void {
    this.source = source;
  }

  async of(apiId: string): Promise<ListingRating> {
    return (await this.source.ratingsOf([apiId])).get(apiId) ?? emptyRating();
  }
}
