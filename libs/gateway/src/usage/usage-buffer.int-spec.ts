import { queuedUsageEvents, usageEventFactory } from '@app/common/testing';
import { CoreEnv, JOB_QUEUES, JobQueue, type JobPayloads, type UsageEvent } from '@app/common';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { TcpRelay } from '../../../../test/support/tcp-relay';
import { until } from '../../../../test/support/until';
import { DEFAULT_USAGE_BUFFER_OPTIONS, UsageBuffer, type UsageBufferOptions } from './usage-buffer';

type Payload = JobPayloads['metering.apply-usage-batch'];

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** This file's own BullMQ key space, so no worker of another suite takes our jobs. */
const PREFIX = `${process.env.REDIS_PREFIX ?? 'portico-test'}-usagebuf-${randomUUID().slice(0, 8)}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A call with a fresh request id (a UUIDv7, as the gateway mints). */
const event = usageEventFactory;

function env(redisUrl: string, prefix: string): CoreEnv {
  return Object.assign(new CoreEnv(), { REDIS_URL: redisUrl, REDIS_PREFIX: prefix });
}

describe('UsageBuffer → BullMQ (real Redis)', () => {
  /** Reads the queue directly (not through any relay). */
  const reader = new JobQueue(env(REDIS_URL, PREFIX));
  const queues: JobQueue[] = [reader];
  const buffers: UsageBuffer[] = [];
  let warn: jest.SpyInstance;

  function bufferOn(jobs: JobQueue, options: Partial<UsageBufferOptions> = {}): UsageBuffer {
    const buffer = new UsageBuffer(jobs, options);
    buffers.push(buffer);
    return buffer;
  }

  /** A producer whose Redis goes through the relay; its connection errors are expected here. */
  function relayedQueue(relay: TcpRelay): JobQueue {
    const jobs = new JobQueue(env(relay.url, PREFIX));
    jobs.queue(JOB_QUEUES['metering.apply-usage-batch']).on('error', () => undefined);
    queues.push(jobs);
    return jobs;
  }

  function directQueue(): JobQueue {
    const jobs = new JobQueue(env(REDIS_URL, PREFIX));
    queues.push(jobs);
    return jobs;
  }

  async function usageJobs(): Promise<Job<Payload>[]> {
    const queue = reader.queue(JOB_QUEUES['metering.apply-usage-batch']);
    const jobs = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])) as Job<Payload>[];
    return jobs.filter((job) => job.name === 'metering.apply-usage-batch');
  }

  async function jobsHolding(events: UsageEvent[]): Promise<Job<Payload>[]> {
    const ids = new Set(events.map((e) => e.requestId));
    return (await usageJobs()).filter((job) => queuedUsageEvents(job.data).some((e) => ids.has(e.requestId)));
  }

  beforeAll(() => {
    // failed flushes and drops are logged as warnings on purpose
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await reader.queue(JOB_QUEUES['metering.apply-usage-batch']).obliterate({ force: true });
  });

  afterAll(async () => {
    warn.mockRestore();
    for (const jobs of queues) await jobs.onApplicationShutdown();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('sends what arrived within the interval as ONE job whose id is usage-<batchId>', async () => {
    const buffer = bufferOn(directQueue(), { flushIntervalMs: 50 });
    const events = [event(), event({ status: 503, generated: true }), event({ mode: 'test' })];
    for (const e of events) buffer.push(e);
    expect(buffer.depth).toBe(3);

    // no flush call: the 50 ms timer sends it
    const [job] = await until(usageJobs, (jobs) => jobs.length > 0, 5_000);
    const jobs = await usageJobs();
    expect(jobs).toHaveLength(1);
    expect(job.data.batchId).toMatch(UUID);
    expect(job.id).toBe(`usage-${job.data.batchId}`);
    expect(queuedUsageEvents(job.data)).toEqual(events);
    expect(job.opts.attempts).toBeGreaterThan(1);
    // finished batches are not kept by the thousand (each holds up to 500 calls)
    expect(job.opts.removeOnComplete).toEqual({ count: 100 });
    await until(
      async () => buffer.enqueued,
      (n) => n === 3,
    );
    expect(buffer.counters).toEqual({
      depth: 0,
      enqueued: 3,
      enqueuedBatches: 1,
      dropped: 0,
      failedFlushes: 0,
    });
  });

  it('sends a full batch at once, without waiting for the timer, and the rest on flush', async () => {
    // 500 events a batch by default; smaller here keeps Redis replies small (a large reply leaves
    // ioredis' parser a shrink timer that outlives the test)
    expect(DEFAULT_USAGE_BUFFER_OPTIONS).toMatchObject({ flushIntervalMs: 50, maxBatchSize: 500 });
    const buffer = bufferOn(directQueue(), {
      flushIntervalMs: 60_000,
      maxBatchSize: 100,
      maxBufferedEvents: 1_000,
    });
    const events = Array.from({ length: 240 }, () => event());
    for (const e of events) buffer.push(e);

    const full = await until(usageJobs, (jobs) => jobs.length === 2, 5_000);
    expect(full.map((job) => queuedUsageEvents(job.data).length)).toEqual([100, 100]);
    expect(buffer.depth).toBe(40);

    await buffer.flush();
    const jobs = await usageJobs();
    expect(jobs).toHaveLength(3);
    expect(new Set(jobs.map((job) => job.data.batchId)).size).toBe(3);
    for (const job of jobs) expect(job.id).toBe(`usage-${job.data.batchId}`);
    const sent = jobs.flatMap((job) => queuedUsageEvents(job.data).map((e) => e.requestId)).sort();
    expect(sent).toEqual(events.map((e) => e.requestId).sort());
    expect(buffer.counters).toMatchObject({ depth: 0, enqueued: 240, enqueuedBatches: 3 });
  });

  it('flushes everything pushed before graceful shutdown', async () => {
    const buffer = bufferOn(directQueue(), { flushIntervalMs: 60_000 });
    const events = Array.from({ length: 7 }, () => event());
    for (const e of events) buffer.push(e);
    await buffer.beforeApplicationShutdown();

    // no polling: the job is in Redis when shutdown's hook returns
    const jobs = await usageJobs();
    expect(jobs).toHaveLength(1);
    expect(queuedUsageEvents(jobs[0].data)).toEqual(events);
    expect(buffer.depth).toBe(0);
    await expect(buffer.flush()).resolves.toBeUndefined();
    expect(await usageJobs()).toHaveLength(1);
  });

  it('keeps the batch through a Redis outage and retries it with the same batch id: one job', async () => {
    const relay = new TcpRelay(new URL(REDIS_URL));
    await relay.start();
    const jobs = relayedQueue(relay);
    const attempts: string[] = [];
    const enqueue = jobs.enqueue.bind(jobs);
    jest.spyOn(jobs, 'enqueue').mockImplementation(async (name, payload, options) => {
      attempts.push((payload as Payload).batchId);
      return enqueue(name, payload, options);
    });
    const buffer = bufferOn(jobs, {
      flushIntervalMs: 60_000,
      enqueueTimeoutMs: 300,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 200,
    });

    const before = [event(), event()];
    for (const e of before) buffer.push(e);
    await buffer.flush();
    expect(await jobsHolding(before)).toHaveLength(1);

    await relay.stop();
    const during = Array.from({ length: 5 }, () => event());
    for (const e of during) buffer.push(e);
    const flushed = buffer.flush();
    await until(
      async () => buffer.failedFlushes,
      (n) => n >= 2,
      10_000,
    );
    expect(buffer.depth).toBe(5);
    expect(await jobsHolding(during)).toHaveLength(0);

    await relay.start(); // same port: Redis is back
    await flushed;
    expect(buffer.depth).toBe(0);

    const retried = attempts.slice(1);
    expect(retried.length).toBeGreaterThanOrEqual(3);
    expect(new Set(retried).size).toBe(1); // every retry carried the same batch id
    // the attempts ioredis held while the relay was down may also have reached Redis: still one job
    await new Promise((resolve) => setTimeout(resolve, 300));
    const landed = await jobsHolding(during);
    expect(landed).toHaveLength(1);
    expect(landed[0].id).toBe(`usage-${retried[0]}`);
    expect(queuedUsageEvents(landed[0].data)).toEqual(during);
    expect(buffer.counters).toMatchObject({ enqueued: 7, enqueuedBatches: 2, dropped: 0 });
    await jobs.onApplicationShutdown(); // while Redis is reachable, so the connection closes cleanly
    await relay.stop();
  });

  it('retries an enqueue that reached Redis but reported failure without creating a second job', async () => {
    const jobs = directQueue();
    const enqueue = jobs.enqueue.bind(jobs);
    let calls = 0;
    jest.spyOn(jobs, 'enqueue').mockImplementation(async (name, payload, options) => {
      calls += 1;
      await enqueue(name, payload, options);
      if (calls === 1) throw new Error('connection reset after the write');
    });
    const buffer = bufferOn(jobs, { flushIntervalMs: 60_000, retryBaseDelayMs: 20 });
    const events = [event(), event(), event()];
    for (const e of events) buffer.push(e);
    await buffer.flush();

    expect(calls).toBe(2);
    const landed = await jobsHolding(events);
    expect(landed).toHaveLength(1);
    expect(queuedUsageEvents(landed[0].data)).toEqual(events);
    expect(buffer.counters).toMatchObject({ depth: 0, enqueued: 3, enqueuedBatches: 1, failedFlushes: 1 });
  });

  it('bounds memory while Redis is away: drops the oldest waiting events, counts them, warns once', async () => {
    const relay = new TcpRelay(new URL(REDIS_URL));
    await relay.start();
    const jobs = relayedQueue(relay);
    await jobs.queue(JOB_QUEUES['metering.apply-usage-batch']).waitUntilReady();
    await relay.stop();
    warn.mockClear();

    const buffer = bufferOn(jobs, {
      flushIntervalMs: 60_000,
      maxBatchSize: 50,
      maxBufferedEvents: 300,
      enqueueTimeoutMs: 200,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 100,
    });
    const events = Array.from({ length: 500 }, () => event());
    for (const e of events) buffer.push(e);

    // the first batch is in flight (never cut), so the next 200 are the oldest that can go
    expect(buffer.depth).toBe(300);
    expect(buffer.dropped).toBe(200);
    const dropWarnings = warn.mock.calls.filter((call) => String(call[1]).includes('buffer full'));
    expect(dropWarnings).toHaveLength(1);
    expect(dropWarnings[0][0]).toMatchObject({ dropped: 1, cap: 300 });
    // push never throws and never blocks, even now
    const latest = event();
    expect(() => buffer.push(latest)).not.toThrow();
    expect(buffer.dropped).toBe(201);

    await relay.start();
    await buffer.flush();
    const sent = (await usageJobs()).flatMap((job) => queuedUsageEvents(job.data).map((e) => e.requestId));
    expect(sent).toHaveLength(300);
    // kept: the in-flight first batch, then the newest 250 (#252 … #500 and the latest)
    const expected = [...events.slice(0, 50), ...events.slice(251), latest].map((e) => e.requestId);
    expect(sent.sort()).toEqual(expected.sort());
    expect(buffer.counters).toMatchObject({ depth: 0, enqueued: 300, dropped: 201 });
    await jobs.onApplicationShutdown();
    await relay.stop();
  });
});
