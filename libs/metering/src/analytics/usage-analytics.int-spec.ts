import type { UsageEvent } from '@app/common';
import { createMeteringTestContext, usageEventFactory } from '@app/metering/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MeteringService } from '../metering.service';
import { FOLDED_CUBOIDS, foldedTable, type FoldUnit } from '../rollups/rollup-cuboids';
import { RollupFoldService } from '../rollups/rollup-fold.service';
import { UsageAnalyticsService } from './usage-analytics.service';

const T0 = Date.UTC(2032, 6, 14, 22, 40); // 22:40 UTC: calls cross an hour and a day boundary
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

const MEASURES = `calls::text, errors::text, billable_units::text, latency_ms_sum::text, latency_histogram::text AS histogram`;

/** The minute rows of one API summed per hour or day over `columns`, in SQL: what a folded table must hold. */
const regroup = (unit: FoldUnit, columns: readonly string[], apiId: string) =>
  `SELECT date_trunc('${unit}', minute, 'UTC') AS t, ${columns.join(', ')},
     sum(calls)::text AS calls, sum(errors)::text AS errors, sum(billable_units)::text AS billable_units,
     sum(latency_ms_sum)::text AS latency_ms_sum, metering_histogram_sum(latency_histogram)::text AS histogram
   FROM usage_minute_rollups WHERE api_id = '${apiId}'
   GROUP BY ${['t', ...columns].join(', ')} ORDER BY ${['t', ...columns].join(', ')}`;
const stored = (table: string, unit: FoldUnit, columns: readonly string[], apiId: string) =>
  `SELECT ${unit} AS t, ${columns.join(', ')}, ${MEASURES} FROM ${table} WHERE api_id = '${apiId}'
   ORDER BY ${['t', ...columns].join(', ')}`;

