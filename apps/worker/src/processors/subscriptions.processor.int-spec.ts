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
  EventBus,
  JOB_QUEUES,
  JobQueue,
  REDIS,
} from '@app/common';
import { IdentityEnv } from '@app/identity';
import { SUBSCRIPTION_CHANGED_EVENT, SubscriptionsModule, SubscriptionsService } from '@app/subscriptions';
import { type DynamicModule, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Worker } from 'bullmq';
import type Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '@migrations';
import { ADMIN_DATABASE_URL, databaseUrlFor } from '../../../../test/support/test-run';
import { until } from '../../../../test/support/until';
import { WorkerEnv, WorkerHttpEnv } from '../worker.env';
import {
  ADVANCE_PERIODS_EVERY_MS,
  ADVANCE_PERIODS_JOB,
  SubscriptionsProcessor,
  SubscriptionsScheduler,
} from './subscriptions.processor';

/** The worker's subscriptions processor and scheduler on their own, without the dispatcher (the test drives the queue). */
@Module({})
class PeriodJobTestModule {
  static forRoot(rawEnv: Record<string, unknown>): DynamicModule {
    return {
      module: PeriodJobTestModule,
      imports: [
        CoreModule.forRoot({
          app: 'period-job-test',
          env: WorkerEnv,
          envFragments: [IdentityEnv, WorkerHttpEnv, BillingEnv, EncryptionEnv],
          migrations: [],
          rawEnv,
        }),
        SubscriptionsModule,
      ],
      providers: [SubscriptionsProcessor, SubscriptionsScheduler],
    };
  }
}

interface Row {
  id: string;
  status: string;
  current_period_start: Date | null;
  current_period_end: Date | null;
  trial_ends_at: Date | null;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  updated_at: Date;
}

const d = (iso: string): Date => new Date(iso);

/**
 * The scheduled period job on real PostgreSQL and Redis. It scans every due subscription of the
 * database, so this suite uses a database of its own (migrated here): moving its clock must not
 * settle other suites' subscriptions, nor theirs (running on the system clock) settle these.
 */
