import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The postgres adapter's index: one row per listing of the public catalog, denormalised (name,
 * texts, category, provider, plan pricing, quality signals). `search_vector` is written by the
 * trigger `tg_search_documents__vector` (migration AddSearchDocuments): weight A the name, B the
 * summary and tags, C the description, category and provider name, through the `portico_search`
 * text search configuration (english stemming over `unaccent`, so accents fold).
 *
 * The GIN and trigram indexes are expressions the entity cannot describe, and the browse indexes
 * have per-column DESC / NULLS LAST orders it cannot describe either: they are declared here with
 * `synchronize: false` so schema generation leaves them alone, and created by hand-written SQL
 * (migrations AddSearchDocuments, SearchFacetCacheAndBrowseIndexes). Every write to the table also
 * bumps `search_index_state.version` (a statement trigger; the facet cache's invalidation) and
 * keeps `search_facet_counts` up to date (migration SearchFacetCounts); the partial index on
 * `sunset_at` finds the documents those counts leave out.
 */
@Entity({ name: 'search_documents' })
@Index('ix_search_documents__search_vector', { synchronize: false })
@Index('ix_search_documents__name_folded_trgm', { synchronize: false })
@Index('ix_search_documents__tags', { synchronize: false })
@Index('ix_search_documents__by_popularity', { synchronize: false })
@Index('ix_search_documents__by_rating', { synchronize: false })
@Index('ix_search_documents__by_latency', { synchronize: false })
@Index('ix_search_documents__by_newest', { synchronize: false })
@Index('ix_search_documents__sunset', { synchronize: false })
export class SearchDocumentEntity {
  /** The listing's id (api_listings.id; no foreign key: the index is a disposable copy). */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_search_documents' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  slug!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 300 })
  summary!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  @Index('ix_search_documents__category')
  @Column({ type: 'varchar', length: 64 })
  category!: string;

  @Column({ type: 'varchar', length: 100 })
  categoryName!: string;

  @Column({ type: 'varchar', length: 64 })
  providerSlug!: string;

  @Column({ type: 'varchar', length: 100 })
  providerName!: string;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  logoUrl!: string | null;

  /** Always public: private listings are never indexed (kept as a guard the queries check). */
  @Column({ type: 'varchar', length: 16, default: 'public' })
  visibility!: string;

  /** published | deprecated. */
  @Column({ type: 'varchar', length: 24 })
  status!: string;

  @Column({ type: 'timestamptz', nullable: true })
  sunsetAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  /** free | paid | freemium; null without a subscribable plan. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  pricing!: string | null;

  @Column({ type: 'numeric', precision: 3, scale: 2, nullable: true })
  ratingAvg!: string | null;

  @Column({ type: 'integer', default: 0 })
  ratingCount!: number;

  @Column({ type: 'integer', default: 0 })
  subscribers!: number;

  @Column({ name: 'calls_30d', type: 'bigint', default: 0 })
  calls30d!: string;

  @Column({ type: 'integer', default: 0 })
  popularity!: number;

  @Column({ type: 'integer', nullable: true })
  latencyMs!: number | null;

  @Column({ type: 'numeric', precision: 5, scale: 4, nullable: true })
  successRate!: string | null;

  /** Written by the trigger from the text columns; never selected by default. */
  @Column({ type: 'tsvector', select: false, insert: false, update: false, nullable: true })
  searchVector!: string | null;

  /**
   * portico_unaccent(lower(name)), written by the same trigger: the exact-name bonus compares it,
   * the typo fallback and type-ahead match it through its trigram index.
   */
  @Column({ type: 'text', select: false, insert: false, update: false, nullable: true })
  nameFolded!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  indexedAt!: Date;
}
