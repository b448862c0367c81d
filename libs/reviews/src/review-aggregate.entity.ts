import { Check, Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * One row per reviewed API: count, sum and distribution of its visible reviews. Rewritten in the
 * same transaction as every review write that can change it (create, edit, delete, hide,
 * restore), by recounting the API's visible reviews while this row is locked FOR UPDATE — so
 * concurrent writers of one API serialize on it and it is never stale.
 */
@Entity({ name: 'review_aggregates' })
@Check('ck_review_aggregates__counts', 'review_count = count_1 + count_2 + count_3 + count_4 + count_5')
export class ReviewAggregateEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_review_aggregates' })
  apiId!: string;

  @Column({ type: 'integer', default: 0 })
  reviewCount!: number;

  /** Sum of the ratings (average = ratingSum / reviewCount). */
  @Column({ type: 'integer', default: 0 })
  ratingSum!: number;

  @Column({ type: 'integer', name: 'count_1', default: 0 })
  count1!: number;

  @Column({ type: 'integer', name: 'count_2', default: 0 })
  count2!: number;

  @Column({ type: 'integer', name: 'count_3', default: 0 })
  count3!: number;

  @Column({ type: 'integer', name: 'count_4', default: 0 })
  count4!: number;

  @Column({ type: 'integer', name: 'count_5', default: 0 })
  count5!: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
