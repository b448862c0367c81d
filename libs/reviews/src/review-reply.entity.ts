import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { ReviewEntity } from './review.entity';

/** The API provider's public answer to a review: at most one per review (`uq_review_replies__review_id`). */
@Entity({ name: 'review_replies' })
export class ReviewReplyEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_review_replies' })
  id!: string;

  @Index('uq_review_replies__review_id', { unique: true })
  @Column({ type: 'uuid' })
  reviewId!: string;

  @ManyToOne(() => ReviewEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'review_id', foreignKeyConstraintName: 'fk_review_replies__review_id' })
  review?: ReviewEntity;

  /** The provider owner's account that wrote (or last edited) it. */
  @Column({ type: 'uuid' })
  authorAccountId!: string;

  @Column({ type: 'text' })
  body!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
