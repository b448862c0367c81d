import { encodeUsageCalls, type UsageEvent } from '@app/common';
import { createMeteringTestContext, usageEventFactory } from '@app/metering/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { until } from '../../../test/support/until';
import { latencyPercentiles } from './latency-histogram';
import {
  GROUPS_IN_FLIGHT,
  MeteringService,
  REQUEST_LOG_RETENTION_DAYS,
  USAGE_BATCH_RETENTION_DAYS,
} from './metering.service';
import { NO_ID } from './usage-aggregation';

interface RollupRow {
  minute: Date;
  status_class: number;
  api_id: string;
  endpoint_id: string;
  plan_id: string;
  calls: string;
  errors: string;
  bytes_in: string;
  bytes_out: string;
  billable_units: string;
  overage_units: string;
  latency_ms_sum: string;
  latency_histogram: number[];
}

const T0 = Date.UTC(2031, 2, 4, 5, 6); // a UTC minute
const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

/** Ids of one consumer's key calling one subscribed API endpoint. */
function caller(): Pick<
  UsageEvent,
  'subscriptionId' | 'applicationId' | 'keyId' | 'consumerAccountId' | 'apiId' | 'endpointId' | 'planId'
> {
  return {
    subscriptionId: randomUUID(),
    applicationId: randomUUID(),
    keyId: randomUUID(),
    consumerAccountId: randomUUID(),
    apiId: randomUUID(),
    endpointId: randomUUID(),
    planId: randomUUID(),
  };
}