describe('analytics over the hour and day rollups (real PostgreSQL)', () => {
  let context: INestApplicationContext;
  let metering: MeteringService;
  let analytics: UsageAnalyticsService;
  let folds: RollupFoldService;
  let db: DataSource;
  const consumerAccountId = randomUUID();
  const ids = {
    consumerAccountId,
    applicationId: randomUUID(),
    apiId: randomUUID(),
    subscriptionId: randomUUID(),
    planId: randomUUID(),
  };
  const keys = [randomUUID(), randomUUID()];
  const endpoints = [randomUUID(), randomUUID(), randomUUID()];

  /** `n` calls spread over minutes from `from` (2 keys, 3 endpoints, some 4xx and 5xx). */
  const calls = (n: number, from: number, step = 7): UsageEvent[] =>
    Array.from({ length: n }, (_, i) =>
      usageEventFactory({
        ...ids,
        keyId: keys[i % 2],
        endpointId: endpoints[i % 3],
        at: at(from + ((i * step) % 180)).toISOString(),
        status: i % 11 === 0 ? 503 : i % 5 === 0 ? 404 : 200,
        latencyMs: 3 + ((i * 37) % 900),
        bytesOut: 100 + i,
      }),
    );

  beforeAll(async () => {
    context = await createMeteringTestContext();
    metering = context.get(MeteringService);
    analytics = context.get(UsageAnalyticsService);
    folds = context.get(RollupFoldService);
    db = context.get(DataSource);
    // three batches, the second and third adding to minutes the first wrote (updates, not inserts)
    await metering.applyBatch({ batchId: randomUUID(), events: calls(120, 0) });
    await metering.applyBatch({ batchId: randomUUID(), events: calls(90, 0, 11) });
    await metering.applyBatch({ batchId: randomUUID(), events: calls(40, 60, 3) });
  });

  afterAll(async () => {
    await context.close();
  });

  /** The views (folded rows + pending deltas) and, after a fold, every folded table equal the minute rows summed. */
  const expectExact = async () => {
    const full = ['subscription_id', 'key_id', 'endpoint_id', 'status_class'];
    for (const unit of ['hour', 'day'] as const) {
      expect(await db.query(stored(`usage_${unit}_rollups`, unit, full, ids.apiId))).toEqual(
        await db.query(regroup(unit, full, ids.apiId)),
      );
    }
    await folds.fold();
    for (const cuboid of FOLDED_CUBOIDS) {
      for (const unit of cuboid.units) {
        expect(await db.query(stored(foldedTable(cuboid, unit), unit, cuboid.columns, ids.apiId))).toEqual(
          await db.query(regroup(unit, cuboid.columns, ids.apiId)),
        );
      }
    }
    for (const unit of ['hour', 'day'] as const) {
      expect(await db.query(stored(`usage_${unit}_rollups`, unit, full, ids.apiId))).toEqual(
        await db.query(regroup(unit, full, ids.apiId)),
      );
    }
  };

  it('keeps the hour and day rollups equal to the minute rows summed, through inserts, updates and deletes', async () => {
    await expectExact();
    const [{ n }] = await db.query<{ n: string }[]>(
      `SELECT count(*)::text AS n FROM (SELECT DISTINCT day FROM usage_folded_day_apis WHERE api_id = $1) d`,
      [ids.apiId],
    );
    expect(n).toBe('2'); // 22:40 + 3 hours crosses midnight

    // a correction and a removal written straight to the minute rows reach the hour and day rows too
    await db.query(
      `UPDATE usage_minute_rollups SET calls = calls + 5, latency_histogram[3] = latency_histogram[3] + 5
       WHERE consumer_account_id = $1 AND minute = $2`,
      [consumerAccountId, at(0).toISOString()],
    );
    await db.query(`DELETE FROM usage_minute_rollups WHERE consumer_account_id = $1 AND minute = $2`, [
      consumerAccountId,
      at(77).toISOString(),
    ]);
    await expectExact();
    // folding twice (or concurrently) moves nothing twice
    await Promise.all([folds.fold(), folds.fold()]);
    await expectExact();
  });

  it('answers the same totals from days, hours and minutes (+ pending deltas) as from the minute rows alone', async () => {
    // a change not folded yet counts at once
    await metering.applyBatch({ batchId: randomUUID(), events: calls(13, 30, 5) });
    const scope = { kind: 'consumer' as const, consumerAccountId };
    // unaligned on both ends: minutes, an hour, a day, hours and minutes
    const from = at(-1_000);
    const to = at(24 * 60 + 95);
    const [tiered] = await analytics.breakdown(scope, from, to, [], {}, 1);
    const [minutes] = await db.query<
      { calls: string; errors: string; billable: string; histogram: string[] }[]
    >(
      `SELECT sum(calls)::text AS calls, sum(errors)::text AS errors, sum(billable_units)::text AS billable,
         metering_histogram_sum(latency_histogram) AS histogram
       FROM usage_minute_rollups WHERE consumer_account_id = $1 AND minute >= $2 AND minute < $3`,
      [consumerAccountId, from.toISOString(), to.toISOString()],
    );
    expect(tiered.calls).toBe(Number(minutes.calls));
    expect(tiered.errors).toBe(Number(minutes.errors));
    expect(tiered.billableUnits).toBe(Number(minutes.billable));
    expect(tiered.calls).toBeGreaterThan(240); // 250 calls + 5 added, less the deleted minute's

    // a range starting inside an hour leaves out the minutes before it, like the minute rows do
    const [late] = await analytics.breakdown(scope, at(30), at(24 * 60), [], {}, 1);
    const [{ calls: lateCalls }] = await db.query<{ calls: string }[]>(
      `SELECT sum(calls)::text AS calls FROM usage_minute_rollups WHERE consumer_account_id = $1 AND minute >= $2 AND minute < $3`,
      [consumerAccountId, at(30).toISOString(), at(24 * 60).toISOString()],
    );
    expect(late.calls).toBe(Number(lateCalls));

    // per hour: the same points from the hour table as from grouping minutes
    const series = await analytics.series(scope, {
      from,
      to,
      granularity: 'hour',
      filters: {},
      groupBy: ['statusClass'],
    });
    const perHour = await db.query<{ status_class: number; hour: Date; calls: string }[]>(
      `SELECT status_class, date_trunc('hour', minute, 'UTC') AS hour, sum(calls)::text AS calls FROM usage_minute_rollups
       WHERE consumer_account_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [consumerAccountId],
    );
    expect(
      series.series.flatMap((s) =>
        s.points.map((p) => [s.group.statusClass, p.start.toISOString(), String(p.calls)]),
      ),
    ).toEqual(perHour.map((r) => [r.status_class, new Date(r.hour).toISOString(), r.calls]));
  });

  it('reads the current period from the rollups with the sums billing rates', async () => {
    const periods = [
      { subscriptionId: ids.subscriptionId, start: at(-7 * 24 * 60 + 13), end: at(23 * 24 * 60 + 13) },
      { subscriptionId: ids.subscriptionId, start: at(61), end: at(62) },
      { subscriptionId: randomUUID(), start: at(0), end: at(60) },
    ];
    // the definition billing relies on: the minute rows whose first instant lies in [start, end)
    const fromMinutes = await Promise.all(
      periods.map(async (p) => {
        const [row] = await db.query<{ calls: string; billable: string; overage: string }[]>(
          `SELECT coalesce(sum(calls), 0)::text AS calls, coalesce(sum(billable_units), 0)::text AS billable,
             coalesce(sum(overage_units), 0)::text AS overage
           FROM usage_minute_rollups WHERE subscription_id = $1 AND minute >= $2 AND minute < $3`,
          [p.subscriptionId, p.start.toISOString(), p.end.toISOString()],
        );
        return {
          calls: Number(row.calls),
          billableUnits: Number(row.billable),
          overageUnits: Number(row.overage),
        };
      }),
    );
    expect(fromMinutes[0].calls).toBeGreaterThan(0);
    expect(await analytics.periodTotals(consumerAccountId, periods)).toEqual(fromMinutes);
    expect(await metering.usageForPeriods(periods)).toEqual(fromMinutes);
    // another consumer's account reads nothing of these subscriptions
    expect((await analytics.periodTotals(randomUUID(), periods.slice(0, 1)))[0].calls).toBe(0);
  });
});
