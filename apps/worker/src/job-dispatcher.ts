import {
  bullConnection,
  bullPrefix,
  CoreEnv,
  JOB_HANDLER_METADATA,
  JOB_NAMES,
  JOB_QUEUES,
  type JobName,
  QueueName,
} from '@app/common';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { type Job, Worker } from 'bullmq';
import { WorkerHttpEnv } from './worker.env';

type Handler = (payload: unknown, job: Job) => Promise<unknown>;

export class MissingJobHandlersError extends Error {
  constructor(readonly missing: string[], readonly duplicated: string[]) {
    super(
      [
        missing.length ? `no handler for job(s): ${missing.join(', ')}` : '',
        duplicated.length ? `more than one handler for job(s): ${duplicated.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ') + '. Add exactly one @JobHandler(<name>) method per job in apps/worker/src/processors and register its class in WorkerModule.',
    );
    this.name = 'MissingJobHandlersError';
  }
}

/**
 * Finds every @JobHandler method among the worker's providers, refuses to boot unless each
 * declared job name (libs/common jobs.ts) has exactly one, then runs one BullMQ Worker per queue
 * that dispatches by job name.
 */
@Injectable()
export class JobDispatcher implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobDispatcher.name);
  private readonly handlers = new Map<JobName, Handler>();
  private readonly workers: Worker[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly env: CoreEnv,
    private readonly workerEnv: WorkerHttpEnv,
  ) {}

  onModuleInit(): void {
    const found = new Map<string, Handler[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = this.reflector.get<JobName | undefined>(JOB_HANDLER_METADATA, fn as () => unknown);
        if (!name) continue;
        const list = found.get(name) ?? [];
        list.push((payload, job) => (fn as Handler).call(instance, payload, job));
        found.set(name, list);
      }
    }
    const missing = JOB_NAMES.filter((name) => !found.has(name));
    const duplicated = [...found].filter(([, list]) => list.length > 1).map(([name]) => name);
    const unknown = [...found.keys()].filter((name) => !(JOB_NAMES as string[]).includes(name));
    if (missing.length || duplicated.length) throw new MissingJobHandlersError(missing, duplicated);
    if (unknown.length) throw new Error(`@JobHandler for undeclared job(s): ${unknown.join(', ')}; declare them in libs/common jobs.ts`);
    for (const [name, [handler]] of found) this.handlers.set(name as JobName, handler);
  }

  onApplicationBootstrap(): void {
    const queues = new Set<QueueName>(JOB_NAMES.map((name) => JOB_QUEUES[name]));
    for (const queue of queues) {
      const worker = new Worker(queue, (job) => this.dispatch(job), {
        connection: bullConnection(this.env),
        prefix: bullPrefix(this.env),
        concurrency:
          queue === QueueName.Metering
            ? this.workerEnv.WORKER_METERING_CONCURRENCY
            : this.workerEnv.WORKER_CONCURRENCY,
      });
      worker.on('failed', (job, error) =>
        this.logger.warn({ queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
      );
      worker.on('error', (error) => this.logger.error({ queue, err: error }, 'worker error'));
      this.workers.push(worker);
    }
    this.logger.log(`processing ${this.handlers.size} job types on ${queues.size} queues`);
  }

  private dispatch(job: Job): Promise<unknown> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    return handler(job.data, job);
  }

  async onApplicationShutdown(): Promise<void> {
    // close() waits for the jobs in progress, so a SIGTERM finishes them instead of abandoning them
    await Promise.allSettled(this.workers.map((worker) => worker.close()));
  }
}
