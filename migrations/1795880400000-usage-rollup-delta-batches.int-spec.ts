import { randomUUID } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { beforeMigration } from '../test/support/migration-scratch';
import { UsageRollupDeltaBatches1795880400000 } from './1795880400000-usage-rollup-delta-batches';

const MINUTE = '2031-05-06T07:08:00.000Z';

/** A delta row's measures, as the test reads them (integers). */
interface Measures {
  calls: number;
  errors: number;
  bytes_in: number;
  bytes_out: number;
  billable_units: number;
  overage_units: number;
  latency_ms_sum: number;
}
/** A 24-bucket histogram with `count` calls in bucket `bucket` (1-based). */
const histogram = (bucket: number, count: number) =>
  Array.from({ length: 24 }, (_, i) => (i + 1 === bucket ? count : 0));

describe('UsageRollupDeltaBatches1795880400000 on PostgreSQL', () => {
  it('reads pending delta rows and delta batches as rows (the exact hour view too); down keeps every pending delta as a row', async () => {
    await beforeMigration(UsageRollupDeltaBatches1795880400000, async (runner) => {
      const [consumer, application, key, api, subscription, plan, e1, e2] = Array.from({ length: 8 }, () =>
        randomUUID(),
      );
      // a minute row written before: its trigger logs one delta row
      await runner.query(
        `INSERT INTO usage_minute_rollups (subscription_id, minute, application_id, key_id, api_id, endpoint_id, plan_id,
           status_class, consumer_account_id, mode, calls, errors, bytes_in, bytes_out, billable_units, overage_units,
           latency_ms_sum, latency_histogram)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 2, $8, 'live', 5, 0, 0, 50, 5, 0, 40, $9)`,
        [subscription, MINUTE, application, key, api, e1, plan, consumer, histogram(3, 5)],
      );
      const migration = new UsageRollupDeltaBatches1795880400000();
      await migration.up(runner);
      // a delta batch as the batch apply appends it: one caller, two endpoints, two rows
      await runner.query(
        `INSERT INTO usage_rollup_delta_batches (consumers, applications, keys, apis, subscriptions, endpoints, plans,
           caller, endpoint, minute, status_class, mode, calls, errors, bytes_in, bytes_out, billable_units,
           overage_units, latency_ms_sum, latency_histograms, deltas)
         VALUES ($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], '{1,1}', '{1,2}',
           $8::timestamptz[], '{2,4}', '{live,live}', '{3,1}', '{0,1}', '{10,0}', '{100,5}', '{3,0}', '{0,0}', '{30,7}',
           $9::int[], 2)`,
        [
          [consumer],
          [application],
          [key],
          [api],
          [subscription],
          [e1, e2],
          [plan],
          [MINUTE, MINUTE],
          [...histogram(1, 3), ...histogram(2, 1)],
        ],
      );
      const pending = (table: string) =>
        runner.query(
          `SELECT subscription_id, application_id, key_id, api_id, endpoint_id, plan_id, consumer_account_id,
             minute, status_class, mode, calls::int, errors::int, bytes_in::int, bytes_out::int, billable_units::int,
             overage_units::int, latency_ms_sum::int, latency_histogram
           FROM ${table}`,
        );
      const row = (endpoint: string, statusClass: number, bucket: number, measures: Measures) => ({
        subscription_id: subscription,
        application_id: application,
        key_id: key,
        api_id: api,
        endpoint_id: endpoint,
        plan_id: plan,
        consumer_account_id: consumer,
        minute: new Date(MINUTE),
        status_class: statusClass,
        mode: 'live',
        ...measures,
        latency_histogram: histogram(bucket, measures.calls),
      });
      const none = { errors: 0, bytes_in: 0, overage_units: 0 };
      const expected = [
        row(e1, 2, 1, {
          ...none,
          calls: 3,
          bytes_in: 10,
          bytes_out: 100,
          billable_units: 3,
          latency_ms_sum: 30,
        }),
        row(e1, 2, 3, { ...none, calls: 5, bytes_out: 50, billable_units: 5, latency_ms_sum: 40 }),
        row(e2, 4, 2, { ...none, calls: 1, errors: 1, bytes_out: 5, billable_units: 0, latency_ms_sum: 7 }),
      ];
      expect(sortByEndpoint(await pending('usage_pending_rollup_deltas'), e1)).toEqual(expected);
      const hourCalls = () => hourTotal(runner, subscription);
      await expect(hourCalls()).resolves.toBe(9);

      await migration.down(runner);
      expect(sortByEndpoint(await pending('usage_rollup_deltas'), e1)).toEqual(expected);
      await expect(hourCalls()).resolves.toBe(9);
      await expect(
        runner.query(
          `SELECT to_regclass('usage_rollup_delta_batches') AS batches, to_regclass('usage_pending_rollup_deltas') AS view`,
        ),
      ).resolves.toEqual([{ batches: null, view: null }]);
    });
  });
});

/** Rows of endpoint `first` first, then by status class and calls (the order the expectations list). */
function sortByEndpoint<T extends { endpoint_id: string; status_class: number; calls: number }>(
  rows: T[],
  first: string,
): T[] {
  return [...rows].sort(
    (a, b) =>
      Number(b.endpoint_id === first) - Number(a.endpoint_id === first) ||
      a.status_class - b.status_class ||
      a.calls - b.calls,
  );
}

/** The calls of a subscription in the exact hour view (folded rows plus pending deltas). */
async function hourTotal(runner: QueryRunner, subscriptionId: string): Promise<number> {
  const [{ calls }] = await runner.query(
    `SELECT coalesce(sum(calls), 0)::int AS calls FROM usage_hour_rollups WHERE subscription_id = $1`,
    [subscriptionId],
  );
  return calls;
}
