import { randomBytes } from 'node:crypto';
import {
  bullConnection,
  bullPrefix,
  CoreEnv,
  JOB_QUEUES,
  JobQueue,
  type JobPayloads,
  REDIS,
} from '@app/common';
import { ApiKeysService, KeyUsageRecorder } from '@app/identity';
import { createIdentityTestContext, createTestConsumer } from '@app/identity/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { Worker } from 'bullmq';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { IdentityProcessor } from './identity.processor';
import { until } from '../../../../test/support/until';


describe('key usage: gateway recorder → one job → worker → last_used_at', () => {
  // a Redis prefix of our own, so no other suite's worker takes our jobs and ours takes none of theirs
  const prefix = `${process.env.REDIS_PREFIX ?? 'portico-test'}-usage-${randomBytes(3).toString('hex')}`;
  let gateway: INestApplicationContext;
  let worker: Worker | undefined;

  const lastUsed = async (keyId: string): Promise<string | null> => {
    const [row] = await gateway
      .get(DataSource)
      .query<{ last_used_at: Date | null }[]>('SELECT last_used_at FROM api_keys WHERE id = $1', [keyId]);
    return row?.last_used_at?.toISOString() ?? null;
  };

  beforeAll(async () => {
    gateway = await createIdentityTestContext({ REDIS_PREFIX: prefix });
  });

  afterAll(async () => {
    await worker?.close();
    const redis = gateway.get<Redis>(REDIS);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await gateway.close();
  });

  it('batches the latest use per key into one job, and the worker moves last_used_at forward only', async () => {
    const { account, application } = await createTestConsumer(gateway, 'usage');
    const keys = gateway.get(ApiKeysService);
    const [a, b] = [
      await keys.create(account.id, application.id, {}),
      await keys.create(account.id, application.id, {}),
    ];
    const recorder = gateway.get(KeyUsageRecorder);
    const t0 = new Date('2030-01-01T10:00:00.000Z');
    const t1 = new Date('2030-01-01T10:00:05.000Z');
    const t2 = new Date('2030-01-01T10:00:07.000Z');

    recorder.record(a.key.id, t1);
    recorder.record(a.key.id, t0); // older: dropped in memory
    recorder.record(b.key.id, t2);
    expect(recorder.pendingCount).toBe(2);
    await recorder.flush();
    expect(recorder.pendingCount).toBe(0);

    const queue = gateway.get(JobQueue).queue(JOB_QUEUES['identity.record-key-usage']);
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].name).toBe('identity.record-key-usage');
    expect(jobs[0].data).toEqual({
      uses: expect.arrayContaining([
        { keyId: a.key.id, usedAt: t1.toISOString() },
        { keyId: b.key.id, usedAt: t2.toISOString() },
      ]),
    });
    expect(jobs[0].data.uses).toHaveLength(2);

    // a BullMQ worker on the same queue and prefix runs the processor's handler, as the worker app's
    // dispatcher does (the worker app itself is booted by apps/worker/src/job-dispatcher.int-spec.ts)
    const processor = new IdentityProcessor(keys);
    const env = gateway.get(CoreEnv);
    worker = new Worker<JobPayloads['identity.record-key-usage']>(
      JOB_QUEUES['identity.record-key-usage'],
      (job) => processor.recordKeyUsage(job.data),
      { connection: bullConnection(env), prefix: bullPrefix(env) },
    );
    await until(
      () => lastUsed(b.key.id),
      (value) => value === t2.toISOString(),
    );
    expect(await lastUsed(a.key.id)).toBe(t1.toISOString());

    // an older report (a late or redelivered batch) never moves it back; a newer one moves it on
    const t3 = new Date('2030-01-01T10:00:09.000Z');
    recorder.record(a.key.id, t0);
    recorder.record(b.key.id, t3);
    await recorder.flush();
    await until(
      () => lastUsed(b.key.id),
      (value) => value === t3.toISOString(),
    );
    expect(await lastUsed(a.key.id)).toBe(t1.toISOString());
  });

  it('the handler applies a batch directly, ignoring malformed entries and keeping the latest of duplicates', async () => {
    const { account, application } = await createTestConsumer(gateway, 'usage-direct');
    const { key } = await gateway.get(ApiKeysService).create(account.id, application.id, {});
    const processor = new IdentityProcessor(gateway.get(ApiKeysService));
    const late = '2031-05-05T05:05:05.000Z';
    const early = '2031-05-05T05:00:00.000Z';

    await expect(
      processor.recordKeyUsage({
        uses: [
          { keyId: key.id, usedAt: early },
          { keyId: key.id, usedAt: late },
          { keyId: 'not-a-uuid', usedAt: late },
          { keyId: key.id, usedAt: 'yesterday' },
        ],
      }),
    ).resolves.toEqual({ moved: 1 });
    expect(await lastUsed(key.id)).toBe(late);

    await expect(processor.recordKeyUsage({ uses: [{ keyId: key.id, usedAt: early }] })).resolves.toEqual({
      moved: 0,
    });
    expect(await lastUsed(key.id)).toBe(late);
  });
});
