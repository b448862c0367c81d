import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Request ids (the request log's primary key) are stored as `uuid`: 16 bytes instead of a 37-byte
 * string, so every call's row and its primary-key entry are smaller (per million calls: heap ~265 →
 * ~241 MB, indexes ~117 → ~90 MB; docs/benchmarks.md) and PostgreSQL reads them in binary. The
 * gateway has always minted UUIDs (UUIDv7 since request ids became time-ordered); a stored id that
 * is not one (none comes from Portico's gateway) is kept as the UUID spelled by its MD5, so the
 * migration cannot fail on it (tested in the int-spec beside this file). Rewrites the request log
 * and rebuilds its indexes, holding a lock on `usage_requests` meanwhile: on a large log, run it at
 * a quiet time (docs/operations.md).
 */
export class UsageRequestIdUuid1795879800000 implements MigrationInterface {
  name = 'UsageRequestIdUuid1795879800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "usage_requests" ALTER COLUMN "request_id" TYPE uuid USING (
         CASE WHEN "request_id" ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
           THEN "request_id"::uuid ELSE md5("request_id")::uuid END)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "usage_requests" ALTER COLUMN "request_id" TYPE character varying(64) COLLATE "C" USING "request_id"::text`,
    );
  }
}
