import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The request log is written once per call, so each index on it costs every call (bench:metering:
 * about 1.2 µs of PostgreSQL's CPU per index per call, of ~20). `(api_id, at)` served no query (the
 * request log is read per consumer; providers read the rollups), so it goes. `at` only serves the
 * hourly prune of rows past retention: rows arrive in time order, so a BRIN index (a summary per
 * range of pages, near free to maintain) finds them as well as the btree did.
 */
export class UsageRequestLogLighterIndexes1795878000000 implements MigrationInterface {
  name = 'UsageRequestLogLighterIndexes1795878000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_usage_requests__api_id_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_usage_requests__at"`);
    await queryRunner.query(`CREATE INDEX "ix_usage_requests__at" ON "usage_requests" USING brin ("at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_usage_requests__at"`);
    await queryRunner.query(`CREATE INDEX "ix_usage_requests__at" ON "usage_requests" ("at") `);
    await queryRunner.query(`CREATE INDEX "ix_usage_requests__api_id_at" ON "usage_requests" ("api_id", "at") `);
  }
}
