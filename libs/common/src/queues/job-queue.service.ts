import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import { CoreEnv } from '../config/core.env';
import { DEFAULT_JOB_OPTIONS, JOB_QUEUES, type JobName, type JobPayloads } from './jobs';
import { QueueName } from './queue-names';

export function bullPrefix(env: CoreEnv): string {
  return `${env.REDIS_PREFIX}:bull`;
}

export function bullConnection(env: CoreEnv): { url: string; maxRetriesPerRequest: null } {
  return { url: env.REDIS_URL, maxRetriesPerRequest: null };
}

/** Type-checked producer: `enqueue('metering.apply-usage-batch', payload, { jobId })`. */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(private readonly env: CoreEnv) {}

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options: JobsOptions = {}): Promise<void> {
    await this.queue(JOB_QUEUES[name]).add(name, payload, { ...DEFAULT_JOB_OPTIONS, ...options });
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: bullConnection(this.env), prefix: bullPrefix(this.env) });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
  }
}
