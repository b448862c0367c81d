import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The recent-request log, one row per counted call, keyed by request id: the key is also what
 * makes a request counted once when it shows up in two batches (only requests whose row is new
 * reach the rollups; README "Invariants"). Never holds bodies, query strings, headers or keys —
 * only the key's display prefix. Pruned after `REQUEST_LOG_RETENTION_DAYS` by `at`. Written once
 * per call, so it has only the indexes its reads need (migration UsageRequestLogLighterIndexes).
 */
@Entity({ name: 'usage_requests' })
@Index('ix_usage_requests__consumer_account_id_at', ['consumerAccountId', 'at'])
export class UsageRequestEntity {
  /** The gateway's UUIDv7 (time-ordered): 16 bytes per row and key entry (migration UsageRequestIdUuid). */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_requests' })
  requestId!: string;

  /** When the gateway received the call. BRIN-indexed for the prune (TypeORM cannot declare BRIN: not synchronised). */
  @Index('ix_usage_requests__at', { synchronize: false })
  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'uuid' })
  batchId!: string;

  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  @Column({ type: 'uuid' })
  applicationId!: string;

  @Column({ type: 'uuid' })
  keyId!: string;

  /** Display prefix of the key (e.g. `mp_live_ab12`). */
  @Column({ type: 'varchar', length: 32 })
  keyPrefix!: string;

  @Column({ type: 'uuid', nullable: true })
  apiId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  subscriptionId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  endpointId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  method!: string;

  @Column({ type: 'smallint' })
  status!: number;

  @Column({ type: 'integer' })
  latencyMs!: number;

  @Column({ type: 'bigint' })
  bytesIn!: string;

  @Column({ type: 'bigint' })
  bytesOut!: string;

  @Column({ type: 'varchar', length: 4 })
  mode!: 'live' | 'test';

  /** After fair metering. */
  @Column({ type: 'integer' })
  billableUnits!: number;

  @Column({ type: 'boolean' })
  generated!: boolean;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;
}
