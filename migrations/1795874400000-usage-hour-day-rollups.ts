import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Latency histogram buckets (libs/metering LATENCY_BUCKET_COUNT when this migration was written). */
const BUCKETS = 24;
const KEY = 'subscription_id, application_id, key_id, api_id, endpoint_id, plan_id, status_class';
const MEASURES = 'calls, errors, bytes_in, bytes_out, billable_units, overage_units, latency_ms_sum';
const COLUMNS = `${KEY}, minute, consumer_account_id, mode, ${MEASURES}, latency_histogram`;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const sums = (prefix = '') => MEASURES.split(', ').map((m) => `sum(${prefix}${m})::bigint AS ${m}`);
const histogramSum = (prefix = '') =>
  `ARRAY[${range(BUCKETS)
    .map((i) => `coalesce(sum(${prefix}latency_histogram[${i}]), 0)`)
    .join(', ')}]::bigint[]`;

/**
 * The folded tables as this migration creates them (libs/metering `FOLDED_CUBOIDS` at the time):
 * key columns kept, units, extra indexes (`UNIT` = the table's time column; an index naming `hour`
 * or `day` only on that table). Frozen here: a later change is a new migration.
 */
const CUBOIDS: {
  suffix: string;
  key: string[];
  attributes: string[];
  units: string[];
  indexes: string[][];
}[] = [
  {
    suffix: 'apis',
    key: ['api_id', 'plan_id', 'status_class'],
    attributes: [],
    units: ['hour', 'day'],
    indexes: [],
  },
  {
    suffix: 'endpoints',
    key: ['api_id', 'endpoint_id', 'plan_id', 'status_class'],
    attributes: [],
    units: ['hour', 'day'],
    indexes: [],
  },
  {
    suffix: 'subscriptions',
    key: ['subscription_id', 'consumer_account_id', 'api_id', 'plan_id', 'status_class'],
    attributes: [],
    units: ['hour', 'day'],
    indexes: [['api_id', 'UNIT'], ['consumer_account_id', 'UNIT'], ['day']],
  },
  {
    suffix: 'rollups',
    key: [...KEY.split(', '), 'consumer_account_id'],
    attributes: ['mode'],
    units: ['hour', 'day'],
    indexes: [
      ['api_id', 'UNIT'],
      ['consumer_account_id', 'UNIT'],
      ['key_id', 'hour'],
    ],
  },
];
const COLUMN_TYPE: Record<string, string> = { status_class: 'smallint', mode: 'character varying(4)' };

/** The primary key: the first key column, the time, the other key columns (minus consumer_account_id when the subscription fixes it). */
function primaryKey(cuboid: (typeof CUBOIDS)[number], unit: string): string[] {
  const key = cuboid.suffix === 'rollups' ? KEY.split(', ') : cuboid.key;
  return [key[0], unit, ...key.slice(1)];
}

/** The extra indexes of `cuboid`'s `unit` table, as column lists. */
const indexesOf = (cuboid: (typeof CUBOIDS)[number], unit: string): string[][] =>
  cuboid.indexes
    .filter((index) => index.every((c) => (c !== 'hour' && c !== 'day') || c === unit))
    .map((index) => index.map((c) => (c === 'UNIT' ? unit : c)));

function createTable(cuboid: (typeof CUBOIDS)[number], unit: string): string[] {
  const table = `usage_folded_${unit}_${cuboid.suffix}`;
  const pk = primaryKey(cuboid, unit);
  const columns = [
    ...pk.map((c) =>
      c === unit
        ? `"${unit}" TIMESTAMP WITH TIME ZONE NOT NULL`
        : `"${c}" ${COLUMN_TYPE[c] ?? 'uuid'} NOT NULL`,
    ),
    ...[...cuboid.key.filter((c) => !pk.includes(c)), ...cuboid.attributes].map(
      (c) => `"${c}" ${COLUMN_TYPE[c] ?? 'uuid'} NOT NULL`,
    ),
    ...MEASURES.split(', ').map((m) => `"${m}" bigint NOT NULL DEFAULT '0'`),
    `"latency_histogram" bigint array NOT NULL`,
  ];
  return [
    `CREATE TABLE "${table}" (${columns.join(', ')}, CONSTRAINT "pk_${table}" PRIMARY KEY (${pk.map((c) => `"${c}"`).join(', ')}))`,
    ...indexesOf(cuboid, unit).map((cols) => {
      return `CREATE INDEX "ix_${table}__${cols.join('_')}" ON "${table}"  (${cols.map((c) => `"${c}"`).join(', ')}) `;
    }),
  ];
}