describe('MeteringService (real PostgreSQL)', () => {
  let context: INestApplicationContext;
  let second: INestApplicationContext;
  let metering: MeteringService;
  let db: DataSource;

  const rollups = (subscriptionId: string) =>
    db.query<RollupRow[]>(
      `SELECT * FROM usage_minute_rollups WHERE subscription_id = $1 ORDER BY minute, status_class, endpoint_id`,
      [subscriptionId],
    );
  const totalCalls = async (subscriptionId: string) =>
    (await rollups(subscriptionId)).reduce((sum, row) => sum + Number(row.calls), 0);
  const batch = (events: UsageEvent[], batchId = randomUUID()) => ({ batchId, events });

  beforeAll(async () => {
    context = await createMeteringTestContext();
    second = await createMeteringTestContext(); // a second worker process: its own connection pool
    metering = context.get(MeteringService);
    db = context.get(DataSource);
  });

  afterAll(async () => {
    await context?.close();
    await second?.close();
  });

  it('counts a batch applied twice once', async () => {
    const who = caller();
    const events = [0, 1, 2].map((i) => usageEventFactory({ ...who, at: at(i * 1000) }));
    const job = batch(events);

    await expect(metering.applyBatch(job)).resolves.toEqual({
      applied: true,
      events: 3,
      counted: 3,
      duplicates: 0,
      invalid: 0,
      keysMoved: 0,
      group: 1,
      billedSubscriptionIds: [who.subscriptionId],
    });
    // a redelivery counts nothing, but still names the subscriptions it bills (alerts run again)
    await expect(metering.applyBatch(job)).resolves.toEqual({
      applied: false,
      events: 3,
      counted: 0,
      duplicates: 0,
      invalid: 0,
      keysMoved: 0,
      group: 1,
      billedSubscriptionIds: [who.subscriptionId],
    });

    expect(await totalCalls(who.subscriptionId!)).toBe(3);
    const [row] = await db.query(`SELECT events, counted FROM usage_batches WHERE batch_id = $1`, [
      job.batchId,
    ]);
    expect(row).toEqual({ events: 3, counted: 3 });
  });

  it("hands each key's latest use to the key hook after the batch committed; a failing hook fails the job and its retry counts nothing twice", async () => {
    const who = caller();
    const [k1, k2] = [randomUUID(), randomUUID()].sort();
    const events = [
      usageEventFactory({ ...who, keyId: k2, at: at(1000) }),
      usageEventFactory({ ...who, keyId: k1, at: at(5000) }),
      usageEventFactory({ ...who, keyId: k1, at: at(3000) }),
    ];
    const seen: { uses: unknown; counted: number }[] = [];
    const hook = async (uses: readonly unknown[]) => {
      seen.push({ uses, counted: await totalCalls(who.subscriptionId!) });
      return uses.length;
    };
    const job = batch(events);
    // the batch commits before the hook runs: the job fails, and BullMQ's retry must not count it again
    await expect(
      metering.applyBatch(job, () => Promise.reject(new Error('api_keys unavailable'))),
    ).rejects.toThrow('api_keys unavailable');
    expect(await totalCalls(who.subscriptionId!)).toBe(3);

    await expect(metering.applyBatch(job, hook)).resolves.toMatchObject({
      applied: false,
      counted: 0,
      keysMoved: 2,
    });
    expect(seen).toEqual([
      {
        uses: [
          { keyId: k1, usedAt: new Date(at(5000)) },
          { keyId: k2, usedAt: new Date(at(1000)) },
        ],
        counted: 3,
      },
    ]);
    expect(await totalCalls(who.subscriptionId!)).toBe(3);
    // a fresh batch hands its uses once it is visible
    await expect(
      metering.applyBatch(batch([usageEventFactory({ ...who, keyId: k1, at: at(6000) })]), hook),
    ).resolves.toMatchObject({
      applied: true,
      counted: 1,
      keysMoved: 1,
    });
    expect(seen[1]).toEqual({ uses: [{ keyId: k1, usedAt: new Date(at(6000)) }], counted: 4 });
  });

  it('counts a request id seen in two batches (or twice in one) once', async () => {
    const who = caller();
    const [r1, r2, r3] = [0, 1, 2].map((i) =>
      usageEventFactory({ ...who, at: at(i * 1000), billableUnits: 2 }),
    );

    await expect(metering.applyBatch(batch([r1, r2, r2]))).resolves.toMatchObject({
      applied: true,
      counted: 2,
      duplicates: 1,
    });
    await expect(metering.applyBatch(batch([r2, r3]))).resolves.toMatchObject({
      applied: true,
      counted: 1,
      duplicates: 1,
    });

    expect(await totalCalls(who.subscriptionId!)).toBe(3);
    await expect(
      metering.usageForPeriod(who.subscriptionId!, new Date(T0), new Date(T0 + 3_600_000)),
    ).resolves.toEqual({
      calls: 3,
      billableUnits: 6,
      overageUnits: 0,
    });
    const log = await db.query<{ request_id: string }[]>(
      `SELECT request_id FROM usage_requests WHERE subscription_id = $1 ORDER BY request_id`,
      [who.subscriptionId],
    );
    expect(log.map((r) => r.request_id)).toEqual([r1, r2, r3].map((e) => e.requestId).sort());
  });

  it('sums calls, errors, bytes, units and latency histograms per minute and status class', async () => {
    const who = caller();
    const first = [
      usageEventFactory({
        ...who,
        at: at(1_000),
        status: 200,
        latencyMs: 8,
        bytesIn: 10,
        bytesOut: 1_000,
        billableUnits: 1,
      }),
      usageEventFactory({
        ...who,
        at: at(2_000),
        status: 201,
        latencyMs: 9,
        bytesIn: 20,
        bytesOut: 2_000,
        billableUnits: 3,
        overageUnits: 3,
      }),
      usageEventFactory({
        ...who,
        at: at(3_000),
        status: 404,
        latencyMs: 4,
        bytesIn: 0,
        bytesOut: 50,
        billableUnits: 1,
      }),
    ];
    const second_ = [
      usageEventFactory({
        ...who,
        at: at(59_999),
        status: 204,
        latencyMs: 200,
        bytesIn: 5,
        bytesOut: 0,
        billableUnits: 1,
      }),
      usageEventFactory({
        ...who,
        at: at(60_000),
        status: 200,
        latencyMs: 5_000,
        bytesIn: 1,
        bytesOut: 1,
        billableUnits: 1,
      }),
    ];
    await metering.applyBatch(batch(first));
    await metering.applyBatch(batch(second_)); // adds to the row the first batch made

    const rows = await rollups(who.subscriptionId!);
    expect(rows.map((r) => [r.minute.toISOString(), r.status_class, Number(r.calls)])).toEqual([
      [at(0), 2, 3],
      [at(0), 4, 1],
      [at(60_000), 2, 1],
    ]);
    const [ok, notFound] = rows;
    expect(ok).toMatchObject({
      errors: '0',
      bytes_in: '35',
      bytes_out: '3000',
      billable_units: '5',
      overage_units: '3',
      latency_ms_sum: '217',
      api_id: who.apiId,
      endpoint_id: who.endpointId,
      plan_id: who.planId,
    });
    expect(ok.latency_histogram).toHaveLength(24);
    // 8 and 9 ms in the 7–10 ms bucket, 200 ms in 150–250 ms
    expect(ok.latency_histogram.map((n, i) => [i, n]).filter(([, n]) => n > 0)).toEqual([
      [5, 2],
      [12, 1],
    ]);
    expect(notFound).toMatchObject({ calls: '1', errors: '1', billable_units: '1' });

    // the SQL aggregate and the hour view sum histograms element-wise across minutes
    const latency = await metering.latencyForPeriod(
      who.subscriptionId!,
      new Date(T0),
      new Date(T0 + 3_600_000),
    );
    const sum = rows.reduce(
      (acc, row) => acc.map((n, i) => n + row.latency_histogram[i]),
      new Array<number>(24).fill(0),
    );
    expect(latency.histogram).toEqual(sum);
    expect(sum.reduce((a, b) => a + b, 0)).toBe(5);
    expect(latency).toMatchObject(latencyPercentiles(sum));
    expect(latency.p50).toBeGreaterThan(7);
    expect(latency.p50).toBeLessThanOrEqual(10);
    expect(latency.p99).toBeGreaterThan(4_000);

    const hours = await db.query<
      { hour: Date; status_class: number; calls: string; bytes_out: string; latency_histogram: string[] }[]
    >(
      `SELECT hour, status_class, calls, bytes_out, latency_histogram FROM usage_hour_rollups WHERE subscription_id = $1 ORDER BY status_class`,
      [who.subscriptionId],
    );
    expect(hours.map((h) => [h.hour.toISOString(), h.status_class, h.calls, h.bytes_out])).toEqual([
      [new Date(Date.UTC(2031, 2, 4, 5)).toISOString(), 2, '4', '3001'],
      [new Date(Date.UTC(2031, 2, 4, 5)).toISOString(), 4, '1', '50'],
    ]);
    expect(hours[0].latency_histogram.map(Number)).toEqual(
      rows[0].latency_histogram.map((n, i) => n + rows[2].latency_histogram[i]),
    );
    const [day] = await db.query<{ day: Date; calls: string }[]>(
      `SELECT day, sum(calls)::int AS calls FROM usage_day_rollups WHERE subscription_id = $1 GROUP BY day`,
      [who.subscriptionId],
    );
    expect(day).toEqual({ day: new Date(Date.UTC(2031, 2, 4)), calls: 5 });
  });

  it('bills nothing for upstream 5xx, gateway-generated answers and test calls, whatever the event says', async () => {
    const who = caller();
    const events = [
      usageEventFactory({ ...who, at: at(1), status: 200, billableUnits: 4, overageUnits: 1 }),
      usageEventFactory({ ...who, at: at(2), status: 422, billableUnits: 2 }),
      usageEventFactory({ ...who, at: at(3), status: 500, billableUnits: 7, overageUnits: 7 }),
      usageEventFactory({ ...who, at: at(4), status: 503, billableUnits: 7 }),
      usageEventFactory({
        ...who,
        at: at(5),
        status: 504,
        generated: true,
        errorCode: 'upstream_timeout',
        billableUnits: 7,
      }),
      usageEventFactory({
        ...who,
        at: at(6),
        status: 429,
        generated: true,
        errorCode: 'rate_limit_exceeded',
        billableUnits: 7,
      }),
      usageEventFactory({ ...who, at: at(7), status: 200, generated: true, billableUnits: 7 }),
      usageEventFactory({
        ...who,
        at: at(8),
        status: 200,
        mode: 'test',
        keyPrefix: 'mp_test_ab12',
        billableUnits: 7,
      }),
    ];
    await metering.applyBatch(batch(events));

    await expect(
      metering.usageForPeriod(who.subscriptionId!, new Date(T0), new Date(T0 + 60_000)),
    ).resolves.toEqual({
      calls: 8,
      billableUnits: 6,
      overageUnits: 1,
    });
    const byClass = Object.fromEntries((await rollups(who.subscriptionId!)).map((r) => [r.status_class, r]));
    expect(byClass[5]).toMatchObject({ calls: '3', errors: '3', billable_units: '0', overage_units: '0' });
    expect(byClass[4]).toMatchObject({ calls: '2', errors: '2', billable_units: '2' });
    const log = await db.query<
      { status: number; billable_units: number; generated: boolean; mode: string }[]
    >(
      `SELECT status, billable_units, generated, mode FROM usage_requests WHERE subscription_id = $1 ORDER BY at`,
      [who.subscriptionId],
    );
    expect(log.map((r) => r.billable_units)).toEqual([4, 2, 0, 0, 0, 0, 0, 0]);
  });

  it('counts calls rejected before a subscription was resolved, under the nil id', async () => {
    const who = caller();
    const keyId = randomUUID();
    await metering.applyBatch(
      batch([
        usageEventFactory({
          ...who,
          keyId,
          subscriptionId: null,
          apiId: null,
          endpointId: null,
          planId: null,
          status: 404,
          generated: true,
          errorCode: 'api_not_found',
          at: at(1),
        }),
      ]),
    );
    const rows = await db.query(
      `SELECT subscription_id, api_id, calls, billable_units FROM usage_minute_rollups WHERE key_id = $1`,
      [keyId],
    );
    expect(rows).toEqual([{ subscription_id: NO_ID, api_id: NO_ID, calls: '1', billable_units: '0' }]);
  });

  it('writes the request log without bodies, query strings or keys', async () => {
    const who = caller();
    const event = usageEventFactory({
      ...who,
      at: at(1),
      method: 'POST',
      status: 201,
      latencyMs: 33,
      bytesIn: 12,
      bytesOut: 34,
    });
    await metering.applyBatch(batch([event]));
    const [row] = await db.query(`SELECT * FROM usage_requests WHERE request_id = $1`, [event.requestId]);
    expect(row).toEqual({
      request_id: event.requestId,
      at: new Date(event.at),
      batch_id: expect.any(String),
      consumer_account_id: who.consumerAccountId,
      application_id: who.applicationId,
      key_id: who.keyId,
      key_prefix: 'mp_live_ab12',
      api_id: who.apiId,
      subscription_id: who.subscriptionId,
      endpoint_id: who.endpointId,
      method: 'POST',
      status: 201,
      latency_ms: 33,
      bytes_in: '12',
      bytes_out: '34',
      mode: 'live',
      billable_units: 1,
      generated: false,
      error_code: null,
    });
  });

  it('writes each call of a columnar batch with its own caller and endpoint ids, "none" as null', async () => {
    // one key calling two APIs (two subscriptions), one call before its endpoint resolved: the
    // batch sends each caller and endpoint once, and the statement reads them back by index
    const who = caller();
    const other = {
      ...who,
      subscriptionId: randomUUID(),
      apiId: randomUUID(),
      endpointId: randomUUID(),
      planId: randomUUID(),
    };
    const events = [
      usageEventFactory({ ...who, at: at(1) }),
      usageEventFactory({ ...other, at: at(2) }),
      usageEventFactory({ ...who, endpointId: null, at: at(3), status: 404, generated: true }),
      usageEventFactory({ ...other, at: at(4) }),
    ];
    await expect(
      metering.applyBatch({ batchId: randomUUID(), calls: encodeUsageCalls(events) }),
    ).resolves.toMatchObject({ applied: true, counted: 4 });
    const rows = await db.query<
      { request_id: string; subscription_id: string; api_id: string; endpoint_id: string | null }[]
    >(
      `SELECT request_id, subscription_id, api_id, endpoint_id FROM usage_requests WHERE request_id = ANY($1)`,
      [events.map((e) => e.requestId)],
    );
    expect(new Map(rows.map((row) => [row.request_id, row]))).toEqual(
      new Map(
        events.map((e) => [
          e.requestId,
          {
            request_id: e.requestId,
            subscription_id: e.subscriptionId,
            api_id: e.apiId,
            endpoint_id: e.endpointId,
          },
        ]),
      ),
    );
    expect(
      (await rollups(other.subscriptionId)).map((row) => [
        row.api_id,
        row.endpoint_id,
        row.plan_id,
        row.calls,
      ]),
    ).toEqual([[other.apiId, other.endpointId, other.planId, '2']]);
    expect(
      (await rollups(who.subscriptionId!)).map((row) => [row.status_class, row.endpoint_id, row.calls]),
    ).toEqual([
      [2, who.endpointId, '1'],
      [4, NO_ID, '1'],
    ]);
  });

  it('skips malformed events and counts the rest', async () => {
    const who = caller();
    const good = usageEventFactory({ ...who, at: at(1) });
    const bad = { ...usageEventFactory({ ...who, at: at(2) }), keyId: 'not-a-uuid' };
    await expect(metering.applyBatch(batch([good, bad]))).resolves.toMatchObject({
      applied: true,
      counted: 1,
      invalid: 1,
    });
    expect(await totalCalls(who.subscriptionId!)).toBe(1);
  });

  it('counts both of two batches applied concurrently to the same rollup rows, from two processes, without deadlock', async () => {
    const who = caller();
    const endpoints = Array.from({ length: 5 }, () => randomUUID());
    // each batch touches the same 5 × 2 rows, its events in a different order
    const batches = Array.from({ length: 12 }, (_, b) =>
      batch(
        Array.from({ length: 40 }, (_, i) => {
          const endpointId = endpoints[(i * 7 + b) % endpoints.length];
          return usageEventFactory({
            ...who,
            endpointId,
            at: at(((i + b) % 2) * 60_000 + i),
            billableUnits: 1,
          });
        }).sort(() => (b % 2 === 0 ? 1 : -1)),
      ),
    );
    const services = [metering, second.get(MeteringService)];
    const results = await Promise.all(batches.map((job, i) => services[i % 2].applyBatch(job)));
    expect(results.every((r) => r.applied && r.counted === 40)).toBe(true);

    const rows = await rollups(who.subscriptionId!);
    expect(rows).toHaveLength(10);
    expect(rows.reduce((sum, row) => sum + Number(row.calls), 0)).toBe(480);
    expect(rows.reduce((sum, row) => sum + Number(row.billable_units), 0)).toBe(480);
    const histogramTotal = rows.reduce(
      (sum, row) => sum + row.latency_histogram.reduce((a, b) => a + b, 0),
      0,
    );
    expect(histogramTotal).toBe(480);
  });

  it('counts one batch delivered to two workers at the same time once', async () => {
    const who = caller();
    const job = batch(Array.from({ length: 50 }, (_, i) => usageEventFactory({ ...who, at: at(i) })));
    const results = await Promise.all([
      metering.applyBatch(job),
      second.get(MeteringService).applyBatch(job),
    ]);
    expect(results.map((r) => r.applied).sort()).toEqual([false, true]);
    expect(await totalCalls(who.subscriptionId!)).toBe(50);
  });

  describe('group commit (batches that arrive while others are written share one statement)', () => {
    /** Batches that take every in-flight slot, so the batches submitted with them wait and form one group. */
    const slotFillers = () =>
      Array.from({ length: GROUPS_IN_FLIGHT }, () => batch([usageEventFactory({ ...caller(), at: at(0) })]));

    it('applies a group as if each batch were applied alone: its own batch row, count and request-log rows', async () => {
      const who = caller();
      const jobs = Array.from({ length: 4 }, (_, b) =>
        batch(
          Array.from({ length: 20 }, (_, i) =>
            usageEventFactory({ ...who, at: at(b * 100 + i), billableUnits: 2 }),
          ),
        ),
      );
      const fillers = slotFillers();

      const results = await Promise.all([...fillers, ...jobs].map((job) => metering.applyBatch(job)));

      expect(results.map((r) => r.group)).toEqual([...fillers.map(() => 1), 4, 4, 4, 4]);
      for (const result of results.slice(fillers.length))
        expect(result).toMatchObject({ applied: true, events: 20, counted: 20, duplicates: 0 });
      expect(await totalCalls(who.subscriptionId!)).toBe(80);
      await expect(
        metering.usageForPeriod(who.subscriptionId!, new Date(T0), new Date(T0 + 3_600_000)),
      ).resolves.toEqual({ calls: 80, billableUnits: 160, overageUnits: 0 });
      const rows = await db.query<{ batch_id: string; events: number; counted: number; logged: string }[]>(
        `SELECT b.batch_id, b.events, b.counted, (SELECT count(*) FROM usage_requests r WHERE r.batch_id = b.batch_id) AS logged
         FROM usage_batches b WHERE b.batch_id = ANY($1::uuid[]) ORDER BY b.batch_id`,
        [jobs.map((job) => job.batchId)],
      );
      expect(rows).toEqual(
        jobs
          .map((job) => ({ batch_id: job.batchId, events: 20, counted: 20, logged: '20' }))
          .sort((a, b) => (a.batch_id < b.batch_id ? -1 : 1)),
      );
      const logged = await db.query<{ request_id: string; batch_id: string }[]>(
        `SELECT request_id, batch_id FROM usage_requests WHERE subscription_id = $1`,
        [who.subscriptionId],
      );
      const batchOf = new Map(jobs.flatMap((job) => job.events.map((e) => [e.requestId, job.batchId])));
      expect(logged.every((row) => batchOf.get(row.request_id) === row.batch_id)).toBe(true);
    });

    it('counts a request id in two batches of one group once, in the earlier batch', async () => {
      const who = caller();
      const [r1, r2, r3] = [0, 1, 2].map((i) => usageEventFactory({ ...who, at: at(i * 1000) }));
      const fillers = slotFillers();

      const results = await Promise.all(
        [...fillers, batch([r1, r2]), batch([r2, r3, r3])].map((job) => metering.applyBatch(job)),
      );

      expect(results.slice(fillers.length)).toMatchObject([
        { applied: true, group: 2, counted: 2, duplicates: 0 },
        { applied: true, group: 2, counted: 1, duplicates: 2 },
      ]);
      expect(await totalCalls(who.subscriptionId!)).toBe(3);
    });

    it('applies the other batches of a group when one was applied before: the group falls back to one batch at a time', async () => {
      const who = caller();
      const events = (n: number) =>
        Array.from({ length: n }, (_, i) => usageEventFactory({ ...who, at: at(i) }));
      const again = batch(events(5));
      await metering.applyBatch(again);
      const fillers = slotFillers();

      const results = await Promise.all(
        [...fillers, batch(events(3)), again, batch(events(4))].map((job) => metering.applyBatch(job)),
      );

      expect(results.slice(fillers.length)).toMatchObject([
        { applied: true, group: 1, counted: 3 },
        { applied: false, group: 1, counted: 0 },
        { applied: true, group: 1, counted: 4 },
      ]);
      expect(await totalCalls(who.subscriptionId!)).toBe(12);
    });
  });

  it('locks the rollup rows last: a batch waiting for one has written its request log already', async () => {
    const who = caller();
    await metering.applyBatch(batch([usageEventFactory({ ...who, at: at(0) })]));
    const holder = db.createQueryRunner();
    const probe = db.createQueryRunner();
    try {
      // another transaction holds the rollup row the next batch adds to
      await holder.startTransaction();
      await holder.query(`SELECT 1 FROM usage_minute_rollups WHERE subscription_id = $1 FOR UPDATE`, [
        who.subscriptionId,
      ]);
      const call = usageEventFactory({ ...who, at: at(1000) });
      const applying = metering.applyBatch(batch([call]));
      await until(
        () =>
          db.query<{ waiting: number }[]>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH %'`,
          ),
        ([row]) => row.waiting === 1,
      );
      // while it waits, its call's request id is taken (uncommitted): storing it again waits for that transaction
      await probe.query(`SET lock_timeout = '200ms'`);
      await expect(
        probe.query(
          `INSERT INTO usage_requests (request_id, at, batch_id, consumer_account_id, application_id, key_id, key_prefix,
             method, status, latency_ms, bytes_in, bytes_out, mode, billable_units, generated)
           VALUES ($1, now(), $2, $3, $4, $5, 'mp_live_probe', 'GET', 200, 1, 0, 0, 'live', 1, false)`,
          [call.requestId, randomUUID(), who.consumerAccountId, who.applicationId, who.keyId],
        ),
      ).rejects.toMatchObject({ driverError: { code: '55P03' } });
      await holder.commitTransaction();
      await expect(applying).resolves.toMatchObject({ applied: true, counted: 1 });
      expect(await totalCalls(who.subscriptionId!)).toBe(2);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
      await probe.release();
    }
  });

  it('attributes each minute to the one period holding its start', async () => {
    const who = caller();
    await metering.applyBatch(
      batch([
        usageEventFactory({ ...who, at: at(10_000), billableUnits: 1 }), // minute T0
        usageEventFactory({ ...who, at: at(70_000), billableUnits: 10 }), // minute T0 + 1 min
        usageEventFactory({ ...who, at: at(130_000), billableUnits: 100, overageUnits: 100 }), // minute T0 + 2 min
      ]),
    );
    const boundary = new Date(T0 + 30_000); // a period starting mid-minute
    const [before, after] = await metering.usageForPeriods([
      { subscriptionId: who.subscriptionId!, start: new Date(T0 - 86_400_000), end: boundary },
      { subscriptionId: who.subscriptionId!, start: boundary, end: new Date(T0 + 120_000) },
    ]);
    expect(before).toEqual({ calls: 1, billableUnits: 1, overageUnits: 0 });
    expect(after).toEqual({ calls: 1, billableUnits: 10, overageUnits: 0 });
    await expect(metering.usageForPeriod(randomUUID(), new Date(T0), new Date(T0 + 1))).resolves.toEqual({
      calls: 0,
      billableUnits: 0,
      overageUnits: 0,
    });
  });

  it('prunes request-log rows and batch ids past retention, never rollups', async () => {
    const who = caller();
    // long before every other row of the run, so pruning here cannot touch another test's rows
    const now = new Date(Date.UTC(2001, 0, 10));
    const old = usageEventFactory({
      ...who,
      at: new Date(now.getTime() - (REQUEST_LOG_RETENTION_DAYS * 86_400_000 + 1_000)).toISOString(),
    });
    const recent = usageEventFactory({ ...who, at: new Date(now.getTime() - 3_600_000).toISOString() });
    const oldBatch = batch([old]);
    await metering.applyBatch(oldBatch);
    await metering.applyBatch(batch([recent]));
    await db.query(`UPDATE usage_batches SET applied_at = $2 WHERE batch_id = $1`, [
      oldBatch.batchId,
      new Date(now.getTime() - (USAGE_BATCH_RETENTION_DAYS * 86_400_000 + 1_000)),
    ]);

    const pruned = await metering.pruneExpired(now);
    expect(pruned.requests).toBeGreaterThanOrEqual(1);
    expect(pruned.batches).toBeGreaterThanOrEqual(1);
    const log = await db.query<{ request_id: string }[]>(
      `SELECT request_id FROM usage_requests WHERE subscription_id = $1`,
      [who.subscriptionId],
    );
    expect(log.map((r) => r.request_id)).toEqual([recent.requestId]);
    expect(await db.query(`SELECT 1 FROM usage_batches WHERE batch_id = $1`, [oldBatch.batchId])).toEqual([]);
    expect(await totalCalls(who.subscriptionId!)).toBe(2);
  });
});
