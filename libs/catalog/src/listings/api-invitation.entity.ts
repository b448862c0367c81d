import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ApiListingEntity } from './api-listing.entity';

/** An account (by email) invited to see a private listing, or a private plan when planId is set. */
@Entity({ name: 'api_invitations' })
@Index('uq_api_invitations__api_email', ['apiId', 'email'], { unique: true, where: 'plan_id IS NULL' })
@Index('uq_api_invitations__plan_email', ['planId', 'email'], { unique: true, where: 'plan_id IS NOT NULL' })
export class ApiInvitationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  apiId!: string;

  @ManyToOne(() => ApiListingEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'api_id', foreignKeyConstraintName: 'fk_api_invitations__api_id' })
  api?: ApiListingEntity;

  /** Null: the invitation is to the listing; set: to that private plan. */
  @Column({ type: 'uuid', nullable: true })
  planId!: string | null;

  /** Lower-cased. */
  @Index('ix_api_invitations__email')
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