describe('subscriptions.advance-periods: the scheduled period job', () => {
  const database = `portico_test_periods_${randomBytes(4).toString('hex')}`;
  const prefix = `${process.env.REDIS_PREFIX ?? 'portico-test'}-periods-${randomBytes(3).toString('hex')}`;
  const clock = new ManualClock(d('2030-01-10T12:00:00.000Z'));
  let context: TestingModule;
  let dataSource: DataSource;
  let worker: Worker | undefined;
  const announced: string[] = [];

  async function admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: ADMIN_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${database}"`);
    const migrator = new DataSource({
      type: 'postgres',
      url: databaseUrlFor(database),
      migrations: MIGRATIONS,
      migrationsTableName: 'typeorm_migrations',
    });
    await migrator.initialize();
    await migrator.runMigrations({ transaction: 'each' });
    await migrator.destroy();

    context = await Test.createTestingModule({
      imports: [
        PeriodJobTestModule.forRoot({
          ...process.env,
          DATABASE_URL: databaseUrlFor(database),
          REDIS_PREFIX: prefix,
        }),
      ],
    })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    context.useLogger(false);
    await context.init();
    dataSource = context.get(DataSource);
    await context.get(EventBus).subscribe(SUBSCRIPTION_CHANGED_EVENT, (message) => announced.push(message));
  });

  afterAll(async () => {
    await worker?.close();
    if (context) {
      const redis = context.get<Redis>(REDIS);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await context.close();
    }
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });

  let apiId: string;
  let monthlyPlanId: string;

  async function insertSubscription(values: {
    status: string;
    anchor: Date | null;
    periodStart?: Date | null;
    periodEnd?: Date | null;
    trialEndsAt?: Date | null;
    cancelAtPeriodEnd?: boolean;
    canceledAt?: Date | null;
  }): Promise<{ id: string; consumer: string }> {
    const consumer = randomUUID();
    const [row] = await dataSource.query<{ id: string }[]>(
      `INSERT INTO subscriptions (consumer_account_id, api_id, provider_id, plan_id, status, anchor,
         current_period_start, current_period_end, trial_ends_at, cancel_at_period_end, canceled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [
        consumer,
        apiId,
        randomUUID(),
        monthlyPlanId,
        values.status,
        values.anchor,
        values.periodStart ?? values.anchor,
        values.periodEnd ?? null,
        values.trialEndsAt ?? null,
        values.cancelAtPeriodEnd ?? false,
        values.canceledAt ?? null,
      ],
    );
    return { id: row.id, consumer };
  }

  const rows = async (ids: string[]): Promise<Map<string, Row>> => {
    const found = await dataSource.query<Row[]>(
      `SELECT id, status, current_period_start, current_period_end, trial_ends_at, cancel_at_period_end,
              canceled_at, updated_at
         FROM subscriptions WHERE id = ANY($1)`,
      [ids],
    );
    return new Map(found.map((row) => [row.id, row]));
  };

  it('advances due subscriptions only: trials end, periods roll, cancellations at period end take effect; a re-run is a no-op', async () => {
    const provider = await insertProvider(dataSource, randomUUID());
    apiId = (await insertListing(dataSource, provider.id, { status: 'published', publishedAt: clock.now() }))
      .id;
    monthlyPlanId = (await insertPlan(dataSource, apiId, { priceAmountMinor: '1500' })).id;

    const anchor = d('2030-01-10T12:00:00.000Z');
    const firstEnd = d('2030-02-10T12:00:00.000Z');
    const rolling = await insertSubscription({ status: 'active', anchor, periodEnd: firstEnd });
    const canceling = await insertSubscription({
      status: 'active',
      anchor,
      periodEnd: firstEnd,
      cancelAtPeriodEnd: true,
    });
    const trial = await insertSubscription({
      status: 'trialing',
      anchor,
      periodEnd: firstEnd,
      trialEndsAt: d('2030-01-24T12:00:00.000Z'),
    });
    const later = await insertSubscription({
      status: 'active',
      anchor: d('2030-02-01T00:00:00.000Z'),
      periodEnd: d('2030-03-01T00:00:00.000Z'),
    });
    const ended = await insertSubscription({
      status: 'canceled',
      anchor,
      periodEnd: firstEnd,
      canceledAt: d('2030-01-12T00:00:00.000Z'),
    });
    const unpaid = await insertSubscription({ status: 'incomplete', anchor: null });
    const all = [rolling, canceling, trial, later, ended, unpaid].map((s) => s.id);
    const processor = context.get(SubscriptionsProcessor);

    // the scheduler registered one job scheduler, and registering again (another replica, a restart) keeps one
    const queue = context.get(JobQueue).queue(JOB_QUEUES[ADVANCE_PERIODS_JOB]);
    await context.get(SubscriptionsScheduler).onApplicationBootstrap();
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({
      key: ADVANCE_PERIODS_JOB,
      name: ADVANCE_PERIODS_JOB,
      every: ADVANCE_PERIODS_EVERY_MS,
    });

    // nothing is due yet
    await expect(processor.advancePeriods({})).resolves.toEqual({ due: 0, changed: 0, failed: 0 });

    // two weeks on, the trial has ended: the scheduled job (through BullMQ) makes it active, period unchanged
    clock.at = d('2030-01-25T00:00:00.000Z');
    const results: unknown[] = [];
    worker = new Worker(
      JOB_QUEUES[ADVANCE_PERIODS_JOB],
      (job) => processor.advancePeriods(job.data as Record<string, never>),
      {
        connection: bullConnection(context.get(CoreEnv)),
        prefix: bullPrefix(context.get(CoreEnv)),
      },
    );
    worker.on('completed', (job, result) => {
      if (job.name === ADVANCE_PERIODS_JOB) results.push(result);
    });
    await until(
      () => Promise.resolve(results),
      (r) => r.length > 0,
    );
    await worker.close();
    worker = undefined;
    expect(results[0]).toEqual({ due: 1, changed: 1, failed: 0 });
    let now = await rows(all);
    expect(now.get(trial.id)).toMatchObject({ status: 'active', current_period_end: firstEnd });
    expect(now.get(rolling.id)).toMatchObject({ status: 'active', current_period_end: firstEnd });
    await until(
      () => Promise.resolve(announced),
      (messages) => messages.includes(`${trial.consumer}:${apiId}`),
    );

    // past the first period end
    clock.at = d('2030-02-15T00:00:00.000Z');
    const before = await rows(all);
    await expect(processor.advancePeriods({})).resolves.toEqual({ due: 3, changed: 3, failed: 0 });
    now = await rows(all);
    const secondPeriod = {
      current_period_start: firstEnd,
      current_period_end: d('2030-03-10T12:00:00.000Z'),
    };
    expect(now.get(rolling.id)).toMatchObject({ status: 'active', ...secondPeriod });
    expect(now.get(trial.id)).toMatchObject({ status: 'active', ...secondPeriod });
    expect(now.get(canceling.id)).toMatchObject({
      status: 'canceled',
      canceled_at: firstEnd,
      cancel_at_period_end: false,
      current_period_end: firstEnd,
    });
    for (const untouched of [later, ended, unpaid])
      expect(now.get(untouched.id)).toEqual(before.get(untouched.id));
    await until(
      () => Promise.resolve(announced),
      (messages) =>
        [rolling, canceling, trial].every(
          (s) => messages.filter((m) => m === `${s.consumer}:${apiId}`).length >= 1,
        ),
    );
    for (const untouched of [later, ended, unpaid])
      expect(announced).not.toContain(`${untouched.consumer}:${apiId}`);

    // running again (the next tick, or a second worker) finds nothing due and writes nothing
    const settled = await rows(all);
    const heard = announced.length;
    await expect(processor.advancePeriods({})).resolves.toEqual({ due: 0, changed: 0, failed: 0 });
    expect(await rows(all)).toEqual(settled);
    // what a read shows agrees with what the job wrote (reads settle with the same code)
    const live = await context.get(SubscriptionsService).findLiveWithPlan(rolling.consumer, apiId);
    expect(live?.subscription).toMatchObject({
      status: 'active',
      currentPeriodEnd: secondPeriod.current_period_end,
    });
    expect(await rows(all)).toEqual(settled);
    expect(announced.length).toBe(heard);
  });

  it('works in bounded batches: a run stops after maxBatches and the next run continues', async () => {
    clock.at = d('2030-06-01T00:00:00.000Z');
    const anchor = d('2030-05-01T08:00:00.000Z');
    const due = await Promise.all(
      Array.from({ length: 5 }, () =>
        insertSubscription({ status: 'active', anchor, periodEnd: d('2030-06-01T00:00:00.000Z') }),
      ),
    );
    const service = context.get(SubscriptionsService);
    // the first test's subscriptions are due again by now (their next period ended too)
    const first = await service.advanceDuePeriods({ batchSize: 2, maxBatches: 2 });
    expect(first).toMatchObject({ due: 4, changed: 4, failed: 0 });
    const rest = await service.advanceDuePeriods({ batchSize: 2, maxBatches: 10 });
    expect(rest.due).toBeGreaterThanOrEqual(1);
    expect(rest).toMatchObject({ changed: rest.due, failed: 0 });
    await expect(service.advanceDuePeriods({ batchSize: 2, maxBatches: 10 })).resolves.toEqual({
      due: 0,
      changed: 0,
      failed: 0,
    });
    const settled = await rows(due.map((s) => s.id));
    for (const s of due)
      expect(settled.get(s.id)).toMatchObject({
        status: 'active',
        current_period_start: d('2030-05-01T08:00:00.000Z'),
        current_period_end: d('2030-06-01T08:00:00.000Z'),
      });
  });
});
