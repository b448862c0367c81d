/**
 * npm run bench:metering — how fast one worker turns usage batches into rollups, and how long a
 * call takes to show up in them at a sustained load. Scratch database (created, migrated, dropped
 * here) and its own Redis prefix (deleted at the end).
 *
 * Throughput (events applied per second, rounds interleaved, median and spread):
 *   - baseline "per event": what the naive design does — one transaction per event holding one
 *     INSERT into the request log and one rollup upsert, 4 in parallel;
 *   - "apply (direct)": `MeteringProcessor.applyUsageBatch` (the worker's real handler: batch
 *     claim, request log, rollups, last_used_at, the usage alerts and spend caps check) on batches
 *     of 500, as many in parallel as the worker's metering queue runs (32), no queue; batches that
 *     arrive while a group is written are applied together (libs/metering "Group commit");
 *   - "apply (BullMQ)": the same batches enqueued first, then drained by one BullMQ Worker with the
 *     worker app's default metering concurrency running the same handler — what one worker process does;
 *   - "fold": the hour/day fold (`RollupFoldService.fold`, the worker's job every 5 s) of the
 *     deltas those two phases appended, timed alone: the rate at which it keeps up with applied
 *     events, and what it costs per event — CPU the same machine spends on every event applied,
 *     off the batch's path.
 * Each run also reads the CPU it cost per event: PostgreSQL's processes (/proc, all of them on
 * this machine), this process (the worker's side) and Redis — far steadier than events/s on a
 * shared machine, and it shows which side a change helped — and the machine's idle share (a core
 * left idle is waiting: for locks, a WAL flush, or a job from the queue).
 * Lag: the gateway's own producer (`UsageBuffer`, 50 ms / 500-event batches) fed at a sustained
 * rate while the BullMQ worker drains it; for a sample of calls, the time from push to the moment
 * its row is visible in Postgres (request log and rollups commit in one transaction).
 *
 *   BENCH_ROUNDS=3 · BENCH_BATCHES=100 (×500 events per round) · BENCH_BASELINE_EVENTS=4000
 *   BENCH_LAG_SECONDS=20 · BENCH_LAG_RATE=2000 (events/s) · BENCH_KEYS=500 · BENCH_CONCURRENCY=32
 *   BENCH_REQUEST_IDS=time-ordered|random (the gateway's UUIDv7 ids, or random v4 ones)
 *   BENCH_REQUEST_LOG_ROWS=2000000 (older calls in the request log before the rounds)
 *   BENCH_ADMIN_DATABASE_URL=postgres://…/postgres · REDIS_URL
 * This process plays the worker, so `npm run bench:metering` starts it with the node flags of
 * `npm run start:worker` (docs/adr/0012-worker-young-generation.md); it says so when they differ.
 */
