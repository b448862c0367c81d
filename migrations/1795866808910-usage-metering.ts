import type { MigrationInterface, QueryRunner } from 'typeorm';

export class UsageMetering1795866808910 implements MigrationInterface {
  name = 'UsageMetering1795866808910';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "usage_batches" ("batch_id" uuid NOT NULL, "events" integer NOT NULL, "counted" integer NOT NULL DEFAULT '0', "applied_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_usage_batches" PRIMARY KEY ("batch_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_usage_batches__applied_at" ON "usage_batches"  ("applied_at") `);
    await queryRunner.query(`CREATE TABLE "usage_minute_rollups" ("subscription_id" uuid NOT NULL, "minute" TIMESTAMP WITH TIME ZONE NOT NULL, "application_id" uuid NOT NULL, "key_id" uuid NOT NULL, "api_id" uuid NOT NULL, "endpoint_id" uuid NOT NULL, "plan_id" uuid NOT NULL, "status_class" smallint NOT NULL, "consumer_account_id" uuid NOT NULL, "mode" character varying(4) NOT NULL, "calls" bigint NOT NULL DEFAULT '0', "errors" bigint NOT NULL DEFAULT '0', "bytes_in" bigint NOT NULL DEFAULT '0', "bytes_out" bigint NOT NULL DEFAULT '0', "billable_units" bigint NOT NULL DEFAULT '0', "overage_units" bigint NOT NULL DEFAULT '0', "latency_ms_sum" bigint NOT NULL DEFAULT '0', "latency_histogram" integer array NOT NULL, CONSTRAINT "pk_usage_minute_rollups" PRIMARY KEY ("subscription_id", "minute", "application_id", "key_id", "api_id", "endpoint_id", "plan_id", "status_class"))`);
    await queryRunner.query(`CREATE INDEX "ix_usage_minute_rollups__consumer_account_id_minute" ON "usage_minute_rollups"  ("consumer_account_id", "minute") `);
    await queryRunner.query(`CREATE INDEX "ix_usage_minute_rollups__api_id_minute" ON "usage_minute_rollups"  ("api_id", "minute") `);
    await queryRunner.query(`CREATE TABLE "usage_requests" ("request_id" character varying(64) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "batch_id" uuid NOT NULL, "consumer_account_id" uuid NOT NULL, "application_id" uuid NOT NULL, "key_id" uuid NOT NULL, "key_prefix" character varying(32) NOT NULL, "api_id" uuid, "subscription_id" uuid, "endpoint_id" uuid, "method" character varying(16) NOT NULL, "status" smallint NOT NULL, "latency_ms" integer NOT NULL, "bytes_in" bigint NOT NULL, "bytes_out" bigint NOT NULL, "mode" character varying(4) NOT NULL, "billable_units" integer NOT NULL, "generated" boolean NOT NULL, "error_code" character varying(64), CONSTRAINT "pk_usage_requests" PRIMARY KEY ("request_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_usage_requests__at" ON "usage_requests"  ("at") `);
    await queryRunner.query(`CREATE INDEX "ix_usage_requests__api_id_at" ON "usage_requests"  ("api_id", "at") `);
    await queryRunner.query(`CREATE INDEX "ix_usage_requests__consumer_account_id_at" ON "usage_requests"  ("consumer_account_id", "at") `);
    // Written by hand (TypeORM does not manage functions, aggregates or plain views; the drift check ignores them):
    // element-wise histogram sum as an aggregate, and the hour/day views over the minute rollups (libs/metering README).
    await queryRunner.query(`CREATE FUNCTION "metering_histogram_accumulate"(state bigint[], histogram integer[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN histogram IS NULL THEN state
        WHEN state IS NULL THEN histogram::bigint[]
        ELSE ARRAY(SELECT coalesce(h.a, 0) + coalesce(h.b, 0) FROM unnest(state, histogram) WITH ORDINALITY AS h(a, b, i) ORDER BY h.i)
      END $$`);
    await queryRunner.query(`CREATE FUNCTION "metering_histogram_combine"(a bigint[], b bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN a IS NULL THEN b
        WHEN b IS NULL THEN a
        ELSE ARRAY(SELECT coalesce(h.x, 0) + coalesce(h.y, 0) FROM unnest(a, b) WITH ORDINALITY AS h(x, y, i) ORDER BY h.i)
      END $$`);
    await queryRunner.query(`CREATE AGGREGATE "metering_histogram_sum"(integer[]) (SFUNC = metering_histogram_accumulate, STYPE = bigint[], COMBINEFUNC = metering_histogram_combine, PARALLEL = SAFE)`);
    for (const [view, unit] of [['usage_hour_rollups', 'hour'], ['usage_day_rollups', 'day']]) {
      await queryRunner.query(`CREATE VIEW "${view}" AS
        SELECT date_trunc('${unit}', minute, 'UTC') AS "${unit}", subscription_id, application_id, key_id, api_id, endpoint_id,
          plan_id, status_class, consumer_account_id, mode,
          sum(calls)::bigint AS calls, sum(errors)::bigint AS errors, sum(bytes_in)::bigint AS bytes_in,
          sum(bytes_out)::bigint AS bytes_out, sum(billable_units)::bigint AS billable_units,
          sum(overage_units)::bigint AS overage_units, sum(latency_ms_sum)::bigint AS latency_ms_sum,
          metering_histogram_sum(latency_histogram) AS latency_histogram
        FROM usage_minute_rollups
        GROUP BY 1, subscription_id, application_id, key_id, api_id, endpoint_id, plan_id, status_class, consumer_account_id, mode`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW "usage_day_rollups"`);
    await queryRunner.query(`DROP VIEW "usage_hour_rollups"`);
    await queryRunner.query(`DROP AGGREGATE "metering_histogram_sum"(integer[])`);
    await queryRunner.query(`DROP FUNCTION "metering_histogram_combine"(bigint[], bigint[])`);
    await queryRunner.query(`DROP FUNCTION "metering_histogram_accumulate"(bigint[], integer[])`);
    await queryRunner.query(`DROP INDEX "public"."ix_usage_requests__consumer_account_id_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_usage_requests__api_id_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_usage_requests__at"`);
    await queryRunner.query(`DROP TABLE "usage_requests"`);
    await queryRunner.query(`DROP INDEX "public"."ix_usage_minute_rollups__api_id_minute"`);
    await queryRunner.query(`DROP INDEX "public"."ix_usage_minute_rollups__consumer_account_id_minute"`);
    await queryRunner.query(`DROP TABLE "usage_minute_rollups"`);
    await queryRunner.query(`DROP INDEX "public"."ix_usage_batches__applied_at"`);
    await queryRunner.query(`DROP TABLE "usage_batches"`);
  }
}
