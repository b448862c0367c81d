import { queuedUsageEvents } from '@app/common/testing';
import { CoreEnv, JOB_QUEUES, JobQueue, type JobPayloads } from '@app/common';
import { UsageBuffer } from '@app/gateway';
import { usageEventFactory } from '@app/metering/testing';
import type { Job } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request as undiciRequest } from 'undici';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import {
  consumer,
  createKey,
  publishUpstreamApi,
  startGatewayStack,
  subscribe,
  type GatewayStack,
  type PublishedApi,
} from './support/gateway-stack';
import { freePort, spawnApp, waitForHttp, type SpawnedApp } from './support/spawn-app';
import { TcpRelay } from './support/tcp-relay';
import { until } from './support/until';

type Payload = JobPayloads['metering.apply-usage-batch'];

/** Plenty of room: these tests count calls, they do not test limits. */
const OPEN_PLAN = {
  name: 'Open',
  priceAmountMinor: 0,
  quotaLimit: 10_000_000,
  quotaMode: 'hard',
  rateLimit: { perSecond: 10_000, burst: 10_000 },
};

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ownPrefix = (tag: string) =>
  `${process.env.REDIS_PREFIX ?? 'portico-test'}-${tag}-${randomBytes(3).toString('hex')}`;

async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

/** Every usage job waiting under a prefix, read straight from Redis. */
async function queuedUsage(prefix: string): Promise<Payload[]> {
  const jobs = new JobQueue(Object.assign(new CoreEnv(), { REDIS_URL, REDIS_PREFIX: prefix }));
  try {
    const queue = jobs.queue(JOB_QUEUES['metering.apply-usage-batch']);
    const found = (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])) as Job<Payload>[];
    return found.filter((job) => job.name === 'metering.apply-usage-batch').map((job) => job.data);
  } finally {
    await jobs.onApplicationShutdown();
  }
}

/**
 * Issue 5 "Reliability", on real processes, PostgreSQL and Redis: a worker killed with SIGKILL in
 * the middle of applying batches, Redis cut and restored under a gateway while calls flow, and a
 * gateway process stopped with SIGTERM. Each part counts calls against the rollups / the queue.
 */
