import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ApiVersionEntity } from './api-version.entity';

/** One operation of a version: what the gateway routes, plans include and analytics group by. */
@Entity({ name: 'api_endpoints' })
@Index('uq_api_endpoints__version_method_path', ['versionId', 'method', 'path'], { unique: true })
export class ApiEndpointEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('ix_api_endpoints__api_id')
  @Column({ type: 'uuid' })
  apiId!: string;

  @Column({ type: 'uuid' })
  versionId!: string;

  @ManyToOne(() => ApiVersionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'fk_api_endpoints__version_id' })
  version?: ApiVersionEntity;

  /** Upper-case HTTP method. */
  @Column({ type: 'varchar', length: 8 })
  method!: string;

  /** Path template as in the document, e.g. `/pets/{petId}`. */
  @Column({ type: 'varchar', length: 1024 })
  path!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  operationId!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  summary!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  @Column({ type: 'boolean', default: false })
  deprecated!: boolean;

  /** Dereferenced, bounded JSON of parameters, request body and responses (with examples). */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  parameters!: unknown[];

  @Column({ type: 'jsonb', nullable: true })
  requestBody!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  responses!: Record<string, unknown>;
}