/** Sums `source` (rows with `minute`, every key column, the measures and a histogram) into a folded table. */
function sumInto(cuboid: (typeof CUBOIDS)[number], unit: string, source: string, timeColumn: string): string {
  const table = `usage_folded_${unit}_${cuboid.suffix}`;
  const grouped = [...cuboid.key, ...cuboid.attributes];
  return `INSERT INTO "${table}" ("${unit}", ${grouped.join(', ')}, ${MEASURES}, latency_histogram)
      SELECT date_trunc('${unit}', ${timeColumn}, 'UTC'), ${grouped.join(', ')}, ${sums().join(', ')}, ${histogramSum()}
      FROM ${source} GROUP BY 1, ${grouped.join(', ')}`;
}

/**
 * The statement trigger function appending every change of `usage_minute_rollups` to
 * `usage_rollup_deltas`. With `skipWhenLogged`, inserts and updates are not logged when the
 * writing transaction set `metering.deltas_logged` to `on`: that writer appended its deltas itself
 * (MeteringDeltasFromApply1795876200000).
 */
export function rollupDeltasFunction(verb: 'CREATE' | 'CREATE OR REPLACE', skipWhenLogged = false): string {
  const key = KEY.split(', ');
  const skip = skipWhenLogged
    ? `
    IF TG_OP <> 'DELETE' AND current_setting('metering.deltas_logged', true) = 'on' THEN
      RETURN NULL;
    END IF;`
    : '';
  return `${verb} FUNCTION "metering_log_rollup_deltas"() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN${skip}
    IF TG_OP = 'INSERT' THEN
      INSERT INTO usage_rollup_deltas (${COLUMNS}) SELECT ${COLUMNS} FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
      INSERT INTO usage_rollup_deltas (${COLUMNS})
      SELECT ${key.map((k) => `n.${k}`).join(', ')}, n.minute, n.consumer_account_id, n.mode,
        ${MEASURES.split(', ')
          .map((m) => `n.${m} - o.${m}`)
          .join(', ')},
        ARRAY[${range(BUCKETS)
          .map((i) => `coalesce(n.latency_histogram[${i}], 0) - coalesce(o.latency_histogram[${i}], 0)`)
          .join(', ')}]
      FROM new_rows n JOIN old_rows o USING (${KEY}, minute);
    ELSE
      INSERT INTO usage_rollup_deltas (${COLUMNS})
      SELECT ${key.map((k) => `o.${k}`).join(', ')}, o.minute, o.consumer_account_id, o.mode,
        ${MEASURES.split(', ')
          .map((m) => `-o.${m}`)
          .join(', ')},
        ARRAY[${range(BUCKETS)
          .map((i) => `-coalesce(o.latency_histogram[${i}], 0)`)
          .join(', ')}]
      FROM old_rows o;
    END IF;
    RETURN NULL;
  END $$`;
}

/**
 * The exact hour/day sums: folded rows plus the deltas not folded yet, summed again per key (a key
 * whose calls were all deleted has no row, as in the minute table).
 */
function exactView(view: string, table: string, unit: string): string {
  return `CREATE VIEW "${view}" AS
    SELECT "${unit}", ${KEY}, consumer_account_id, mode, ${sums().join(', ')}, ${histogramSum()} AS latency_histogram
    FROM (
      SELECT "${unit}", ${KEY}, consumer_account_id, mode, ${MEASURES}, latency_histogram FROM "${table}"
      UNION ALL
      SELECT date_trunc('${unit}', minute, 'UTC'), ${KEY}, consumer_account_id, mode, ${MEASURES}, latency_histogram::bigint[]
      FROM usage_rollup_deltas
    ) r
    GROUP BY "${unit}", ${KEY}, consumer_account_id, mode
    HAVING sum(calls) <> 0`;
}

