import { randomBytes, randomUUID } from 'node:crypto';
import { ManualClock } from '@app/common/testing';
import { BillingEnv } from '@app/billing';
import { insertListing, insertPlan, insertProvider } from '@app/catalog/testing';
import {
  bullConnection,
  bullPrefix,
  Clock,
  CoreEnv,
  CoreModule,
  EncryptionEnv,
  JOB_QUEUES,
  JobQueue,
  REDIS,
} from '@app/common';
import {
  createLimiterRedis,
  QuotaReconciliationModule,
  quotaCounterKey,
  quotaPeriodKey,
  RedisLimiter,
  type QuotaReconciliationReport,
} from '@app/gateway';
import { IdentityEnv } from '@app/identity';
import { MeteringService } from '@app/metering';
import { usageEventFactory } from '@app/metering/testing';
import { type DynamicModule, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Worker, type Job } from 'bullmq';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { until } from '../../../../test/support/until';
import { WorkerEnv, WorkerHttpEnv } from '../worker.env';
import {
  QuotaProcessor,
  QuotaScheduler,
  RECONCILE_QUOTAS_EVERY_MS,
  RECONCILE_QUOTAS_JOB,
} from './quota.processor';

@Module({})
class QuotaJobTestModule {
  static forRoot(rawEnv: Record<string, unknown>): DynamicModule {
    return {
      module: QuotaJobTestModule,
      imports: [
        CoreModule.forRoot({
          app: 'quota-job-test',
          env: WorkerEnv,
          envFragments: [IdentityEnv, WorkerHttpEnv, BillingEnv, EncryptionEnv],
          migrations: [],
          rawEnv,
        }),
        QuotaReconciliationModule,
      ],
      providers: [QuotaProcessor, QuotaScheduler],
    };
  }
}

const d = (iso: string): Date => new Date(iso);

/**
 * `gateway.reconcile-quotas` on the real PostgreSQL (rollups written by MeteringService) and Redis
 * (the limiter's own key builder and script read the counters back). Its own Redis prefix; its
 * subscriptions live in 2041, where no other suite's periods run.
 */
