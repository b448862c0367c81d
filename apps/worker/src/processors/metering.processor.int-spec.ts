import { bullConnection, bullPrefix, CoreEnv, JOB_QUEUES, JobQueue, type JobPayloads } from '@app/common';
import { UsageBuffer } from '@app/gateway';
import { MeteringService } from '@app/metering';
import { createMeteringTestContext, usageEventFactory } from '@app/metering/testing';
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
    processor = new MeteringProcessor(context.get(MeteringService));
  });

  afterAll(async () => {
    await worker?.close();
    await jobs.onApplicationShutdown();
    const redis = new Redis(env.REDIS_URL);
    const keys = await redis.keys(`${env.REDIS_PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await context.close();
  });

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
    const done = (await queue.getJobs(['completed'])) as Job<Payload>[];
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
});
