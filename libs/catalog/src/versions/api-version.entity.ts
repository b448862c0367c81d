import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ApiListingEntity } from '../listings/api-listing.entity';

export interface EndpointChange {
  method: string;
  path: string;
  /** For `changed`: what differs (summary, parameters, requestBody, responses, deprecated). */
  fields?: string[];
}

export interface VersionChangelog {
  added: EndpointChange[];
  removed: EndpointChange[];
  changed: EndpointChange[];
}

/** One imported OpenAPI document of an API. Versions are kept; one is current. */
@Entity({ name: 'api_versions' })
@Index('uq_api_versions__api_id_number', ['apiId', 'number'], { unique: true })
export class ApiVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  apiId!: string;

  @ManyToOne(() => ApiListingEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'api_id', foreignKeyConstraintName: 'fk_api_versions__api_id' })
  api?: ApiListingEntity;

  /** 1, 2, 3… per API. */
  @Column({ type: 'integer' })
  number!: number;

  /** `info.version` of the document. */
  @Column({ type: 'varchar', length: 100 })
  label!: string;

  /** `swagger-2.0`, `openapi-3.0`, `openapi-3.1`. */
  @Column({ type: 'varchar', length: 16 })
  sourceFormat!: string;

  /**
   * The document as uploaded (parsed, not dereferenced), served at GET /v1/apis/:slug/openapi.
   * `json`, not `jsonb`: jsonb reorders object keys (paths, operations, `openapi` before `info`…)
   * and rejects `\u0000`; json keeps the text as written.
   */
  @Column({ type: 'json' })
  document!: Record<string, unknown>;

  @Column({ type: 'integer' })
  endpointCount!: number;

  /** Difference from the version that was current before this one was published. */
  @Column({ type: 'jsonb', nullable: true })
  changelog!: VersionChangelog | null;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
