/**
 * The folded rollup tables (migration `usage-hour-day-rollups`): the minute rows summed per UTC hour
 * or day over a subset of their key columns, smallest first. The fold (RollupFoldService) keeps every
 * one of them; a reader takes the smallest that has every column it filters or groups by
 * (`cuboidFor`): a provider's 30-day per-API totals sum a few hundred rows of
 * `usage_folded_day_apis` instead of a hundred thousand of `usage_folded_day_rollups`.
 */
export type FoldUnit = 'hour' | 'day';

/** Key columns of the minute rollups (+ `consumer_account_id`, fixed by the application). */
export const ROLLUP_KEY_COLUMNS = [
  'subscription_id',
  'application_id',
  'key_id',
  'api_id',
  'endpoint_id',
  'plan_id',
  'status_class',
  'consumer_account_id',
] as const;
export type RollupKeyColumn = (typeof ROLLUP_KEY_COLUMNS)[number];

/** Summed in every folded table. */
export const ROLLUP_MEASURE_COLUMNS = [
  'calls',
  'errors',
  'bytes_in',
  'bytes_out',
  'billable_units',
  'overage_units',
  'latency_ms_sum',
] as const;

export interface FoldedCuboid {
  /** `usage_folded_<unit>_<suffix>`. */
  suffix: string;
  /** The key columns it keeps (its primary key is these and the unit's time column). */
  columns: readonly RollupKeyColumn[];
  /** Carried along but not part of the key (fixed by a key column). */
  attributes?: readonly string[];
  units: readonly FoldUnit[];
}

export const FOLDED_CUBOIDS: readonly FoldedCuboid[] = [
  // providers' per-API / per-plan totals and series
  { suffix: 'apis', columns: ['api_id', 'plan_id', 'status_class'], units: ['hour', 'day'] },
  // providers' per-endpoint totals and series
  {
    suffix: 'endpoints',
    columns: ['api_id', 'endpoint_id', 'plan_id', 'status_class'],
    units: ['hour', 'day'],
  },
  // a consumer's usage without app/key/endpoint, periods, providers' per-consumer totals, platform totals
  {
    suffix: 'subscriptions',
    columns: ['subscription_id', 'consumer_account_id', 'api_id', 'plan_id', 'status_class'],
    units: ['hour', 'day'],
  },
  // everything (+ `mode`): the minute rows summed per hour or day
  { suffix: 'rollups', columns: ROLLUP_KEY_COLUMNS, attributes: ['mode'], units: ['hour', 'day'] },
];

export const foldedTable = (cuboid: FoldedCuboid, unit: FoldUnit): string =>
  `usage_folded_${unit}_${cuboid.suffix}`;

/** The smallest folded table per `unit` holding every one of `columns`; null when none does. */
export function cuboidFor(unit: FoldUnit, columns: readonly string[]): FoldedCuboid | null {
  return (
    FOLDED_CUBOIDS.find(
      (c) =>
        c.units.includes(unit) &&
        columns.every((column) => (c.columns as readonly string[]).includes(column)),
    ) ?? null
  );
}