/**
 * Hour and day rollups as tables (the views grouped every minute row on each read: a 30-day
 * analytics read summed up to millions of minute rows, bench:analytics), kept exact without
 * making the usage write path pay for them:
 *
 * - statement-level triggers on `usage_minute_rollups` append each statement's change to
 *   `usage_rollup_deltas` (inserted rows; new − old of updated rows; deleted rows negated), in the
 *   same statement and transaction as the minute write. An append touches no shared row, so
 *   concurrent batches never wait on one another for it (upserting hours and days from the trigger
 *   measured −30…−40 % batch throughput; the append −4…−9 %);
 * - libs/metering `RollupFoldService.fold()` (worker job `metering.fold-rollups`, every few seconds)
 *   moves the deltas into `usage_folded_hour_rollups` / `usage_folded_day_rollups` in ONE statement
 *   (DELETE … RETURNING feeding both upserts), so any snapshot sees each change exactly once:
 *   folded, or still a delta;
 * - readers add the pending deltas: the analytics repository, and the views `usage_hour_rollups` /
 *   `usage_day_rollups` (same names and columns as before, still exact).
 *
 * The deltas table and the views are written by hand (TypeORM manages neither; the drift check
 * ignores them). Existing minute rows are summed into the folded tables here; CREATE TRIGGER locks
 * out writes to the minute rows until this migration commits, so none is missed.
 */
export class UsageHourDayRollups1795874400000 implements MigrationInterface {
  name = 'UsageHourDayRollups1795874400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW "usage_day_rollups"`);
    await queryRunner.query(`DROP VIEW "usage_hour_rollups"`);
    for (const cuboid of CUBOIDS) {
      for (const unit of cuboid.units)
        for (const sql of createTable(cuboid, unit)) await queryRunner.query(sql);
    }
    // append-only, no index: written by every usage batch, read whole by the fold and by readers
    await queryRunner.query(
      `CREATE TABLE "usage_rollup_deltas" (LIKE "usage_minute_rollups" INCLUDING DEFAULTS)`,
    );
    await queryRunner.query(rollupDeltasFunction('CREATE'));
    for (const [event, referencing] of [
      ['insert', 'NEW TABLE AS new_rows'],
      ['update', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'],
      ['delete', 'OLD TABLE AS old_rows'],
    ]) {
      await queryRunner.query(`CREATE TRIGGER "tg_usage_minute_rollups__${event}" AFTER ${event.toUpperCase()} ON "usage_minute_rollups"
      REFERENCING ${referencing} FOR EACH STATEMENT EXECUTE FUNCTION "metering_log_rollup_deltas"()`);
    }
    // the rows written before: the full hours from the minutes, everything else from those hours
    const full = CUBOIDS[CUBOIDS.length - 1];
    await queryRunner.query(sumInto(full, 'hour', '"usage_minute_rollups"', 'minute'));
    for (const cuboid of CUBOIDS) {
      for (const unit of cuboid.units) {
        if (cuboid !== full || unit !== 'hour')
          await queryRunner.query(sumInto(cuboid, unit, '"usage_folded_hour_rollups"', 'hour'));
      }
    }
    await queryRunner.query(exactView('usage_hour_rollups', 'usage_folded_hour_rollups', 'hour'));
    await queryRunner.query(exactView('usage_day_rollups', 'usage_folded_day_rollups', 'day'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW "usage_day_rollups"`);
    await queryRunner.query(`DROP VIEW "usage_hour_rollups"`);
    for (const event of ['delete', 'update', 'insert']) {
      await queryRunner.query(`DROP TRIGGER "tg_usage_minute_rollups__${event}" ON "usage_minute_rollups"`);
    }
    await queryRunner.query(`DROP FUNCTION "metering_log_rollup_deltas"()`);
    await queryRunner.query(`DROP TABLE "usage_rollup_deltas"`);
    for (const cuboid of [...CUBOIDS].reverse()) {
      for (const unit of [...cuboid.units].reverse()) {
        const table = `usage_folded_${unit}_${cuboid.suffix}`;
        for (const index of indexesOf(cuboid, unit).reverse()) {
          await queryRunner.query(`DROP INDEX "public"."ix_${table}__${index.join('_')}"`);
        }
        await queryRunner.query(`DROP TABLE "${table}"`);
      }
    }
    // the views of UsageMetering1795866808910, as they were
    for (const [view, unit] of [
      ['usage_hour_rollups', 'hour'],
      ['usage_day_rollups', 'day'],
    ]) {
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
}
