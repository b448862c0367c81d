import type { MigrationInterface, QueryRunner } from 'typeorm';
import { exactView } from './1795874400000-usage-hour-day-rollups';

/** Latency histogram buckets (libs/metering LATENCY_BUCKET_COUNT when this migration was written). */
const BUCKETS = 24;

/**
 * The id arrays of a delta batch (libs/metering `BatchIds`: one entry per caller, endpoints per
 * endpoint; "none" is the nil UUID, as in the rollups' key), then its rows as arrays, then every
 * row's histogram in one flat array.
 */
const ID_ARRAYS = ['consumers', 'applications', 'keys', 'apis', 'subscriptions', 'endpoints', 'plans'];
const ROW_ARRAYS: [name: string, type: string][] = [
  ['caller', 'integer'],
  ['endpoint', 'integer'],
  ['minute', 'timestamp with time zone'],
  ['status_class', 'smallint'],
  ['mode', 'character varying'],
  ['calls', 'bigint'],
  ['errors', 'bigint'],
  ['bytes_in', 'bigint'],
  ['bytes_out', 'bigint'],
  ['billable_units', 'bigint'],
  ['overage_units', 'bigint'],
  ['latency_ms_sum', 'bigint'],
];

/**
 * Metering's one-statement batch apply appended one `usage_rollup_deltas` row per rollup row it
 * wrote (~0.7 per call, 18 columns each): about a seventh of PostgreSQL's time per call
 * (bench:metering, docs/benchmarks.md). It now appends ONE row per statement to
 * `usage_rollup_delta_batches`, holding the same deltas as the arrays it already sends (no row is
 * built from them on the write path). Its arrays are stored out of line uncompressed
 * (`STORAGE EXTERNAL`): compressing a few hundred kilobytes per statement would cost more than it
 * saves.
 *
 * `metering_rollup_delta_batch_rows(batch)` turns a batch back into delta rows, and the view
 * `usage_pending_rollup_deltas` is every pending delta: the rows the triggers still append (every
 * other writer of the minute rollups) plus the batches' rows. Readers (the analytics reads, the
 * exact hour/day views, recreated here) read the view; the fold moves both tables. Down expands
 * the pending batches back into `usage_rollup_deltas`, so no delta is lost either way.
 */
export class UsageRollupDeltaBatches1795880400000 implements MigrationInterface {
  name = 'UsageRollupDeltaBatches1795880400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns = [
      ...ID_ARRAYS.map((name) => `"${name}" uuid array NOT NULL`),
      ...ROW_ARRAYS.map(([name, type]) => `"${name}" ${type} array NOT NULL`),
      `"latency_histograms" integer array NOT NULL`,
      // how many delta rows it holds: the fold bounds its chunks with it without reading the arrays
      `"deltas" integer NOT NULL`,
    ];
    // append-only, no index: written by every group of batches, read whole by the fold and by readers
    await queryRunner.query(`CREATE TABLE "usage_rollup_delta_batches" (${columns.join(', ')})`);
    for (const name of [...ID_ARRAYS, ...ROW_ARRAYS.map(([column]) => column), 'latency_histograms'])
      await queryRunner.query(
        `ALTER TABLE "usage_rollup_delta_batches" ALTER COLUMN "${name}" SET STORAGE EXTERNAL`,
      );
    const rows = ROW_ARRAYS.map(([name]) => name);
    await queryRunner.query(`CREATE FUNCTION "metering_rollup_delta_batch_rows"(batch "usage_rollup_delta_batches")
      RETURNS SETOF "usage_rollup_deltas" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT batch.subscriptions[d.caller], d.minute, batch.applications[d.caller], batch.keys[d.caller],
          batch.apis[d.caller], batch.endpoints[d.endpoint], batch.plans[d.caller], d.status_class,
          batch.consumers[d.caller], d.mode, d.calls, d.errors, d.bytes_in, d.bytes_out, d.billable_units,
          d.overage_units, d.latency_ms_sum,
          batch.latency_histograms[(d.ord - 1) * ${BUCKETS} + 1 : d.ord * ${BUCKETS}]
        FROM unnest(${rows.map((name) => `batch.${name}`).join(', ')}) WITH ORDINALITY AS d(${rows.join(', ')}, ord)
      $$`);
    await queryRunner.query(`CREATE VIEW "usage_pending_rollup_deltas" AS
      SELECT * FROM "usage_rollup_deltas"
      UNION ALL
      SELECT d.* FROM "usage_rollup_delta_batches" b CROSS JOIN LATERAL "metering_rollup_delta_batch_rows"(b) d`);
    await this.exactViews(queryRunner, 'usage_pending_rollup_deltas');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`INSERT INTO "usage_rollup_deltas"
      SELECT d.* FROM "usage_rollup_delta_batches" b CROSS JOIN LATERAL "metering_rollup_delta_batch_rows"(b) d`);
    await this.exactViews(queryRunner, 'usage_rollup_deltas');
    await queryRunner.query(`DROP VIEW "usage_pending_rollup_deltas"`);
    await queryRunner.query(`DROP FUNCTION "metering_rollup_delta_batch_rows"("usage_rollup_delta_batches")`);
    await queryRunner.query(`DROP TABLE "usage_rollup_delta_batches"`);
  }

  /** The exact hour/day views (UsageHourDayRollups1795874400000), their pending deltas read from `deltas`. */
  private async exactViews(queryRunner: QueryRunner, deltas: string): Promise<void> {
    for (const unit of ['hour', 'day']) {
      await queryRunner.query(`DROP VIEW "usage_${unit}_rollups"`);
      await queryRunner.query(
        exactView(`usage_${unit}_rollups`, `usage_folded_${unit}_rollups`, unit, deltas),
      );
    }
  }
}
