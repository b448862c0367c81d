import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/**
 * A consumer's review of an API: 1–5 stars, a title and a plain-text body. One per (API, author),
 * enforced by `uq_reviews__api_id_author_account_id`. Hidden reviews (an admin's moderation) stay
 * stored but leave every public list and the aggregates.
 *
 * The API and account ids carry no foreign keys: those tables belong to catalog and identity
 * (DESIGN §2), and their rows are never hard-deleted while a review can reference them.
 */
@Entity({ name: 'reviews' })
@Index('uq_reviews__api_id_author_account_id', ['apiId', 'authorAccountId'], { unique: true })
// the public list's sorts, over visible reviews only
@Index('ix_reviews__api_id_created_at', ['apiId', 'createdAt'], { where: 'hidden_at IS NULL' })
@Index('ix_reviews__api_id_helpful_count', ['apiId', 'helpfulCount'], { where: 'hidden_at IS NULL' })
// the aggregate recount and the rating filter/sort
@Index('ix_reviews__api_id_rating', ['apiId', 'rating'], { where: 'hidden_at IS NULL' })
@Check('ck_reviews__rating', 'rating BETWEEN 1 AND 5')
@Check('ck_reviews__helpful_count', 'helpful_count >= 0')
export class ReviewEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_reviews' })
  id!: string;

  @Column({ type: 'uuid' })
  apiId!: string;

  @Index('ix_reviews__author_account_id')
  @Column({ type: 'uuid' })
  authorAccountId!: string;

  @Column({ type: 'smallint' })
  rating!: number;

  @Column({ type: 'varchar', length: 120 })
  title!: string;

  @Column({ type: 'text' })
  body!: string;

  /** Accounts that marked the review helpful (`review_helpful_votes`), kept in step in the vote's transaction. */
  @Column({ type: 'integer', default: 0 })
  helpfulCount!: number;

  /** Set when the author last edited it (null: never edited). */
  @Column({ type: 'timestamptz', nullable: true })
  editedAt!: Date | null;

  /** Set by an admin's hide; null while visible. */
  @Column({ type: 'timestamptz', nullable: true })
  hiddenAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  hiddenByAccountId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