describe('gateway.reconcile-quotas: Redis quota counters rebuilt from the rollups', () => {
  const prefix = `${process.env.REDIS_PREFIX ?? 'portico-test'}-quota-${randomBytes(3).toString('hex')}`;
  const clock = new ManualClock(d('2041-03-15T12:00:00.000Z'));
  const march = { start: d('2041-03-01T00:00:00.000Z'), end: d('2041-04-01T00:00:00.000Z') };
  let context: TestingModule;
  let redis: Redis;
  let limiterRedis: Redis;
  let db: DataSource;
  let processor: QuotaProcessor;
  let worker: Worker | undefined;
  let quotaPlanId: string;
  let unlimitedPlanId: string;
  let apiId: string;

  beforeAll(async () => {
    context = await Test.createTestingModule({
      imports: [QuotaJobTestModule.forRoot({ ...process.env, REDIS_PREFIX: prefix })],
    })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    context.useLogger(false);
    await context.init();
    redis = context.get<Redis>(REDIS);
    limiterRedis = createLimiterRedis(context.get(CoreEnv).REDIS_URL, { commandTimeoutMs: 2_000 });
    db = context.get(DataSource);
    processor = context.get(QuotaProcessor);
    const provider = await insertProvider(db, randomUUID());
    apiId = (await insertListing(db, provider.id, { status: 'published', publishedAt: clock.now() })).id;
    quotaPlanId = (await insertPlan(db, apiId, { quotaLimit: '1000', quotaMode: 'hard' })).id;
    unlimitedPlanId = (await insertPlan(db, apiId, { quotaLimit: null })).id;
  });

  afterAll(async () => {
    await worker?.close();
    limiterRedis?.disconnect();
    if (context) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await context.close();
    }
  });

  async function subscription(planId: string, start: Date, end: Date, status = 'active'): Promise<string> {
    const [row] = await db.query<{ id: string }[]>(
      `INSERT INTO subscriptions (consumer_account_id, api_id, provider_id, plan_id, status, anchor,
         current_period_start, current_period_end)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`,
      [randomUUID(), apiId, randomUUID(), planId, status, start, end],
    );
    return row.id;
  }

  /** Calls through the real apply path: `units` billable units each, at `at`. */
  async function calls(subscriptionId: string, n: number, at: Date, overrides = {}): Promise<void> {
    const events = Array.from({ length: n }, () =>
      usageEventFactory({ subscriptionId, at: at.toISOString(), billableUnits: 1, ...overrides }),
    );
    await context.get(MeteringService).applyBatch({ batchId: randomUUID(), events });
  }

  const counterKey = (subscriptionId: string, start: Date) =>
    quotaCounterKey(prefix, subscriptionId, quotaPeriodKey(start));

  it('seeds a wiped counter with the rollups, raises one that fell behind, never lowers one that is ahead', async () => {
    const wiped = await subscription(quotaPlanId, march.start, march.end);
    const ahead = await subscription(quotaPlanId, march.start, march.end);
    const behind = await subscription(quotaPlanId, march.start, march.end);
    const unlimited = await subscription(unlimitedPlanId, march.start, march.end);
    // its period ended and the period job has not rolled it yet: left for the next run
    const due = await subscription(quotaPlanId, d('2041-02-10T00:00:00.000Z'), d('2041-03-10T00:00:00.000Z'));

    // wiped: 40 units billed in March (2 units a call), plus calls that bill nothing, plus February's
    await calls(wiped, 20, d('2041-03-02T10:00:00.000Z'), { billableUnits: 2 });
    await calls(wiped, 5, d('2041-03-03T10:00:00.000Z'), { status: 503 }); // fair metering: 0 units
    await calls(wiped, 3, d('2041-03-03T11:00:00.000Z'), { mode: 'test' }); // test calls: 0 units
    await calls(wiped, 7, d('2041-02-28T23:59:59.000Z')); // the previous period
    await calls(ahead, 10, d('2041-03-05T10:00:00.000Z'));
    await calls(behind, 30, d('2041-03-06T10:00:00.000Z'));
    await calls(unlimited, 4, d('2041-03-06T10:00:00.000Z'));
    await calls(due, 4, d('2041-03-06T10:00:00.000Z'));

    // Redis as after a loss: `wiped` has no counter; `behind` kept an older 12; `ahead` counts calls
    // the gateway admitted that are still on their way to the rollups (25 > 10)
    await redis.set(counterKey(ahead, march.start), '25', 'PX', 3_600_000);
    await redis.set(counterKey(behind, march.start), '12', 'PX', 3_600_000);

    const report = await processor.reconcileQuotas({
      subscriptionIds: [wiped, ahead, behind, unlimited, due],
    });

    expect(report).toMatchObject({
      at: clock.now().toISOString(),
      checked: 3,
      seeded: 1,
      unchanged: 1,
      failed: 0,
    });
    expect(report.corrected).toEqual(
      expect.arrayContaining([
        { subscriptionId: wiped, periodKey: march.start.toISOString(), before: null, after: 40 },
        { subscriptionId: behind, periodKey: march.start.toISOString(), before: 12, after: 30 },
      ]),
    );
    expect(report.corrected).toHaveLength(2);
    expect(report.unitsRestored).toBe(40 + 18);
    expect(await redis.get(counterKey(wiped, march.start))).toBe('40');
    expect(await redis.get(counterKey(behind, march.start))).toBe('30');
    expect(await redis.get(counterKey(ahead, march.start))).toBe('25');
    // no counter for a plan without a quota, nor for a period that already ended
    expect(await redis.exists(counterKey(unlimited, march.start))).toBe(0);
    expect(await redis.exists(counterKey(due, d('2041-02-10T00:00:00.000Z')))).toBe(0);

    // a seeded counter expires with its period (+24 h), as one the limiter creates; a raised one keeps its TTL
    const seededTtl = await redis.pttl(counterKey(wiped, march.start));
    const expected = march.end.getTime() - clock.now().getTime() + 24 * 3600 * 1000;
    expect(seededTtl).toBeGreaterThan(expected - 60_000);
    expect(seededTtl).toBeLessThanOrEqual(expected);
    expect(await redis.pttl(counterKey(behind, march.start))).toBeLessThanOrEqual(3_600_000);

    // the gateway's limiter reads the very counter the reconciliation wrote (one key builder)
    const limiter = new RedisLimiter(limiterRedis, { prefix });
    const decision = await limiter.decide({
      subscriptionId: wiped,
      planLimits: {},
      quota: {
        limit: 1000,
        mode: 'hard',
        periodKey: quotaPeriodKey(march.start),
        periodStartsAt: march.start.getTime(),
        periodEndsAt: march.end.getTime(),
      },
      weight: 1,
    });
    expect(decision.quota).toMatchObject({ used: 41, remaining: 959 });

    // running again finds nothing to correct
    const again = await processor.reconcileQuotas({ subscriptionIds: [wiped, ahead, behind] });
    expect(again).toMatchObject({ checked: 3, seeded: 0, unchanged: 3, corrected: [], unitsRestored: 0 });
    expect(await redis.get(counterKey(wiped, march.start))).toBe('41');
  });

  it("seeds the new period's counter at a period boundary and leaves the old period's alone", async () => {
    const sub = await subscription(quotaPlanId, march.start, march.end);
    await calls(sub, 6, d('2041-03-20T10:00:00.000Z'));
    clock.at = d('2041-03-20T12:00:00.000Z');
    await processor.reconcileQuotas({ subscriptionIds: [sub] });
    expect(await redis.get(counterKey(sub, march.start))).toBe('6');

    // the period rolled (as the period job writes it) and calls arrived before Redis held the new counter
    const april = { start: march.end, end: d('2041-05-01T00:00:00.000Z') };
    await db.query(
      `UPDATE subscriptions SET current_period_start = $2, current_period_end = $3 WHERE id = $1`,
      [sub, april.start, april.end],
    );
    await calls(sub, 2, d('2041-04-01T00:00:10.000Z'));
    clock.at = d('2041-04-01T00:01:00.000Z');
    const report = await processor.reconcileQuotas({ subscriptionIds: [sub] });
    expect(report).toMatchObject({ checked: 1, seeded: 1 });
    expect(report.corrected).toEqual([
      { subscriptionId: sub, periodKey: april.start.toISOString(), before: null, after: 2 },
    ]);
    expect(await redis.get(counterKey(sub, april.start))).toBe('2');
    expect(await redis.get(counterKey(sub, march.start))).toBe('6');

    // a new period without calls yet is seeded at 0: no drift to report
    const fresh = await subscription(quotaPlanId, april.start, april.end);
    const seeded = await processor.reconcileQuotas({ subscriptionIds: [fresh] });
    expect(seeded).toMatchObject({ checked: 1, seeded: 1, corrected: [] });
    expect(await redis.get(counterKey(fresh, april.start))).toBe('0');
  });

  it('after Redis lost its data, the scheduler notices, re-creates itself and a reconciliation restores the counters', async () => {
    clock.at = d('2041-03-15T12:00:00.000Z');
    const sub = await subscription(quotaPlanId, march.start, march.end);
    await calls(sub, 9, d('2041-03-10T10:00:00.000Z'));
    const scheduler = context.get(QuotaScheduler);
    const queue = context.get(JobQueue).queue(JOB_QUEUES[RECONCILE_QUOTAS_JOB]);

    // boot registered one scheduler (idempotent across workers and restarts)
    await expect(scheduler.ensureScheduler('boot', true)).resolves.toBe(false);
    expect(await queue.getJobSchedulers()).toEqual([
      expect.objectContaining({ key: RECONCILE_QUOTAS_JOB, every: RECONCILE_QUOTAS_EVERY_MS }),
    ]);
    await expect(scheduler.ensureScheduler('redis-data-lost')).resolves.toBe(false);

    // Redis loses everything under this install's prefix (our prefix only: never FLUSHALL a shared server)
    const lost = await redis.keys(`${prefix}:*`);
    await redis.del(...lost);
    expect(await queue.getJobSchedulers()).toEqual([]);

    await expect(scheduler.ensureScheduler('redis-data-lost')).resolves.toBe(true);
    expect(await queue.getJobSchedulers()).toHaveLength(1);

    const reports: { reason?: string; report: QuotaReconciliationReport }[] = [];
    worker = new Worker(
      JOB_QUEUES[RECONCILE_QUOTAS_JOB],
      async (job: Job) => {
        const report = await processor.reconcileQuotas(job.data as { reason?: string });
        reports.push({ reason: (job.data as { reason?: string }).reason, report });
        return report;
      },
      { connection: bullConnection(context.get(CoreEnv)), prefix: bullPrefix(context.get(CoreEnv)) },
    );
    const drift = { subscriptionId: sub, periodKey: march.start.toISOString(), before: null, after: 9 };
    // the re-created scheduler's first run and the immediate 'redis-data-lost' run both come; whichever
    // runs first finds the wiped counter (a full scan: every running subscription with a quota), the other nothing
    await until(
      () => Promise.resolve(reports),
      (r) => r.some((entry) => entry.reason === 'redis-data-lost'),
      15_000,
    );
    const corrections = reports.flatMap((entry) => entry.report.corrected);
    expect(corrections.filter((c) => c.subscriptionId === sub)).toEqual([drift]);
    expect(await redis.get(counterKey(sub, march.start))).toBe('9');
    // the completed job keeps the report (what was corrected is recorded, not only logged)
    const done = await queue.getJobs(['completed']);
    const recorded = done.flatMap((job) => (job.returnvalue as QuotaReconciliationReport).corrected);
    expect(recorded).toEqual(expect.arrayContaining([drift]));
  });
});
