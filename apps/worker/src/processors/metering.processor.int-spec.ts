import { bullConnection, bullPrefix, CoreEnv, JOB_QUEUES, JobQueue, type JobPayloads } from '@app/common';
import { UsageBuffer } from '@app/gateway';
import { ApiKeysService } from '@app/identity';
import { createIdentityTestContext, createTestConsumer } from '@app/identity/testing';
import { MeteringService } from '@app/metering';
import { createMeteringTestContext, usageEventFactory } from '@app/metering/testing';
import { UsageControlsService, type UsageControlsOutcome } from '@app/subscriptions';
import type { INestApplicationContext } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { until } from '../../../../test/support/until';
import { MeteringProcessor } from './metering.processor';

type Payload = JobPayloads['metering.apply-usage-batch'];

describe('usage: gateway buffer → one job per batch → worker → rollups', () => {
  // a Redis prefix of our own, so no other suite's worker takes our jobs and ours takes none of theirs
  const env = Object.assign(new CoreEnv(), {
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'portico-test'}-metering-${randomUUID().slice(0, 8)}`,
  });
  const jobs = new JobQueue(env);
  let context: INestApplicationContext;
  let identity: INestApplicationContext;
  let processor: MeteringProcessor;
  let worker: Worker<Payload> | undefined;

  const calls = async (subscriptionId: string): Promise<number> => {
    const [row] = await context
      .get(DataSource)
      .query<{ calls: number }[]>(
        `SELECT coalesce(sum(calls), 0)::int AS calls FROM usage_minute_rollups WHERE subscription_id = $1`,
        [subscriptionId],
      );
    return row.calls;
  };

  beforeAll(async () => {
    context = await createMeteringTestContext();
    identity = await createIdentityTestContext({ REDIS_PREFIX: env.REDIS_PREFIX });
    processor = new MeteringProcessor(context.get(MeteringService), identity.get(ApiKeysService));
  });

  afterAll(async () => {
    await worker?.close();
    await jobs.onApplicationShutdown();
    const redis = new Redis(env.REDIS_URL);
    const keys = await redis.keys(`${env.REDIS_PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await identity.close();
    await context.close();
  });

  const lastUsed = async (keyId: string): Promise<string | null> => {
    const [row] = await context
      .get(DataSource)
      .query<{ last_used_at: Date | null }[]>('SELECT last_used_at FROM api_keys WHERE id = $1', [keyId]);
    return row?.last_used_at?.toISOString() ?? null;
  };

  it('counts every call the gateway buffered exactly once, also when a batch is delivered again', async () => {
    const subscriptionId = randomUUID();
    const who = {
      subscriptionId,
      applicationId: randomUUID(),
      keyId: randomUUID(),
      consumerAccountId: randomUUID(),
    };
    // small batches keep Redis replies small (a large reply leaves ioredis' parser a timer that outlives the test)
    const buffer = new UsageBuffer(jobs, { maxBatchSize: 100, maxBufferedEvents: 1_000 });
    for (let i = 0; i < 240; i++) buffer.push(usageEventFactory({ ...who, latencyMs: i % 300 }));
    await buffer.flush();
    expect(buffer.enqueuedBatches).toBe(3);

    // a BullMQ worker on the same queue and prefix runs the handler, as the worker app's dispatcher does
    worker = new Worker<Payload>(
      JOB_QUEUES['metering.apply-usage-batch'],
      (job) => processor.applyUsageBatch(job.data),
      {
        connection: bullConnection(env),
        prefix: bullPrefix(env),
      },
    );
    await until(
      () => calls(subscriptionId),
      (n) => n === 240,
    );
    const queue = jobs.queue(JOB_QUEUES['metering.apply-usage-batch']);
    // the rows commit before the handler returns and BullMQ marks the job completed
    const done = (await until(
      () => queue.getJobs(['completed']),
      (jobs) => jobs.length >= 3,
    )) as Job<Payload>[];
    expect(done).toHaveLength(3);
    expect(done.every((job) => job.returnvalue.applied && job.id === `usage-${job.data.batchId}`)).toBe(true);

    // the same batch again under a new job id (as after BullMQ forgot the completed job): nothing more counted
    const again = await queue.add('metering.apply-usage-batch', done[0].data, {
      jobId: `redelivered-${randomUUID()}`,
    });
    const redelivered = await until(
      async () => (await queue.getJob(again.id!)) as Job<Payload> | undefined,
      (job) => job?.finishedOn !== undefined,
    );
    expect(redelivered?.returnvalue).toMatchObject({ applied: false, counted: 0 });
    // counts only: the subscriptions a batch bills are not stored with the job in Redis
    expect(done.every((job) => !('billedSubscriptionIds' in job.returnvalue))).toBe(true);
    expect(await calls(subscriptionId)).toBe(240);
  });

  it('fails a malformed payload for good instead of retrying it', async () => {
    await expect(processor.applyUsageBatch({ batchId: 'not-a-uuid', events: [] })).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    await expect(
      processor.applyUsageBatch({ batchId: randomUUID(), events: 'nope' } as unknown as Payload),
    ).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('moves the keys of batches applied together, each to its latest call across them', async () => {
    const { account, application } = await createTestConsumer(identity, 'usage-keys-together');
    const keys = identity.get(ApiKeysService);
    const [a, b, c] = await Promise.all(
      [0, 1, 2].map(async () => (await keys.create(account.id, application.id, {})).key),
    );
    const who = { applicationId: application.id, consumerAccountId: account.id };
    // minutes apart: every later use is past LAST_USED_RESOLUTION_SECONDS
    const t = (m: number) => new Date(Date.UTC(2031, 0, 2, 10, m)).toISOString();
    const calls = [
      [a, 3],
      [b, 4],
      [a, 7],
      [c, 2],
      [b, 1],
      [a, 5],
    ] as const;

    // submitted at once: some share a statement (group commit), and so do their key uses
    const results = await Promise.all(
      calls.map(([key, m]) =>
        processor.applyUsageBatch({
          batchId: randomUUID(),
          events: [usageEventFactory({ ...who, keyId: key.id, at: t(m) })],
        }),
      ),
    );

    expect(results.every((r) => r.applied && r.counted === 1)).toBe(true);
    expect(await lastUsed(a.id)).toBe(t(7));
    expect(await lastUsed(b.id)).toBe(t(4));
    expect(await lastUsed(c.id)).toBe(t(2));
  });

  it('checks the usage alerts and caps of batches finishing together in one evaluation, every billed subscription once', async () => {
    const evaluations: string[][] = [];
    const controls = {
      evaluate: async (subscriptionIds: readonly string[]): Promise<UsageControlsOutcome> => {
        evaluations.push([...subscriptionIds]);
        await new Promise((resolve) => setTimeout(resolve, 50)); // a slow check: later batches wait and group
        return { evaluated: 0, fired: 0, capped: 0 };
      },
    } as Pick<UsageControlsService, 'evaluate'> as UsageControlsService;
    const checked = new MeteringProcessor(
      context.get(MeteringService),
      identity.get(ApiKeysService),
      controls,
    );
    const subscriptions = Array.from({ length: 6 }, () => randomUUID());

    await Promise.all(
      subscriptions.map((subscriptionId) =>
        checked.applyUsageBatch({
          batchId: randomUUID(),
          events: [
            usageEventFactory({ subscriptionId }),
            usageEventFactory({ subscriptionId, billableUnits: 0 }),
            // not billed: no alert or cap can move
            usageEventFactory({ subscriptionId: randomUUID(), status: 503 }),
          ],
        }),
      ),
    );

    expect(evaluations.flat().sort()).toEqual([...subscriptions].sort());
    expect(evaluations.length).toBeGreaterThan(0);
    expect(evaluations.length).toBeLessThan(subscriptions.length);
  });

  it("moves each key's last_used_at to its latest call in the batch, once the batch committed, forward only, by a minute or more", async () => {
    const { account, application } = await createTestConsumer(identity, 'usage-keys');
    const keys = identity.get(ApiKeysService);
    const [a, b] = [
      (await keys.create(account.id, application.id, {})).key,
      (await keys.create(account.id, application.id, {})).key,
    ];
    expect(await lastUsed(a.id)).toBeNull();
    const who = { applicationId: application.id, consumerAccountId: account.id };
    const t = (s: number) => new Date(Date.UTC(2031, 0, 1, 10, 0, s)).toISOString();
    const first = {
      batchId: randomUUID(),
      events: [
        usageEventFactory({ ...who, keyId: a.id, at: t(5) }),
        usageEventFactory({ ...who, keyId: a.id, at: t(9) }),
        usageEventFactory({ ...who, keyId: a.id, at: t(1) }),
        usageEventFactory({ ...who, keyId: b.id.toUpperCase(), at: t(7) }),
        // rejected before a subscription resolved: still a use of the key
        usageEventFactory({
          ...who,
          keyId: b.id,
          at: t(8),
          subscriptionId: null,
          status: 404,
          generated: true,
        }),
        // malformed: skipped, does not move anything
        { ...usageEventFactory({ ...who, keyId: b.id }), at: 'yesterday' },
      ],
    } as Payload;
    await expect(processor.applyUsageBatch(first)).resolves.toMatchObject({
      applied: true,
      counted: 5,
      invalid: 1,
      keysMoved: 2,
    });
    expect(await lastUsed(a.id)).toBe(t(9));
    expect(await lastUsed(b.id)).toBe(t(8));

    // a later batch that arrives with older calls (out of order) never moves the column back
    const late = { batchId: randomUUID(), events: [usageEventFactory({ ...who, keyId: a.id, at: t(3) })] };
    await expect(processor.applyUsageBatch(late)).resolves.toMatchObject({ applied: true, keysMoved: 0 });
    expect(await lastUsed(a.id)).toBe(t(9));

    // a later use moves it only once it is a full minute newer (LAST_USED_RESOLUTION_SECONDS)
    const soon = { batchId: randomUUID(), events: [usageEventFactory({ ...who, keyId: a.id, at: t(68) })] };
    await expect(processor.applyUsageBatch(soon)).resolves.toMatchObject({ applied: true, keysMoved: 0 });
    expect(await lastUsed(a.id)).toBe(t(9));
    const minuteLater = {
      batchId: randomUUID(),
      events: [usageEventFactory({ ...who, keyId: a.id, at: t(69) })],
    };
    await expect(processor.applyUsageBatch(minuteLater)).resolves.toMatchObject({
      applied: true,
      keysMoved: 1,
    });
    expect(await lastUsed(a.id)).toBe(t(69));

    // a redelivered batch counts nothing but still moves the keys forward (e.g. after they were reset)
    await identity
      .get(DataSource)
      .query('UPDATE api_keys SET last_used_at = NULL WHERE id = ANY($1)', [[a.id, b.id]]);
    await expect(processor.applyUsageBatch(first)).resolves.toMatchObject({
      applied: false,
      counted: 0,
      keysMoved: 2,
    });
    expect(await lastUsed(a.id)).toBe(t(9));
    expect(await lastUsed(b.id)).toBe(t(8));

    // an unknown key id (deleted since) is ignored; the batch still counts
    const ghost = { batchId: randomUUID(), events: [usageEventFactory({ ...who, keyId: randomUUID() })] };
    await expect(processor.applyUsageBatch(ghost)).resolves.toMatchObject({
      applied: true,
      counted: 1,
      keysMoved: 0,
    });
  });
});