describe('metering reliability', () => {
  jest.setTimeout(240_000);
  let stack: GatewayStack;
  let upstream: Server;
  /** Slow calls the upstream has received (so: in flight in the gateway). */
  let slowSeen = 0;
  let api: PublishedApi;
  let liveKey: string;
  let subscriptionId: string;
  const spawned: SpawnedApp[] = [];
  const prefixes: string[] = [];

  const rollupCalls = async (subId: string): Promise<number> => {
    const [row] = await stack.db.query<{ calls: number }[]>(
      'SELECT coalesce(sum(calls), 0)::int AS calls FROM usage_minute_rollups WHERE subscription_id = $1',
      [subId],
    );
    return row.calls;
  };
  const storedRequests = async (ids: string[]): Promise<number> => {
    const [row] = await stack.db.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM usage_requests WHERE request_id = ANY($1)',
      [ids],
    );
    return row.n;
  };

  beforeAll(async () => {
    // an upstream that takes a little time, so calls are in flight when things break
    upstream = createServer((req, res) => {
      if (req.url?.includes('slow')) slowSeen += 1;
      setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        },
        req.url?.includes('slow') ? 400 : 2,
      );
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    stack = await startGatewayStack();
    api = await publishUpstreamApi(stack, {
      liveUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      plans: [OPEN_PLAN],
    });
    const who = await consumer(stack, 'reliable');
    liveKey = await createKey(stack, who);
    subscriptionId = (await subscribe(stack, who, api.planIds[1])).id;
  });

  afterAll(async () => {
    for (const app of spawned) app.child.kill('SIGKILL');
    await stack?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    for (const prefix of prefixes) await dropPrefix(prefix);
  });

  it('a worker killed with SIGKILL mid-way through the batches loses and doubles nothing after restart', async () => {
    const prefix = ownPrefix('sigkill');
    prefixes.push(prefix);
    const sub = randomUUID();
    const BATCHES = 160;
    const PER_BATCH = 250;
    const producer = new JobQueue(Object.assign(new CoreEnv(), { REDIS_URL, REDIS_PREFIX: prefix }));
    const batchIds: string[] = [];
    const requestIds: string[] = [];
    const base = Date.now() - 10 * 60_000;
    for (let b = 0; b < BATCHES; b++) {
      const batchId = randomUUID();
      const events = Array.from({ length: PER_BATCH }, (_, i) =>
        usageEventFactory({
          subscriptionId: sub,
          at: new Date(base + ((b * PER_BATCH + i) % 600) * 1000).toISOString(),
        }),
      );
      batchIds.push(batchId);
      requestIds.push(...events.map((e) => e.requestId));
      // job ids as the gateway's UsageBuffer sets them
      await producer.enqueue(
        'metering.apply-usage-batch',
        { batchId, events },
        { jobId: `usage-${batchId}` },
      );
    }
    await producer.onApplicationShutdown();
    const appliedBatches = async (): Promise<number> => {
      const [row] = await stack.db.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM usage_batches WHERE batch_id = ANY($1)',
        [batchIds],
      );
      return row.n;
    };

    const workerEnv = async () => ({
      WORKER_PORT: String(await freePort()),
      REDIS_PREFIX: prefix,
      WORKER_CONCURRENCY: '4',
      // the default: batches applied in groups, so the kill also lands in the middle of a group's statement
      WORKER_METERING_CONCURRENCY: '32',
    });
    const first = spawnApp('worker', await workerEnv());
    spawned.push(first);
    // kill -9 once a quarter of the batches is in, while more are in a group's statement or waiting for the next
    await until(appliedBatches, (n) => n >= BATCHES / 4, 120_000);
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = await appliedBatches();
    expect(atKill).toBeLessThan(BATCHES);

    // restarted: the killed worker's active jobs come back once their locks expire (BullMQ stalled-job check)
    const second = spawnApp('worker', await workerEnv());
    spawned.push(second);
    await until(appliedBatches, (n) => n === BATCHES, 200_000);
    const reader = new JobQueue(Object.assign(new CoreEnv(), { REDIS_URL, REDIS_PREFIX: prefix }));
    // only usage batches: the queue also carries the worker's scheduled jobs (the 5 s rollup fold
    // may be waiting at any moment)
    const left = (
      await reader
        .queue(JOB_QUEUES['metering.apply-usage-batch'])
        .getJobs(['waiting', 'prioritized', 'delayed', 'failed'])
    ).filter((job) => job.name === 'metering.apply-usage-batch');
    await reader.onApplicationShutdown();
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    expect(left.map((job) => `${job.id}: ${job.failedReason ?? 'not finished'}`)).toEqual([]);
    // every call made counted exactly once: rollups, request log and the batches' own tallies agree
    expect(await rollupCalls(sub)).toBe(BATCHES * PER_BATCH);
    expect(await storedRequests(requestIds)).toBe(BATCHES * PER_BATCH);
    const [tally] = await stack.db.query<{ counted: number }[]>(
      'SELECT sum(counted)::int AS counted FROM usage_batches WHERE batch_id = ANY($1)',
      [batchIds],
    );
    expect(tally.counted).toBe(BATCHES * PER_BATCH);
  });

  it('Redis cut and restored under a gateway while calls flow: every accepted call is counted once', async () => {
    const prefix = ownPrefix('relay');
    prefixes.push(prefix);
    const relay = new TcpRelay(new URL(REDIS_URL));
    await relay.start();
    // the gateway reaches Redis (limiter, queue, pub/sub) only through the relay; the worker directly
    const gw = await stack.addGateway({ REDIS_URL: relay.url, REDIS_PREFIX: prefix });
    const worker = await createWorkerApp({
      ...stack.env,
      REDIS_PREFIX: prefix,
      WORKER_PORT: String(await freePort()),
    });
    await worker.init();
    const buffer = gw.gateway.context.get(UsageBuffer);
    // the gateway's queue connection reports the outage as 'error' events: expected here
    gw.gateway.context
      .get(JobQueue)
      .queue(JOB_QUEUES['metering.apply-usage-batch'])
      .on('error', () => undefined);
    const agent = new Agent({ connections: 8 });
    const accepted: string[] = [];
    const statuses = new Map<number, number>();
    let flowing = true;

    const client = async (): Promise<void> => {
      while (flowing) {
        const res = await undiciRequest(`${gw.url}/${api.slug}/items`, {
          headers: { 'x-portico-key': liveKey },
          dispatcher: agent,
        });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const id = res.headers['x-portico-request-id'];
        if (typeof id === 'string') accepted.push(id);
      }
    };
    try {
      const clients = Array.from({ length: 4 }, () => client());
      await until(
        async () => accepted.length,
        (n) => n >= 100,
        30_000,
      );
      await relay.stop(); // Redis "restarts": every connection cut, nothing answers for 3 s
      const cutAt = accepted.length;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const duringOutage = accepted.length - cutAt;
      await relay.start();
      await until(
        async () => accepted.length,
        (n) => n >= cutAt + duringOutage + 100,
        60_000,
      );
      flowing = false;
      await Promise.all(clients);
      expect(duringOutage).toBeGreaterThan(0); // calls went on (limiter fell back; usage waited in memory)
      expect([...statuses.keys()]).toEqual([200]);
      expect(buffer.failedFlushes).toBeGreaterThan(0);

      await buffer.flush();
      expect(buffer.dropped).toBe(0);
      await until(
        () => storedRequests(accepted),
        (n) => n === accepted.length,
        60_000,
      );
      // accepted = counted: none lost, none counted twice although enqueues were retried
      expect(new Set(accepted).size).toBe(accepted.length);
      const [rows] = await stack.db.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM usage_requests WHERE subscription_id = $1 AND batch_id IS NOT NULL AND request_id = ANY($2)',
        [subscriptionId, accepted],
      );
      expect(rows.n).toBe(accepted.length);
    } finally {
      flowing = false;
      await agent.close();
      await worker.close();
      await relay.stop();
    }
  });

  it('a gateway process stopped with SIGTERM flushes the usage of every call it answered', async () => {
    const prefix = ownPrefix('sigterm');
    prefixes.push(prefix);
    const port = await freePort();
    const gateway = spawnApp('gateway', {
      GATEWAY_PORT: String(port),
      REDIS_PREFIX: prefix,
      GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true',
      LOG_LEVEL: 'warn',
    });
    spawned.push(gateway);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health`, gateway);
    const agent = new Agent({ connections: 64 });
    const one = async (path: string) => {
      const res = await undiciRequest(`${base}/${api.slug}/${path}`, {
        headers: { 'x-portico-key': liveKey },
        dispatcher: agent,
      });
      await res.body.dump();
      return { status: res.statusCode, id: res.headers['x-portico-request-id'] as string };
    };
    try {
      // quick calls (usage already leaving on the 50 ms timer), then 40 slow ones still in flight at SIGTERM
      const quick = await Promise.all(Array.from({ length: 30 }, () => one('fast')));
      const slowBefore = slowSeen;
      const slow = Array.from({ length: 40 }, () => one('slow'));
      // SIGTERM once all 40 are inside the gateway (the upstream holds them for 400 ms)
      await until(
        () => Promise.resolve(slowSeen - slowBefore),
        (n) => n === 40,
        10_000,
      );
      gateway.child.kill('SIGTERM');
      const settled = await Promise.allSettled(slow);
      const { code } = await gateway.exited;
      expect(code).toBe(0);

      const answered = [...quick, ...settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
      expect(answered.length).toBe(70); // the in-flight calls were drained, not cut
      expect(answered.every((a) => a.status === 200)).toBe(true);
      const events = (await queuedUsage(prefix)).flatMap((batch) =>
        queuedUsageEvents(batch).map((e) => e.requestId),
      );
      // every answered call is in the queue exactly once, nothing else is
      expect(events.sort()).toEqual(answered.map((a) => a.id).sort());
    } finally {
      await agent.close();
    }
  });
});
