import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { CategoryEntity } from '../categories/category.entity';
import { ProviderEntity } from '../providers/provider.entity';

export type ListingVisibility = 'public' | 'private';
/** draft → (pending_approval →) published → deprecated → retired. */
export type ListingStatus = 'draft' | 'pending_approval' | 'published' | 'deprecated' | 'retired';
export type CredentialLocation = 'header' | 'query';

/** An API listed on the marketplace, with its upstream. */
@Entity({ name: 'api_listings' })
export class ApiListingEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('ix_api_listings__provider_id')
  @Column({ type: 'uuid' })
  providerId!: string;

  @ManyToOne(() => ProviderEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'provider_id', foreignKeyConstraintName: 'fk_api_listings__provider_id' })
  provider?: ProviderEntity;

  @Index('uq_api_listings__slug', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  slug!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 300 })
  summary!: string;

  /** Markdown. */
  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'varchar', length: 64 })
  categorySlug!: string;

  @ManyToOne(() => CategoryEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'category_slug', foreignKeyConstraintName: 'fk_api_listings__category_slug' })
  category?: CategoryEntity;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  @Column({ type: 'varchar', length: 2048, nullable: true })
  logoUrl!: string | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  websiteUrl!: string | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  termsUrl!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'public' })
  visibility!: ListingVisibility;

  @Index('ix_api_listings__status')
  @Column({ type: 'varchar', length: 24, default: 'draft' })
  status!: ListingStatus;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  sunsetAt!: Date | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  deprecationMessage!: string | null;

  @Column({ type: 'varchar', length: 2048 })
  upstreamLiveUrl!: string;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  upstreamSandboxUrl!: string | null;

  @Column({ type: 'integer', default: 30_000 })
  upstreamTimeoutMs!: number;

  @Column({ type: 'varchar', length: 8, nullable: true })
  credentialLocation!: CredentialLocation | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  credentialName!: string | null;

  /** AES-256-GCM ciphertext (base64 iv.tag.data) of the provider's upstream credential. */
  @Column({ type: 'text', nullable: true })
  credentialCiphertext!: string | null;

  @Column({ type: 'varchar', length: 4, nullable: true })
  credentialLastFour!: string | null;

  @Column({ type: 'uuid', nullable: true })
  currentVersionId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
