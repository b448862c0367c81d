import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HISTOGRAM_SUM_SQL, LATENCY_BUCKET_COUNT } from '../latency-histogram';
import {
  FOLDED_CUBOIDS,
  ROLLUP_KEY_COLUMNS,
  ROLLUP_MEASURE_COLUMNS,
  foldedTable,
  type FoldUnit,
  type FoldedCuboid,
} from './rollup-cuboids';

/** `work_mem` of a fold (per plan node): a full chunk's moved rows and their sums per hour take ~12 MB each. */
const FOLD_WORK_MEM = '64MB';

const BUCKETS = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => i + 1);

/** Every column the folded tables group by: the minute rollups' key and `mode` (the widest cuboid's). */
const HOURLY_COLUMNS = [...ROLLUP_KEY_COLUMNS, 'mode'];

/** Sums of the measures and the histograms, in column order. */
const SUMS = `${ROLLUP_MEASURE_COLUMNS.map((m) => `sum(${m})`).join(', ')}, ${HISTOGRAM_SUM_SQL}`;

/**
 * The moved deltas summed per UTC hour and every column a folded table keeps: each folded table
 * is grouped from these rows rather than from every delta (the minute deltas of a key collapse
 * into one row per hour; eight aggregations over all the deltas were most of a fold's time).
 */
const HOURLY = `SELECT date_trunc('hour', minute, 'UTC') AS hour, ${HOURLY_COLUMNS.join(', ')},
        ${ROLLUP_MEASURE_COLUMNS.map((m) => `sum(${m}) AS ${m}`).join(', ')}, ${HISTOGRAM_SUM_SQL} AS latency_histogram
      FROM moved
      GROUP BY ${HOURLY_COLUMNS.map((_, i) => i + 2).join(', ')}, 1`;

/**
 * Adds the moved deltas (summed per hour in `hourly`) to one folded table, locking its rows in key
 * order (two folds never deadlock). `calls` may net to zero for a key whose minute rows were
 * deleted: `dropEmptied`.
 */
function foldInto(cuboid: FoldedCuboid, unit: FoldUnit): string {
  const table = foldedTable(cuboid, unit);
  const grouped = [...cuboid.columns, ...(cuboid.attributes ?? [])];
  // the full key per hour: `hourly`'s rows as they are
  const asIs = unit === 'hour' && HOURLY_COLUMNS.every((column) => grouped.includes(column));
  const rows = asIs
    ? `SELECT hour, ${grouped.join(', ')}, ${ROLLUP_MEASURE_COLUMNS.join(', ')}, latency_histogram
      FROM hourly`
    : `SELECT ${unit === 'hour' ? 'hour' : `date_trunc('${unit}', hour, 'UTC')`}, ${grouped.join(', ')}, ${SUMS}
      FROM hourly
      GROUP BY ${[1, ...grouped.map((_, i) => i + 2)].join(', ')}`;
  return `INSERT INTO ${table} AS r (${unit}, ${grouped.join(', ')}, ${ROLLUP_MEASURE_COLUMNS.join(', ')}, latency_histogram)
      ${rows}
      ORDER BY ${[2, 1, ...cuboid.columns.slice(1).map((_, i) => i + 3)].join(', ')}
      ON CONFLICT ON CONSTRAINT pk_${table} DO UPDATE SET
        ${ROLLUP_MEASURE_COLUMNS.map((m) => `${m} = r.${m} + EXCLUDED.${m}`).join(', ')},
        latency_histogram = ARRAY[${BUCKETS.map(
          (i) => `coalesce(r.latency_histogram[${i}], 0) + coalesce(EXCLUDED.latency_histogram[${i}], 0)`,
        ).join(', ')}]::bigint[]
      RETURNING 1`;
}

const FOLDS = FOLDED_CUBOIDS.flatMap((cuboid) =>
  cuboid.units.map((unit) => ({ cuboid, unit, name: `f_${unit}_${cuboid.suffix}` })),
);

export interface FoldChunk {
  /** Delta rows moved. */
  deltas: number;
  /** Folded rows written (inserted or added to), all tables. */
  rows: number;
  /** APIs whose calls went down (deleted or corrected minute rows): their emptied rows are dropped. */
  shrunk: string[];
}

/**
 * SQL of the hour/day folding (migration `usage-hour-day-rollups`): the triggers on
 * `usage_minute_rollups` append every change to `usage_rollup_deltas`; this moves them into every
 * folded table (`FOLDED_CUBOIDS`).
 */
@Injectable()
export class RollupFoldRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Moves up to `limit` deltas into the folded tables in ONE statement (DELETE … RETURNING feeding
   * every upsert): a reader's snapshot sees each change once, folded or pending.
   * Deltas of transactions not committed yet are not visible here and stay for the next fold.
   */
  async foldChunk(limit: number): Promise<FoldChunk> {
    return this.dataSource.transaction(async (manager) => {
      // the moved deltas and their sums per hour fit in memory (with the default 4 MB, a full chunk
      // spilled both to temporary files)
      await manager.query(`SET LOCAL work_mem = '${FOLD_WORK_MEM}'`);
      const [row] = await manager.query<{ deltas: string; rows: string; shrunk: string[] | null }[]>(
        `WITH moved AS (
           DELETE FROM usage_rollup_deltas
           WHERE ctid = ANY(ARRAY(SELECT ctid FROM usage_rollup_deltas LIMIT $1))
           RETURNING *
         ), hourly AS (
           ${HOURLY}
         ), ${FOLDS.map((f) => `${f.name} AS (\n         ${foldInto(f.cuboid, f.unit)}\n       )`).join(', ')}
         SELECT (SELECT count(*) FROM moved) AS deltas,
           ${FOLDS.map((f) => `(SELECT count(*) FROM ${f.name})`).join(' + ')} AS rows,
           (SELECT array_agg(DISTINCT api_id) FROM moved WHERE calls < 0) AS shrunk`,
        [limit],
      );
      return { deltas: Number(row.deltas), rows: Number(row.rows), shrunk: row.shrunk ?? [] };
    });
  }

  /**
   * Vacuums the deltas table (not in a transaction): it is written and emptied all the time, and
   * every analytics read scans it whole, dead rows included, until they are vacuumed. Skipped when
   * another vacuum holds it.
   */
  async vacuumDeltas(): Promise<void> {
    await this.dataSource.query('VACUUM (SKIP_LOCKED) usage_rollup_deltas');
  }

  /** Drops the folded rows of these APIs left with no calls (nothing under them any more). */
  async dropEmptied(apiIds: readonly string[]): Promise<number> {
    let dropped = 0;
    for (const { cuboid, unit } of FOLDS) {
      const [, count] = await this.dataSource.query<[unknown, number]>(
        `DELETE FROM ${foldedTable(cuboid, unit)} WHERE api_id = ANY($1::uuid[]) AND calls = 0`,
        [apiIds],
      );
      dropped += count;
    }
    return dropped;
  }
}
