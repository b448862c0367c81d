import { CoreEnv, JOB_NAMES, JOB_QUEUES, QueueName } from '@app/common';
import { Module } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import request from 'supertest';
import { JobDispatcher, MissingJobHandlersError } from './job-dispatcher';
import { WorkerHttpEnv } from './worker.env';
import { createWorkerApp } from './bootstrap';

/** The dispatcher alone, with no processor registered (and no store connections to leak). */
@Module({
  imports: [DiscoveryModule],
  providers: [JobDispatcher, { provide: CoreEnv, useValue: new CoreEnv() }, { provide: WorkerHttpEnv, useValue: new WorkerHttpEnv() }],
})
class WorkerWithoutProcessorsModule {}

describe('worker boot', () => {
  it('refuses to boot when a declared job has no processor, naming the job', async () => {
    const boot = NestFactory.createApplicationContext(WorkerWithoutProcessorsModule, { logger: false, abortOnError: false });
    await expect(boot).rejects.toThrow(MissingJobHandlersError);
    await expect(
      NestFactory.createApplicationContext(WorkerWithoutProcessorsModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(JOB_NAMES[0]);
  });

  it('boots the real worker, with one handler for every declared job, and reports ready', async () => {
    const app = await createWorkerApp();
    await app.init();
    try {
      await request(app.getHttpServer()).get('/health').expect(200, { status: 'ok' });
      const ready = await request(app.getHttpServer()).get('/ready').expect(200);
      expect(ready.body.status).toBe('ok');
      const unknown = await request(app.getHttpServer()).get('/nope').expect(404);
      expect(unknown.body.code).toBe('route_not_found');
      // one BullMQ Worker per queue with jobs: the metering queue at WORKER_METERING_CONCURRENCY (its batches are applied in groups), the rest at WORKER_CONCURRENCY
      const env = new WorkerHttpEnv();
      const workers = app.get<JobDispatcher, { workers: Worker[] }>(JobDispatcher).workers;
      expect(Object.fromEntries(workers.map((worker) => [worker.name, worker.concurrency]))).toEqual(
        Object.fromEntries(
          Object.values(JOB_QUEUES).map((queue) => [
            queue,
            queue === QueueName.Metering ? env.WORKER_METERING_CONCURRENCY : env.WORKER_CONCURRENCY,
          ]),
        ),
      );
      expect(env.WORKER_METERING_CONCURRENCY).not.toBe(env.WORKER_CONCURRENCY);
    } finally {
      await app.close();
    }
  });
});
