import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AccountEntity } from '../accounts/account.entity';
import { ApplicationEntity } from '../applications/application.entity';

export type ApiKeyKind = 'secret' | 'publishable';
export type ApiKeyMode = 'live' | 'test';

/** An API key. Only the SHA-256 of the whole key is stored; prefix and last four are for display. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('ix_api_keys__account_id')
  @Column({ type: 'uuid' })
  accountId!: string;

  @ManyToOne(() => AccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'fk_api_keys__account_id' })
  account?: AccountEntity;

  @Index('ix_api_keys__application_id')
  @Column({ type: 'uuid' })
  applicationId!: string;

  @ManyToOne(() => ApplicationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id', foreignKeyConstraintName: 'fk_api_keys__application_id' })
  application?: ApplicationEntity;

  @Column({ type: 'varchar', length: 16 })
  kind!: ApiKeyKind;

  @Column({ type: 'varchar', length: 8 })
  mode!: ApiKeyMode;

  @Index('uq_api_keys__key_hash', { unique: true })
  @Column({ type: 'char', length: 64 })
  keyHash!: string;

  /** `mp_live_`, `mp_test_`, `mpp_live_` or `mpp_test_`. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ type: 'char', length: 4 })
  lastFour!: string;

  @Column({ type: 'varchar', length: 100 })
  label!: string;

  @Column({ type: 'text', array: true, default: () => "'{*}'" })
  scopes!: string[];

  /** CIDR blocks; empty means any address. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  ipAllowlist!: string[];

  /** Browser origins a publishable key may be used from. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  allowedOrigins!: string[];

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** Set on a rotated key: the key that replaced it. */
  @Column({ type: 'uuid', nullable: true })
  replacedByKeyId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
