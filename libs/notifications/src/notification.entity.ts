import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One in-app notification for an account (README "What it owns"). Written by other libs through
 * `NotificationsService.record`, read by its account only. Delivery by email or webhook is a later
 * issue: this row is what such a delivery would send.
 */
@Entity({ name: 'notifications' })
// the account's list, newest first
@Index('ix_notifications__account_id_created_at', ['accountId', 'createdAt'])
// the unread count
@Index('ix_notifications__account_id_unread', ['accountId'], { where: 'read_at IS NULL' })
export class NotificationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The account told (no foreign key: identity's table, DESIGN §2). */
  @Column({ type: 'uuid' })
  accountId!: string;

  /** Dotted machine name, e.g. `usage.quota_threshold`, `usage.spend_cap_reached`. */
  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  /** A sentence or two that says what happened and what to do. */
  @Column({ type: 'text' })
  body!: string;

  /** Machine-readable facts (ids, thresholds, amounts), camelCase keys. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  data!: Record<string, unknown>;

  @Column({ type: 'timestamptz', nullable: true })
  readAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
