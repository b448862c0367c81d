import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import type { ReportReason, ReportResolution } from './review.rules';
import { ReviewEntity } from './review.entity';

/**
 * An account's report of a review for moderation: once per (review, reporter)
 * (`uq_review_reports__review_id_reporter_account_id`). Open until an admin hides the review or
 * restores (dismisses) it, which resolves every open report of the review.
 */
@Entity({ name: 'review_reports' })
@Index('uq_review_reports__review_id_reporter_account_id', ['reviewId', 'reporterAccountId'], {
  unique: true,
})
@Index('ix_review_reports__open_review_id', ['reviewId'], { where: 'resolved_at IS NULL' })
export class ReviewReportEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_review_reports' })
  id!: string;

  @Column({ type: 'uuid' })
  reviewId!: string;

  @ManyToOne(() => ReviewEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'review_id', foreignKeyConstraintName: 'fk_review_reports__review_id' })
  review?: ReviewEntity;

  @Column({ type: 'uuid' })
  reporterAccountId!: string;

  @Column({ type: 'varchar', length: 32 })
  reason!: ReportReason;

  @Column({ type: 'text', nullable: true })
  details!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  /** `hidden` (the admin hid the review) or `dismissed` (restored / kept visible). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  resolution!: ReportResolution | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
