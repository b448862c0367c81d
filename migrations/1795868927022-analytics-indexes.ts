import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Platform-wide analytics (GET /v1/admin/analytics) read a time range across every subscription:
 * the minute rollups' primary key starts with subscription_id, so the range needs its own index.
 * Consumer and provider reads use the existing (consumer_account_id, minute) and (api_id, minute).
 */
export class AnalyticsIndexes1795868927022 implements MigrationInterface {
  name = 'AnalyticsIndexes1795868927022';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_usage_minute_rollups__minute" ON "usage_minute_rollups"  ("minute") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_usage_minute_rollups__minute"`);
  }
}
