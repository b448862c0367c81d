import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Pre-aggregated facet counts of the postgres adapter (migration SearchFacetCounts): how many
 * searchable documents without a sunset fall in each (category, pricing, floor(rating), tag).
 * Tag `''` counts documents; any other tag counts the documents carrying it, each once. Written
 * only by the statement triggers on `search_documents` (in the writing statement), read by a
 * text-less browse instead of a scan of every listing. Documents with a sunset are counted live
 * by the query (whether they count depends on its `now`).
 */
@Entity({ name: 'search_facet_counts' })
export class SearchFacetCountEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_search_facet_counts' })
  category!: string;

  /** free | paid | freemium; `''` for none. */
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_search_facet_counts' })
  pricing!: string;

  /** floor(rating_avg) (1–5); 0 unrated. Exact for integer minRating and the rating buckets. */
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_search_facet_counts' })
  ratingFloor!: number;

  /** `''`: the documents; otherwise one tag. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_search_facet_counts' })
  tag!: string;

  @Column({ type: 'integer' })
  n!: number;
}
