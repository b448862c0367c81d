import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ApiListingEntity } from './api-listing.entity';

/**
 * The secret the gateway sends as X-Portico-Proxy-Secret so the provider can tell Portico's calls
 * from anyone else's. Encrypted at rest (the owner may view it). After a rotation the previous one
 * stays valid until `expiresAt`.
 */
@Entity({ name: 'api_proxy_secrets' })
export class ProxySecretEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('ix_api_proxy_secrets__api_id')
  @Column({ type: 'uuid' })
  apiId!: string;

  @ManyToOne(() => ApiListingEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'api_id', foreignKeyConstraintName: 'fk_api_proxy_secrets__api_id' })
  api?: ApiListingEntity;

  @Column({ type: 'text' })
  secretCiphertext!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  /** Null for the current secret; set when it was rotated out. */
  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
