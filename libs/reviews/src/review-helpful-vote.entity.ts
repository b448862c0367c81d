import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ReviewEntity } from './review.entity';

/** One account found one review helpful: the primary key makes it once per account. */
@Entity({ name: 'review_helpful_votes' })
export class ReviewHelpfulVoteEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_review_helpful_votes' })
  reviewId!: string;

  @Index('ix_review_helpful_votes__account_id')
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_review_helpful_votes' })
  accountId!: string;

  @ManyToOne(() => ReviewEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'review_id', foreignKeyConstraintName: 'fk_review_helpful_votes__review_id' })
  review?: ReviewEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