import 'reflect-metadata';
import { BillingEnv } from '@app/billing';
import {
  CoreEnv,
  CoreModule,
  EncryptionEnv,
  JOB_QUEUES,
  JobQueue,
  bullConnection,
  bullPrefix,
  encodeUsageCalls,
  timeOrderedUuid,
  type UsageEvent,
} from '@app/common';
import { UsageBuffer } from '@app/gateway';
import { ApiKeysService, ApplicationsService, IdentityEnv, IdentityModule } from '@app/identity';
import { MeteringModule, MeteringService, RollupFoldService, type UsageBatch } from '@app/metering';
import { SubscriptionsModule, UsageControlsService } from '@app/subscriptions';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IntersectionType } from '@nestjs/mapped-types';
import { Worker } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { DataSource } from 'typeorm';
import {
  MeteringProcessor,
  type UsageBatchJobResult,
} from '../apps/worker/src/processors/metering.processor';
import { WorkerHttpEnv } from '../apps/worker/src/worker.env';
import { aggregateCalls, meteredCalls, UsageRepository, type MeteredCall } from '@app/metering/testing';
import {
  admin,
  cpuMsOfProcessesNamed,
  databaseUrl,
  machineTicks,
  median,
  migrateDatabase,
  percentile,
  startScriptNodeFlags,
} from './bench-support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 100);
const BATCH_SIZE = 500;
const BASELINE_EVENTS = Number(process.env.BENCH_BASELINE_EVENTS ?? 4000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 20);
const LAG_RATE = Number(process.env.BENCH_LAG_RATE ?? 2000);
const KEYS = Number(process.env.BENCH_KEYS ?? 500);
/** Batches in parallel, direct and through BullMQ: the worker's metering queue's default. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? new WorkerHttpEnv().WORKER_METERING_CONCURRENCY);
/** The per-event baseline's transactions and the rollups-only shape's batches in parallel (as in every earlier run). */
const YARDSTICK_CONCURRENCY = 4;
/** `random`: request ids as random UUIDs (v4, what the gateway sent before), to compare with the time-ordered ones. */
const REQUEST_IDS = process.env.BENCH_REQUEST_IDS === 'random' ? 'random' : 'time-ordered';
const REQUEST_LOG_ROWS = Number(process.env.BENCH_REQUEST_LOG_ROWS ?? 2_000_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

class BenchEnv extends IntersectionType(CoreEnv, IdentityEnv, BillingEnv, EncryptionEnv) {}

@Module({})
class BenchModule {
  static forRoot(rawEnv: Record<string, unknown>): DynamicModule {
    return {
      module: BenchModule,
      imports: [
        CoreModule.forRoot({
          app: 'bench-metering',
          env: BenchEnv,
          envFragments: [IdentityEnv, BillingEnv, EncryptionEnv],
          migrations: [],
          poolSize: 10,
          rawEnv,
        }),
        IdentityModule,
        MeteringModule,
        SubscriptionsModule,
      ],
    };
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Who {
  keyId: string;
  applicationId: string;
  consumerAccountId: string;
  subscriptionId: string;
  planId: string;
  keyPrefix: string;
}

const API_ID = randomUUID();
/** The API's plans: each subscription is on one of them. */
const PLANS = Array.from({ length: 3 }, () => randomUUID());
const ENDPOINTS = Array.from({ length: 12 }, () => randomUUID());
/**
 * A gateway-like mix: consumers skewed (a few call a lot), 12 endpoints, 93 % 2xx, 5 % 4xx
 * (some generated by the gateway), 2 % 5xx; latencies 5–400 ms; `at` = now.
 */
function makeEvent(who: Who[], at = new Date()): UsageEvent {
  const w = who[Math.floor(who.length * Math.random() ** 3)];
  const r = Math.random();
  const status = r < 0.93 ? 200 : r < 0.98 ? 404 : 502;
  const generated = status === 404 && Math.random() < 0.5;
  return {
    // the gateway's own request ids (time-ordered UUIDv7), so the request log's index sees what it sees in production
    requestId: REQUEST_IDS === 'random' ? randomUUID() : timeOrderedUuid(at.getTime()),
    at: at.toISOString(),
    keyId: w.keyId,
    keyPrefix: w.keyPrefix,
    applicationId: w.applicationId,
    consumerAccountId: w.consumerAccountId,
    apiId: API_ID,
    subscriptionId: w.subscriptionId,
    planId: w.planId,
    endpointId: ENDPOINTS[Math.floor(ENDPOINTS.length * Math.random() ** 2)],
    method: 'GET',
    status,
    // in ms to the microsecond, as the gateway rounds it
    latencyMs: Math.round((5 + Math.random() * 395) * 1000) / 1000,
    bytesIn: 0,
    bytesOut: 200 + Math.floor(Math.random() * 4000),
    mode: 'live',
    billableUnits: status < 500 && !generated ? 1 : 0,
    overageUnits: 0,
    generated,
    errorCode: generated ? 'endpoint_not_in_plan' : null,
  };
}

/** Batches as the gateway sends them (its columns). */
function makeBatches(who: Who[], n: number): UsageBatch[] {
  return Array.from({ length: n }, () => ({
    batchId: randomUUID(),
    calls: encodeUsageCalls(Array.from({ length: BATCH_SIZE }, () => makeEvent(who))),
  }));
}

/** Throughput of one measured run, and what it cost per event in CPU. */
interface Measured {
  perSecond: number;
  /** µs of CPU per event in PostgreSQL's processes (all of them on this machine: backends, WAL writer, …). */
  postgresUs: number;
  /** µs of CPU per event in this process (the worker's side: decoding, aggregation, parameters, BullMQ). */
  workerUs: number;
  /** µs of CPU per event in Redis (BullMQ's scripts and the jobs' data, in and out). */
  redisUs: number;
  /** The machine's idle share over the run (all cores): what no process used. */
  idle: number;
}

/** Starts measuring wall time and CPU; `stop(events)` answers the run's `Measured`. */
function startMeter(): { stop(events: number): Measured } {
  const postgres = cpuMsOfProcessesNamed('postgres');
  const redis = cpuMsOfProcessesNamed('redis-server');
  const machine = machineTicks();
  const self = process.cpuUsage();
  const start = performance.now();
  return {
    stop(events) {
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(self);
      const { total, idle } = machineTicks();
      return {
        perSecond: events / seconds,
        postgresUs: ((cpuMsOfProcessesNamed('postgres') - postgres) * 1000) / events,
        workerUs: (used.user + used.system) / events,
        redisUs: ((cpuMsOfProcessesNamed('redis-server') - redis) * 1000) / events,
        idle: (idle - machine.idle) / Math.max(1, total - machine.total),
      };
    },
  };
}

/** Runs `work` over `items` with `concurrency` in flight. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** The naive design: one transaction per event (request log insert + one rollup upsert). */
async function perEventBaseline(db: DataSource, events: UsageEvent[]): Promise<Measured> {
  const meter = startMeter();
  await pool(events, YARDSTICK_CONCURRENCY, (e) =>
    db.transaction(async (m) => {
      const fresh = await m.query<unknown[]>(
        `INSERT INTO usage_requests (request_id, at, batch_id, consumer_account_id, application_id, key_id, key_prefix,
           api_id, subscription_id, endpoint_id, method, status, latency_ms, bytes_in, bytes_out, mode, billable_units,
           generated, error_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT DO NOTHING RETURNING request_id`,
        [
          e.requestId,
          e.at,
          randomUUID(),
          e.consumerAccountId,
          e.applicationId,
          e.keyId,
          e.keyPrefix,
          e.apiId,
          e.subscriptionId,
          e.endpointId,
          e.method,
          e.status,
          Math.round(e.latencyMs),
          e.bytesIn,
          e.bytesOut,
          e.mode,
          e.billableUnits,
          e.generated,
          e.errorCode,
        ],
      );
      if (fresh.length === 0) return;
      const histogram = new Array<number>(24).fill(0);
      histogram[Math.min(23, Math.floor(Math.log2(1 + e.latencyMs)))] = 1;
      await m.query(
        `INSERT INTO usage_minute_rollups AS r (subscription_id, minute, application_id, key_id, api_id, endpoint_id,
           plan_id, status_class, consumer_account_id, mode, calls, errors, bytes_in, bytes_out, billable_units,
           overage_units, latency_ms_sum, latency_histogram)
         VALUES ($1, date_trunc('minute', $2::timestamptz), $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $13, $14, 0, $15, $16)
         ON CONFLICT ON CONSTRAINT pk_usage_minute_rollups DO UPDATE SET
           calls = r.calls + 1, errors = r.errors + EXCLUDED.errors, bytes_in = r.bytes_in + EXCLUDED.bytes_in,
           bytes_out = r.bytes_out + EXCLUDED.bytes_out, billable_units = r.billable_units + EXCLUDED.billable_units,
           latency_ms_sum = r.latency_ms_sum + EXCLUDED.latency_ms_sum,
           latency_histogram = ARRAY(SELECT coalesce(h.a, 0) + coalesce(h.b, 0)
             FROM unnest(r.latency_histogram, EXCLUDED.latency_histogram) WITH ORDINALITY AS h(a, b, i) ORDER BY h.i)`,
        [
          e.subscriptionId,
          e.at,
          e.applicationId,
          e.keyId,
          e.apiId,
          e.endpointId,
          e.planId,
          Math.floor(e.status / 100),
          e.consumerAccountId,
          e.mode,
          e.status >= 400 ? 1 : 0,
          e.bytesIn,
          e.bytesOut,
          e.billableUnits,
          Math.round(e.latencyMs),
          `{${histogram.join(',')}}`,
        ],
      );
    }),
  );
  return meter.stop(events.length);
}

/** How many batches shared each applied batch's statement (`ApplyBatchResult.group`), over the direct and the BullMQ runs. */
const groupSizes = { direct: [] as number[], bull: [] as number[] };

/** Median and mean batches per statement (the mean over statements: each batch of a group of g counts 1/g). */
function groupStats(sizes: readonly number[]): string {
  return `median ${median(sizes)}, mean ${(sizes.length / sizes.reduce((sum, g) => sum + 1 / g, 0)).toFixed(1)}`;
}

async function directApply(processor: MeteringProcessor, batches: UsageBatch[]): Promise<Measured> {
  const meter = startMeter();
  await pool(batches, CONCURRENCY, async (batch) => {
    groupSizes.direct.push((await processor.applyUsageBatch(batch)).group);
  });
  return meter.stop(batches.length * BATCH_SIZE);
}

/**
 * The prototype's shape, for scale: each batch aggregated and applied with ONE rollup upsert — no
 * request log, no batch id, no request-id dedup, no key uses, no hour/day deltas (the minute
 * rollups' triggers are off meanwhile), so not exactly-once.
 */
async function rollupsOnly(db: DataSource, usage: UsageRepository, batches: UsageBatch[]): Promise<Measured> {
  await db.query('ALTER TABLE usage_minute_rollups DISABLE TRIGGER USER');
  try {
    const meter = startMeter();
    await pool(batches, YARDSTICK_CONCURRENCY, (batch) =>
      usage.addToRollups(
        db.manager,
        aggregateCalls((meteredCalls(batch) ?? []).filter((call): call is MeteredCall => call !== null)),
      ),
    );
    return meter.stop(batches.length * BATCH_SIZE);
  } finally {
    await db.query('ALTER TABLE usage_minute_rollups ENABLE TRIGGER USER');
  }
}

/**
 * Folds the pending deltas (those of the `events` just applied) into the hour and day tables, as
 * the worker's fold job does: the rate is those events over the fold's time.
 */
async function foldApplied(
  folds: RollupFoldService,
  events: number,
): Promise<{ fold: Measured; deltas: number }> {
  const meter = startMeter();
  const report = await folds.fold();
  return { fold: meter.stop(events), deltas: report.deltas / events };
}

async function bullApply(
  env: CoreEnv,
  jobs: JobQueue,
  processor: MeteringProcessor,
  batches: UsageBatch[],
): Promise<Measured> {
  const queue = jobs.queue(JOB_QUEUES['metering.apply-usage-batch']);
  await queue.addBulk(
    batches.map((b) => ({
      name: 'metering.apply-usage-batch',
      data: b,
      opts: { jobId: `usage-${b.batchId}`, removeOnComplete: true },
    })),
  );
  let done = 0;
  const meter = startMeter();
  const finished = new Promise<void>((resolve, reject) => {
    const worker = new Worker(queue.name, (job) => processor.applyUsageBatch(job.data as UsageBatch), {
      connection: bullConnection(env),
      prefix: bullPrefix(env),
      concurrency: CONCURRENCY,
    });
    worker.on('completed', (_job, result: UsageBatchJobResult) => {
      groupSizes.bull.push(result.group);
      done += 1;
      if (done === batches.length) void worker.close().then(() => resolve());
    });
    worker.on('failed', (_job, error) => reject(error));
  });
  await finished;
  return meter.stop(batches.length * BATCH_SIZE);
}

async function lagRun(
  env: CoreEnv,
  db: DataSource,
  processor: MeteringProcessor,
  who: Who[],
): Promise<{ lags: number[]; pushed: number; seconds: number }> {
  const jobs = new JobQueue(env);
  const buffer = new UsageBuffer(jobs);
  const worker = new Worker(
    JOB_QUEUES['metering.apply-usage-batch'],
    (job) => processor.applyUsageBatch(job.data as UsageBatch),
    { connection: bullConnection(env), prefix: bullPrefix(env), concurrency: CONCURRENCY },
  );
  const pending = new Map<string, number>();
  const lags: number[] = [];
  let pushed = 0;
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((LAG_RATE * tickMs) / 1000));
  const start = performance.now();
  const producer = setInterval(() => {
    // catch up on ticks the event loop delayed, so the rate holds
    const due = Math.floor(((performance.now() - start) / 1000) * LAG_RATE) - pushed;
    for (let i = 0; i < Math.min(due, perTick * 5); i++) {
      const event = makeEvent(who);
      if (pushed % 50 === 0) pending.set(event.requestId, performance.now());
      buffer.push(event);
      pushed += 1;
    }
  }, tickMs);
  let polling = true;
  const poller = (async () => {
    while (polling || pending.size > 0) {
      if (pending.size > 0) {
        const ids = [...pending.keys()];
        const rows = await db.query<{ request_id: string }[]>(
          'SELECT request_id FROM usage_requests WHERE request_id = ANY($1)',
          [ids],
        );
        const seen = performance.now();
        for (const { request_id } of rows) {
          lags.push(seen - pending.get(request_id)!);
          pending.delete(request_id);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, LAG_SECONDS * 1000));
  clearInterval(producer);
  const seconds = (performance.now() - start) / 1000;
  await buffer.flush();
  polling = false;
  await poller;
  await worker.close();
  await jobs.onApplicationShutdown();
  return { lags, pushed, seconds };
}

/**
 * Fills the request log with BENCH_REQUEST_LOG_ROWS older calls (the last day, ids of the kind
 * BENCH_REQUEST_IDS picks) and analyses it, so every batch inserts into indexes of a realistic size:
 * with a near-empty log, random and time-ordered request ids cost the same.
 */
async function seedRequestLog(db: DataSource, who: Who[]): Promise<void> {
  if (REQUEST_LOG_ROWS <= 0) return;
  const start = performance.now();
  const w = who[0];
  const id =
    REQUEST_IDS === 'random'
      ? 'gen_random_uuid()'
      : // a UUIDv7 of that millisecond, as timeOrderedUuid makes
        `(substr(t.hex, 1, 8) || '-' || substr(t.hex, 9, 4) || '-7' || substr(t.r, 1, 3) || '-8' || substr(t.r, 4, 3) || '-' || substr(t.r, 7, 12))::uuid`;
  await db.query(
    `INSERT INTO usage_requests (request_id, at, batch_id, consumer_account_id, application_id, key_id, key_prefix,
       api_id, subscription_id, endpoint_id, method, status, latency_ms, bytes_in, bytes_out, mode, billable_units,
       generated, error_code)
     SELECT ${id}, t.at, $1, $2, $3, $4, $5, $6, $7, $8, 'GET', 200, 40, 120, 900, 'live', 1, false, NULL
     FROM (
       SELECT to_timestamp(ms / 1000.0) AS at, lpad(to_hex(ms), 12, '0') AS hex, md5(g::text) AS r
       FROM (SELECT g, (extract(epoch FROM now() - interval '1 day') * 1000)::bigint + g * 40 AS ms
             FROM generate_series(1, $9::int) g) s
     ) t`,
    [
      randomUUID(),
      w.consumerAccountId,
      w.applicationId,
      w.keyId,
      w.keyPrefix,
      API_ID,
      w.subscriptionId,
      ENDPOINTS[0],
      REQUEST_LOG_ROWS,
    ],
  );
  await db.query('VACUUM ANALYZE usage_requests');
  console.log(
    `request log seeded: ${fmt(REQUEST_LOG_ROWS)} calls of the last day (${REQUEST_IDS} ids) in ${fmt((performance.now() - start) / 1000)} s`,
  );
}

async function main(): Promise<void> {
  const database = `portico_bench_metering_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const prefix = `portico-bench-metering-${randomBytes(4).toString('hex')}`;
  console.log(`bench:metering — ${cpus().length} CPUs, scratch database ${database}, Redis prefix ${prefix}`);
  const workerFlags = startScriptNodeFlags('worker');
  const missing = workerFlags.filter((flag) => !process.execArgv.includes(flag));
  console.log(
    missing.length === 0
      ? `node flags of npm run start:worker: ${workerFlags.join(' ') || '(none)'}`
      : `WARNING: this process lacks the worker's node flags ${missing.join(' ')} (npm run start:worker): run it with npm run bench:metering`,
  );
  await admin(`CREATE DATABASE "${database}"`);
  let context: INestApplicationContext | undefined;
  try {
    await migrateDatabase(database);

    const rawEnv = {
      ...process.env,
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl(database),
      REDIS_URL,
      REDIS_PREFIX: prefix,
      SESSION_SECRET: randomBytes(32).toString('base64'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    context = await NestFactory.createApplicationContext(BenchModule.forRoot(rawEnv), {
      logger: ['warn', 'error'],
    });
    const db = context.get(DataSource);
    const env = context.get(CoreEnv);
    // the worker's handler as the worker builds it: usage alerts and spend caps checked after each batch
    const processor = new MeteringProcessor(
      context.get(MeteringService),
      context.get(ApiKeysService),
      context.get(UsageControlsService),
    );

    // real keys (last_used_at moves for them), one consumer account per 10 keys
    const who: Who[] = [];
    for (let i = 0; i < KEYS; i += 10) {
      const [account] = await db.query<{ id: string }[]>(
        `INSERT INTO accounts (email, display_name) VALUES ($1, 'bench') RETURNING id`,
        [`bench-${i}-${randomBytes(3).toString('hex')}@example.com`],
      );
      const app = await context.get(ApplicationsService).create(account.id, { name: `bench ${i}` });
      for (let k = 0; k < 10 && i + k < KEYS; k++) {
        const { key } = await context.get(ApiKeysService).create(account.id, app.id, { mode: 'live' });
        who.push({
          keyId: key.id,
          applicationId: app.id,
          consumerAccountId: account.id,
          subscriptionId: randomUUID(),
          planId: PLANS[who.length % PLANS.length],
          keyPrefix: `mp_live_…${key.lastFour}`,
        });
      }
    }
    console.log(
      `workload: ${who.length} keys/subscriptions (skewed) on ${PLANS.length} plans, ${ENDPOINTS.length} endpoints, 93/5/2 % 2xx/4xx/5xx, batches of ${BATCH_SIZE}`,
    );

    await seedRequestLog(db, who);

    // warm-up (JIT, pool, plans)
    await directApply(processor, makeBatches(who, 8));
    await perEventBaseline(
      db,
      Array.from({ length: 400 }, () => makeEvent(who)),
    );

    const jobs = new JobQueue(env);
    const folds = context.get(RollupFoldService);
    const results = {
      baseline: [] as Measured[],
      direct: [] as Measured[],
      bull: [] as Measured[],
      prototype: [] as Measured[],
      fold: [] as Measured[],
      rows: [] as number[],
      deltas: [] as number[],
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const baseline = await perEventBaseline(
        db,
        Array.from({ length: BASELINE_EVENTS }, () => makeEvent(who)),
      );
      // the baseline's minute rows logged deltas too (the trigger): folded away unmeasured
      await folds.fold();
      const before = Number(
        (await db.query<{ n: string }[]>('SELECT count(*) AS n FROM usage_minute_rollups'))[0].n,
      );
      const direct = await directApply(processor, makeBatches(who, BATCHES));
      const after = Number(
        (await db.query<{ n: string }[]>('SELECT count(*) AS n FROM usage_minute_rollups'))[0].n,
      );
      const bull = await bullApply(env, jobs, processor, makeBatches(who, BATCHES));
      const { fold, deltas } = await foldApplied(folds, 2 * BATCHES * BATCH_SIZE);
      const prototype = await rollupsOnly(db, context.get(UsageRepository), makeBatches(who, BATCHES));
      results.baseline.push(baseline);
      results.prototype.push(prototype);
      results.direct.push(direct);
      results.bull.push(bull);
      results.fold.push(fold);
      results.rows.push(after - before);
      results.deltas.push(deltas);
      console.log(
        `round ${round}: per-event ${fmt(baseline.perSecond)}/s · apply direct ${fmt(direct.perSecond)}/s · apply BullMQ ${fmt(bull.perSecond)}/s · fold ${fmt(fold.perSecond)}/s · rollups only ${fmt(prototype.perSecond)}/s`,
      );
    }
    await jobs.onApplicationShutdown();
    const base = median(results.baseline.map((m) => m.perSecond));
    const micros = (values: number[]) => median(values).toFixed(1).padStart(8);
    const line = (name: string, measured: Measured[]) => {
      const rates = measured.map((m) => m.perSecond);
      return (
        `| ${name.padEnd(44)} | ${fmt(median(rates)).padStart(9)} | ${`${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}`.padStart(17)} | ` +
        `${(median(rates) / base).toFixed(1).padStart(6)}× | ${micros(measured.map((m) => m.postgresUs))} | ${micros(measured.map((m) => m.workerUs)).padStart(12)} | ` +
        `${micros(measured.map((m) => m.redisUs)).padStart(11)} | ${`${Math.round(median(measured.map((m) => m.idle)) * 100)} %`.padStart(6)} |`
      );
    };
    console.log('');
    console.log(
      `| events applied per second (${ROUNDS} rounds)         | median/s  |        min–max/s  | × base | PG µs/ev | worker µs/ev | Redis µs/ev |   idle |`,
    );
    console.log(
      '| -------------------------------------------- | --------: | ----------------: | -----: | -------: | -----------: | ----------: | -----: |',
    );
    console.log(line('baseline: one transaction per event', results.baseline));
    console.log(line(`apply, direct (${CONCURRENCY} batches in parallel)`, results.direct));
    console.log(line(`apply, through BullMQ (one Worker, conc. ${CONCURRENCY})`, results.bull));
    console.log(line('fold of those deltas into hours and days', results.fold));
    console.log(line('rollups only (prototype shape, not exact)', results.prototype));
    console.log(
      `batches per statement (group commit): direct ${groupStats(groupSizes.direct)}; BullMQ ${groupStats(groupSizes.bull)}`,
    );
    const cpu = (measured: Measured[]) => median(measured.map((m) => m.postgresUs + m.workerUs + m.redisUs));
    console.log(
      `fold: ${median(results.deltas).toFixed(2)} deltas per event applied; through BullMQ with its fold, ` +
        `${(cpu(results.bull) + cpu(results.fold)).toFixed(1)} µs of CPU per event (${cpu(results.bull).toFixed(1)} applying, ` +
        `${cpu(results.fold).toFixed(1)} folding), at most ${fmt((cpus().length * 1e6) / (cpu(results.bull) + cpu(results.fold)))} events/s on ${cpus().length} cores with no core idle`,
    );
    console.log(
      `new rollup rows per batch of ${BATCH_SIZE} (first pass over the minute): median ${fmt(median(results.rows) / BATCHES)}; goal ≥ 75,000 events/s through BullMQ: ${median(results.bull.map((m) => m.perSecond)) >= 75_000 ? 'met' : 'NOT met'}`,
    );

    console.log('');
    console.log(
      `lag: UsageBuffer → BullMQ → worker → rollups at ${fmt(LAG_RATE)} events/s for ${LAG_SECONDS} s …`,
    );
    const lag = await lagRun(env, db, processor, who);
    const lags = [...lag.lags].sort((a, b) => a - b);
    console.log(
      `| lag push → visible in rollups | sample ${lag.lags.length} of ${fmt(lag.pushed)} (${fmt(lag.pushed / lag.seconds)}/s) | p50 ${fmt(percentile(lags, 50))} ms | p95 ${fmt(percentile(lags, 95))} ms | p99 ${fmt(percentile(lags, 99))} ms | max ${fmt(Math.max(...lag.lags))} ms | goal p95 < 5,000 ms: ${percentile(lags, 95) < 5000 ? 'met' : 'NOT met'} |`,
    );
  } finally {
    await context?.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    console.log(`cleanup: dropped ${database}, deleted ${keys.length} Redis keys`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
