/**
 * npm run bench:analytics — every analytics read the API offers, over a 30-day range, on a
 * realistic volume of usage: by default 10,000,000 calls' worth of minute rollups (30 days) plus
 * the request log of the last 7 days (one row per call), seeded with set-based SQL into a scratch
 * database (created, migrated, dropped here; its own Redis prefix, deleted at the end).
 *
 * Seeded: 8 providers with 24 APIs (12 endpoints and 3 plans each, one published version), a few
 * hundred consumers with their applications, keys (live and test) and subscriptions (some created
 * and some canceled inside the range), traffic skewed by a Zipf law over consumers (a few make most
 * calls), over endpoints and keys, with a diurnal and weekly pattern in each consumer's time zone,
 * 93 % 2xx / 5 % 4xx / 2 % 5xx (and 1 % to no endpoint: gateway 404s), latency histograms per
 * endpoint. Each hour of a subscription gets its calls, spread over minutes and then over
 * (key, endpoint, status class) rows the way calls collide in a minute.
 *
 * Measured through the real services of a Nest application context (what the controllers of
 * apps/api/src/analytics call), for the heaviest consumer and the largest provider (the worst
 * cases), p50/p95 over interleaved rounds against a same-run baseline: a primary-key lookup of a
 * minute rollup. Goal: p95 < 100 ms per query.
 *
 *   BENCH_CALLS=10000000 · BENCH_CONSUMERS=300 · BENCH_ROUNDS=3 · BENCH_ITERATIONS=10 (per case per
 *   round; a case stops early after BENCH_CASE_BUDGET_MS=4000 in a round, keeping ≥ 3 samples)
 *   BENCH_REQUEST_LOG_DAYS=7 · BENCH_EXPLAIN=1 (EXPLAIN (ANALYZE, BUFFERS) of every statement each case sends)
 *   BENCH_KEEP=1 (keep the scratch database, to explore it with psql; BENCH_ROUNDS=0 only seeds)
 *   BENCH_ADMIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres · REDIS_URL
 */
import 'reflect-metadata';
import {
  AnalyticsModule,
  ConsumerUsageService,
  PlatformAnalyticsService,
  ProviderAnalyticsService,
} from '@app/analytics';
import { BillingEnv } from '@app/billing';
import { CatalogEnv } from '@app/catalog';
import { CoreEnv, CoreModule, EncryptionEnv, UpstreamPolicyEnv } from '@app/common';
import { IdentityEnv } from '@app/identity';
import {
  MeteringService,
  NO_ID,
  RollupFoldService,
  UsageAnalyticsService,
  type UsageScope,
} from '@app/metering';
import { SubscriptionsService } from '@app/subscriptions';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IntersectionType } from '@nestjs/mapped-types';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { DataSource, type QueryRunner } from 'typeorm';
import { admin, databaseUrl, migrateDatabase, percentile } from './bench-support';

const CALLS = Number(process.env.BENCH_CALLS ?? 10_000_000);
const CONSUMERS = Number(process.env.BENCH_CONSUMERS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 10);
const CASE_BUDGET_MS = Number(process.env.BENCH_CASE_BUDGET_MS ?? 4_000);
const REQUEST_LOG_DAYS = Number(process.env.BENCH_REQUEST_LOG_DAYS ?? 7);
const EXPLAIN = process.env.BENCH_EXPLAIN === '1';
const KEEP = process.env.BENCH_KEEP === '1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const GOAL_P95_MS = 100;
const DAYS = 30;
const DAY_MS = 86_400_000;

class BenchEnv extends IntersectionType(
  IntersectionType(CoreEnv, IdentityEnv),
  IntersectionType(
    IntersectionType(BillingEnv, CatalogEnv),
    IntersectionType(UpstreamPolicyEnv, EncryptionEnv),
  ),
) {}

@Module({})
class BenchModule {
  static forRoot(rawEnv: Record<string, unknown>): DynamicModule {
    return {
      module: BenchModule,
      imports: [
        CoreModule.forRoot({
          app: 'bench-analytics',
          env: BenchEnv,
          envFragments: [IdentityEnv, BillingEnv, CatalogEnv, UpstreamPolicyEnv, EncryptionEnv],
          migrations: [],
          poolSize: 4,
          rawEnv,
        }),
        AnalyticsModule,
      ],
    };
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : fmt(n));
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Latency bucket midpoints (ms), LATENCY_BUCKET_BOUNDS_MS + overflow: for `latency_ms_sum` and the request log. */
const BUCKET_MID_MS =
  '{0.5,1.5,2.5,4,6,8.5,12.5,20,32.5,50,80,125,200,325,500,800,1250,2000,3250,5000,8000,12500,22500,40000}';

/**
 * The catalog, consumers and subscriptions, written straight into the real tables (set-based), and
 * `bench_*` helper tables describing them for the traffic generator. `$1` = end of the range
 * (a whole hour), so every seeded minute is in the past.
 */
async function seedEntities(q: QueryRunner, end: Date): Promise<void> {
  const statements = [
    `CREATE TABLE bench_providers AS
       SELECT i, gen_random_uuid() AS account_id, gen_random_uuid() AS provider_id FROM generate_series(1, 8) i`,
    `INSERT INTO accounts (id, email, display_name)
       SELECT account_id, 'owner@provider-' || i || '.example', 'Provider ' || i FROM bench_providers`,
    `INSERT INTO providers (id, owner_account_id, display_name, slug, support_email, payout_status, charges_enabled, payouts_enabled)
       SELECT provider_id, account_id, 'Provider ' || i, 'bench-provider-' || i, 'support@provider-' || i || '.example', 'ready', true, true
       FROM bench_providers`,
    // provider 1 has 6 APIs, provider 2 four, 3 four, 4–8 two each
    `CREATE TABLE bench_apis AS
       SELECT a AS i, gen_random_uuid() AS api_id, gen_random_uuid() AS version_id, p.provider_id, p.i AS provider_idx
       FROM generate_series(1, 24) a
       JOIN bench_providers p ON p.i = CASE WHEN a <= 6 THEN 1 WHEN a <= 10 THEN 2 WHEN a <= 14 THEN 3 ELSE 4 + (a - 15) / 2 END`,
    `INSERT INTO api_listings (id, provider_id, slug, name, summary, category_slug, status, published_at,
         upstream_live_url, current_version_id, created_at)
       SELECT a.api_id, a.provider_id, 'bench-api-' || a.i, 'Bench API ' || a.i, 'An API of the analytics benchmark.',
         (SELECT slug FROM categories ORDER BY slug OFFSET (a.i % 10) LIMIT 1), 'published', $1::timestamptz - interval '120 days',
         'https://api-' || a.i || '.upstream.example', a.version_id, $1::timestamptz - interval '120 days'
       FROM bench_apis a`,
    `INSERT INTO api_versions (id, api_id, number, label, source_format, document, endpoint_count, published_at)
       SELECT version_id, api_id, 1, 'v1', 'json', '{}'::json, 12, $1::timestamptz - interval '120 days' FROM bench_apis`,
    `CREATE TABLE bench_endpoints AS
       SELECT a.api_id, a.version_id, e AS idx, gen_random_uuid() AS endpoint_id,
         CASE WHEN e % 4 = 3 THEN 'POST' ELSE 'GET' END AS method, '/v1/resource-' || e AS path,
         6 + (a.i * 7 + e * 5) % 8 AS base_bucket
       FROM bench_apis a, generate_series(0, 11) e`,
    `INSERT INTO api_endpoints (id, api_id, version_id, method, path, operation_id, summary)
       SELECT endpoint_id, api_id, version_id, method, path, 'op' || idx, 'Operation ' || idx FROM bench_endpoints`,
    `CREATE TABLE bench_plans AS
       SELECT a.api_id, p AS idx, gen_random_uuid() AS plan_id FROM bench_apis a, generate_series(0, 2) p`,
    `INSERT INTO plans (id, api_id, family_id, name, price_amount_minor, quota_limit, quota_mode, overage_unit_price_minor, sort_order)
       SELECT plan_id, api_id, gen_random_uuid(), (ARRAY['Free', 'Pro', 'Business'])[idx + 1], (ARRAY[0, 1900, 9900])[idx + 1],
         (ARRAY[1000, 100000, NULL])[idx + 1], (ARRAY['hard', 'soft', 'hard'])[idx + 1], CASE WHEN idx = 1 THEN 0.5 END, idx
       FROM bench_plans`,
    // consumers: Zipf weights (rank 1 makes the most calls), a time zone each for the diurnal pattern
    `CREATE TABLE bench_consumers AS
       SELECT i, gen_random_uuid() AS account_id, 1.0 / power(i, 1.2) AS weight, (ARRAY[0, 0, 1, -5, -8, 8, 5])[1 + i % 7] AS tz
       FROM generate_series(1, ${CONSUMERS}) i`,
    `INSERT INTO accounts (id, email, display_name, created_at)
       SELECT account_id, 'dev' || i || '@company-' || (i % 150) || '.example', 'Consumer ' || i, $1::timestamptz - interval '150 days'
       FROM bench_consumers`,
    `CREATE TABLE bench_apps AS
       SELECT c.i AS consumer_idx, c.account_id, a AS app_idx, gen_random_uuid() AS app_id
       FROM bench_consumers c, generate_series(0, CASE WHEN c.i <= 20 THEN 2 WHEN c.i % 3 = 0 THEN 1 ELSE 0 END) a`,
    `INSERT INTO applications (id, account_id, name) SELECT app_id, account_id, 'App ' || app_idx FROM bench_apps`,
    // even applications have a live and a test key; the live keys rank first (most used)
    `CREATE TABLE bench_keys AS
       SELECT ap.consumer_idx, ap.account_id, ap.app_id, k, gen_random_uuid() AS key_id,
         CASE WHEN k = 1 THEN 'test' ELSE 'live' END AS mode,
         (row_number() OVER (PARTITION BY ap.consumer_idx ORDER BY k, ap.app_idx) - 1)::int AS key_rank
       FROM bench_apps ap, generate_series(0, CASE WHEN ap.app_idx % 2 = 0 THEN 1 ELSE 0 END) k`,
    `INSERT INTO api_keys (id, account_id, application_id, kind, mode, key_hash, prefix, last_four, label)
       SELECT key_id, account_id, app_id, 'secret', mode, encode(sha256(convert_to(key_id::text, 'UTF8')), 'hex'),
         'mp_' || mode || '_', substr(md5(key_id::text), 1, 4), 'key ' || key_rank
       FROM bench_keys`,
    // subscriptions: the top consumers 3–4 APIs, the others 1–2, popular APIs more often; some
    // created inside the range, some canceled inside it, a few trialing
    `CREATE TABLE bench_subs AS
       WITH picks AS (
         SELECT c.i AS consumer_idx, c.account_id, c.weight, c.tz, j,
           1 + (floor(24 * power((c.i * 0.6180339887) % 1, 1.7))::int + j * 7) % 24 AS api_idx,
           CASE WHEN c.i <= 40 THEN $1::timestamptz - (40 + (c.i * 7) % 25) * interval '1 day' - (c.i % 24) * interval '1 hour'
             ELSE $1::timestamptz - (3 + (c.i * 37) % 80) * interval '1 day' - (c.i % 24) * interval '1 hour' END AS created_at
         FROM bench_consumers c, generate_series(0, CASE WHEN c.i <= 20 THEN 2 + c.i % 2 ELSE (c.i % 4 = 0)::int END) j
       )
       SELECT gen_random_uuid() AS sub_id, p.consumer_idx, p.account_id, a.api_id, a.provider_id,
         (SELECT plan_id FROM bench_plans pl WHERE pl.api_id = a.api_id
            AND pl.idx = CASE WHEN p.consumer_idx <= 10 THEN 2 WHEN p.consumer_idx % 3 = 0 THEN 0 ELSE 1 END) AS plan_id,
         p.weight / power(p.j + 1, 1.5) AS weight, p.tz, date_trunc('minute', p.created_at) AS created_at,
         CASE WHEN p.consumer_idx > 40 AND p.consumer_idx % 7 = 0 AND p.j = 0
           THEN greatest(p.created_at + interval '1 day', $1::timestamptz - (1 + (p.consumer_idx * 13) % 28) * interval '1 day') END AS canceled_at
       FROM picks p JOIN bench_apis a ON a.i = p.api_idx`,
    `INSERT INTO subscriptions (id, consumer_account_id, api_id, provider_id, plan_id, status, anchor,
         current_period_start, current_period_end, trial_ends_at, canceled_at, created_at, updated_at)
       SELECT s.sub_id, s.account_id, s.api_id, s.provider_id, s.plan_id,
         CASE WHEN s.canceled_at IS NOT NULL THEN 'canceled'
           WHEN s.created_at > $1::timestamptz - interval '10 days' AND s.consumer_idx % 2 = 0 THEN 'trialing' ELSE 'active' END,
         s.created_at, p.start, p.start + interval '1 month',
         CASE WHEN s.canceled_at IS NULL AND s.created_at > $1::timestamptz - interval '10 days' AND s.consumer_idx % 2 = 0
           THEN s.created_at + interval '14 days' END,
         s.canceled_at, s.created_at, coalesce(s.canceled_at, s.created_at)
       FROM bench_subs s,
         LATERAL (SELECT s.created_at + make_interval(months => (extract(year FROM age(coalesce(s.canceled_at, now()), s.created_at)) * 12
           + extract(month FROM age(coalesce(s.canceled_at, now()), s.created_at)))::int) AS start) p`,
    // the traffic window of each subscription inside the range (whole hours), and the sum of its
    // diurnal weights over that window (to spread its calls)
    `ALTER TABLE bench_subs ADD COLUMN from_h timestamptz, ADD COLUMN to_h timestamptz, ADD COLUMN w_sum float8,
       ADD COLUMN calls float8, ADD COLUMN n_keys int`,
    `UPDATE bench_subs SET
       from_h = greatest(date_trunc('hour', created_at) + interval '1 hour', $1::timestamptz - interval '${DAYS} days'),
       to_h = least(coalesce(date_trunc('hour', canceled_at), $1::timestamptz), $1::timestamptz),
       n_keys = (SELECT count(*) FROM bench_keys k WHERE k.consumer_idx = bench_subs.consumer_idx)`,
    `CREATE FUNCTION bench_diurnal(h timestamptz, tz int) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
       SELECT (1 + 0.6 * sin(2 * pi() * (extract(hour FROM h AT TIME ZONE 'UTC') + tz - 9) / 24))
         * CASE WHEN extract(isodow FROM (h AT TIME ZONE 'UTC') + tz * interval '1 hour') IN (6, 7) THEN 0.6 ELSE 1 END $$`,
    `UPDATE bench_subs s SET w_sum = (SELECT sum(bench_diurnal(h, s.tz)) FROM generate_series(s.from_h, s.to_h - interval '1 hour', interval '1 hour') h)
       WHERE s.to_h > s.from_h`,
    `UPDATE bench_subs SET calls = ${CALLS} * weight / (SELECT sum(weight) FROM bench_subs WHERE w_sum > 0) WHERE w_sum > 0`,
    `ANALYZE`,
  ];
  for (const sql of statements) await q.query(sql, sql.includes('$1') ? [end.toISOString()] : []);
}

/**
 * One day of minute rollups: per (subscription, hour) a number of calls (diurnal weight × noise),
 * spread over up to 60 distinct minutes, each minute's calls split over `least(c, ⌈1.6·c^0.55⌉, 48)`
 * draws of (key, endpoint, status class) — skewed — which collide and add up like real calls do.
 */
function dayRollupsSql(): string {
  return `
    WITH hours AS (
      SELECT s.sub_id, s.consumer_idx, s.account_id, s.api_id, s.plan_id, s.n_keys, h,
        floor(s.calls * bench_diurnal(h, s.tz) / s.w_sum * (0.75 + 0.5 * random()) + random())::int AS n
      FROM bench_subs s, generate_series($1::timestamptz, $1::timestamptz + interval '23 hours', interval '1 hour') h
      WHERE s.w_sum > 0 AND h >= s.from_h AND h < s.to_h
    ), minutes AS (
      SELECT hr.sub_id, hr.consumer_idx, hr.account_id, hr.api_id, hr.plan_id, hr.n_keys,
        hr.h + floor((j + random()) * 60 / x.a) * interval '1 minute' AS minute,
        (floor((j + 1)::float8 * hr.n / x.a) - floor(j::float8 * hr.n / x.a))::int AS c
      FROM hours hr
        CROSS JOIN LATERAL (SELECT least(60, hr.n) AS a) x
        CROSS JOIN LATERAL generate_series(0, x.a - 1) j
      WHERE hr.n > 0
    ), draws AS (
      SELECT m.sub_id, m.consumer_idx, m.account_id, m.api_id, m.plan_id, m.minute,
        (floor((i + 1)::float8 * m.c / y.k) - floor(i::float8 * m.c / y.k))::int AS calls,
        CASE WHEN random() < 0.01 THEN 12 ELSE floor(12 * random() ^ 2)::int END AS endpoint_idx,
        floor(m.n_keys * random() ^ 2.5)::int AS key_rank,
        ('{${[...Array(93).fill(2), ...Array(5).fill(4), 5, 5].join(',')}}'::smallint[])[1 + floor(random() * 100)::int] AS raw_class,
        floor(random() * 3)::int - 1 AS jitter,
        floor(random() * 400)::int AS bytes_in,
        200 + floor(random() * 4000)::int AS bytes_out
      FROM minutes m
        CROSS JOIN LATERAL (SELECT least(m.c, ceil(1.6 * m.c::float8 ^ 0.55::float8)::int, 48) AS k) y
        CROSS JOIN LATERAL generate_series(0, y.k - 1) i
    ), classed AS (
      -- calls to no endpoint are the gateway's 404s
      SELECT d.*, CASE WHEN d.endpoint_idx = 12 THEN 4 ELSE d.raw_class END::smallint AS status_class FROM draws d
    ), grouped AS (
      SELECT d.sub_id, d.minute, k.app_id, k.key_id, d.api_id, coalesce(e.endpoint_id, '${NO_ID}'::uuid) AS endpoint_id,
        d.plan_id, d.status_class, d.account_id, k.mode,
        sum(d.calls)::int AS n, sum(d.calls * d.bytes_in) AS bytes_in, sum(d.calls * d.bytes_out) AS bytes_out,
        least(20, greatest(1, min(coalesce(e.base_bucket, 3)) + min(d.jitter)
          + CASE WHEN d.endpoint_idx = 12 THEN 0 WHEN d.status_class = 4 THEN -3 WHEN d.status_class = 5 THEN 4 ELSE 0 END)) AS b
      FROM classed d
        JOIN bench_keys k ON k.consumer_idx = d.consumer_idx AND k.key_rank = d.key_rank
        LEFT JOIN bench_endpoints e ON e.api_id = d.api_id AND e.idx = d.endpoint_idx
      GROUP BY d.sub_id, d.minute, k.app_id, k.key_id, d.api_id, e.endpoint_id, d.plan_id, d.status_class, d.account_id,
        k.mode, d.endpoint_idx
    ), spread AS (
      -- the row's calls over buckets b-1, b, b+1 and a tail at b+3
      SELECT g.*, floor(g.n * 0.2)::int AS x, floor(g.n * 0.15)::int AS z, floor(g.n * 0.04)::int AS t FROM grouped g
    )
    INSERT INTO usage_minute_rollups (subscription_id, minute, application_id, key_id, api_id, endpoint_id, plan_id,
      status_class, consumer_account_id, mode, calls, errors, bytes_in, bytes_out, billable_units, overage_units,
      latency_ms_sum, latency_histogram)
    SELECT sub_id, minute, app_id, key_id, api_id, endpoint_id, plan_id, status_class, account_id, mode,
      n, CASE WHEN status_class >= 4 THEN n ELSE 0 END, bytes_in, bytes_out,
      CASE WHEN mode = 'test' OR status_class = 5 OR endpoint_id = '${NO_ID}'::uuid THEN 0 WHEN status_class = 4 THEN n / 2 ELSE n END,
      0,
      round(x * m[b] + (n - x - z - t) * m[b + 1] + z * m[b + 2] + t * m[b + 4])::bigint,
      array_fill(0, ARRAY[b - 1]) || ARRAY[x, n - x - z - t, z, 0, t] || array_fill(0, ARRAY[20 - b])
    FROM spread, (SELECT '${BUCKET_MID_MS}'::float8[] AS m) mids
    WHERE n > 0
    ORDER BY minute, sub_id`;
}

/** The request log of one day: one row per call of the rollups (what the gateway's batches wrote). */
function dayRequestsSql(): string {
  return `
    INSERT INTO usage_requests (request_id, at, batch_id, consumer_account_id, application_id, key_id, key_prefix,
      api_id, subscription_id, endpoint_id, method, status, latency_ms, bytes_in, bytes_out, mode, billable_units,
      generated, error_code)
    SELECT gen_random_uuid(), r.minute + floor(random() * 60000) * interval '1 millisecond', md5(r.minute::text)::uuid,
      r.consumer_account_id, r.application_id, r.key_id, 'mp_' || r.mode || '_…' || substr(md5(r.key_id::text), 1, 4),
      r.api_id, r.subscription_id, nullif(r.endpoint_id, '${NO_ID}'::uuid), coalesce(e.method, 'GET'), s.status,
      greatest(1, floor(m.mids[1 + array_position(r.latency_histogram, (SELECT max(v) FROM unnest(r.latency_histogram) v)) - 1]
        * (0.5 + random())))::int,
      r.bytes_in / r.calls, r.bytes_out / r.calls, r.mode,
      CASE WHEN r.billable_units = 0 THEN 0 WHEN r.status_class = 4 AND s.generated THEN 0 ELSE 1 END,
      s.generated, CASE WHEN s.generated THEN CASE WHEN s.status = 404 THEN 'endpoint_not_found' ELSE 'rate_limited' END END
    FROM usage_minute_rollups r
      CROSS JOIN generate_series(1, r.calls::int) g
      LEFT JOIN bench_endpoints e ON e.endpoint_id = r.endpoint_id
      CROSS JOIN LATERAL (
        SELECT CASE r.status_class
            WHEN 2 THEN CASE WHEN e.method = 'POST' THEN 201 ELSE 200 END
            WHEN 4 THEN CASE WHEN r.endpoint_id = '${NO_ID}'::uuid THEN 404 ELSE (ARRAY[400, 401, 404, 429])[1 + (g % 4)] END
            ELSE (ARRAY[500, 502, 503, 504])[1 + (g % 4)] END::smallint AS status,
          r.status_class = 4 AND (r.endpoint_id = '${NO_ID}'::uuid OR g % 4 = 3) AS generated
      ) s,
      (SELECT '${BUCKET_MID_MS}'::float8[] AS mids) m
    WHERE r.minute >= $1::timestamptz AND r.minute < $1::timestamptz + interval '1 day'
    ORDER BY r.minute`;
}

interface Case {
  name: string;
  run: () => Promise<unknown>;
  /** A comparison, not an API read: no verdict. */
  reference?: true;
}

async function main(): Promise<void> {
  const database = `portico_bench_analytics_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const prefix = `portico-bench-analytics-${randomBytes(4).toString('hex')}`;
  log(
    `bench:analytics — ${fmt(CALLS)} calls over ${DAYS} days, ${CONSUMERS} consumers, ${ROUNDS} rounds × ≤ ${ITERATIONS} per case; ` +
      `${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; scratch database ${database}`,
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
      PAYMENTS: 'local',
    };
    context = await NestFactory.createApplicationContext(BenchModule.forRoot(rawEnv), {
      logger: ['warn', 'error'],
    });
    const db = context.get(DataSource);

    // ---- seed ------------------------------------------------------------------------------
    const now = new Date();
    const end = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    const start = new Date(end.getTime() - DAYS * DAY_MS);
    const seedStarted = performance.now();
    const folds = context.get(RollupFoldService);
    const folded = { deltas: 0, ms: 0 };
    const q = db.createQueryRunner();
    try {
      // seeding only: big sorts in memory, and no JIT (it compiles every statement anew: ~0.6 s each)
      await q.query(`SET work_mem = '256MB'`);
      await q.query('SET jit = off');
      await q.query(`SELECT setseed(0.2026)`);
      await seedEntities(q, end);
      const [entities] = (await q.query(
        `SELECT (SELECT count(*) FROM subscriptions) AS subs, (SELECT count(*) FROM api_keys) AS keys,
           (SELECT count(*) FROM applications) AS apps, (SELECT count(*) FROM subscriptions WHERE status = 'canceled') AS canceled`,
      )) as { subs: string; keys: string; apps: string; canceled: string }[];
      log(
        `seed: 8 providers, 24 APIs × 12 endpoints × 3 plans, ${CONSUMERS} consumers, ${entities.apps} applications, ` +
          `${entities.keys} keys, ${entities.subs} subscriptions (${entities.canceled} canceled) — ${seconds(seedStarted)}`,
      );
      let rows = 0;
      for (let d = 0; d < DAYS; d++) {
        const dayStart = new Date(start.getTime() + d * DAY_MS);
        rows +=
          ((await q.query(dayRollupsSql(), [dayStart.toISOString()], true)) as { affected?: number })
            .affected ?? 0;
        // the worker's fold job, as it runs every few seconds (here once per seeded day of deltas)
        const fold = await folds.fold();
        folded.deltas += fold.deltas;
        folded.ms += fold.tookMs;
        if (d % 5 === 4 || d === DAYS - 1)
          log(
            `seed: minute rollups, day ${d + 1}/${DAYS}: ${fmt(rows)} rows so far, ${fmt(folded.deltas)} deltas folded ` +
              `into hours and days in ${(folded.ms / 1000).toFixed(1)} s — ${seconds(seedStarted)}`,
          );
      }
      let requests = 0;
      for (let d = DAYS - REQUEST_LOG_DAYS; d < DAYS; d++) {
        const dayStart = new Date(start.getTime() + d * DAY_MS);
        requests +=
          ((await q.query(dayRequestsSql(), [dayStart.toISOString()], true)) as { affected?: number })
            .affected ?? 0;
        log(
          `seed: request log, day ${d + 1 - (DAYS - REQUEST_LOG_DAYS)}/${REQUEST_LOG_DAYS}: ${fmt(requests)} rows so far — ${seconds(seedStarted)}`,
        );
      }
      // what autovacuum would have done by now on a live system (visibility maps, statistics)
      const tables = await q.query(
        `SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'usage\\_%' ORDER BY relname`,
      );
      for (const { relname } of tables as { relname: string }[]) await q.query(`VACUUM ANALYZE ${relname}`);
      await q.query('ANALYZE');
    } finally {
      await q.release();
    }
    const [seeded] = await db.query<
      {
        rows: string;
        calls: string;
        size: string;
        rsize: string;
        folded: string;
        fsize: string;
      }[]
    >(
      `SELECT count(*) AS rows, sum(calls) AS calls, pg_size_pretty(pg_total_relation_size('usage_minute_rollups')) AS size,
         pg_size_pretty(pg_total_relation_size('usage_requests')) AS rsize,
         (SELECT string_agg(format('%s %s', c.relname, to_char(c.reltuples, 'FM999,999,999')), ', ' ORDER BY c.relname)
            FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'usage_folded_%') AS folded,
         (SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c
            WHERE c.relkind = 'r' AND c.relname LIKE 'usage_folded_%') AS fsize
       FROM usage_minute_rollups`,
    );
    log(`folded rollups (rows): ${seeded.folded} — ${seeded.fsize} with indexes`);
    log(
      `seeded ${fmt(Number(seeded.calls))} calls in ${fmt(Number(seeded.rows))} minute rollup rows (${seeded.size} with indexes; ` +
        `${(Number(seeded.calls) / Number(seeded.rows)).toFixed(2)} calls per row) and the request log of the last ${REQUEST_LOG_DAYS} days ` +
        `(${seeded.rsize}) in ${seconds(seedStarted)}`,
    );

    // ---- who is measured ---------------------------------------------------------------------
    const [top] = await db.query<{ account_id: string; calls: string; share: string; rows: string }[]>(
      `SELECT consumer_account_id AS account_id, sum(calls) AS calls, count(*) AS rows,
         round(100.0 * sum(calls) / (SELECT sum(calls) FROM usage_minute_rollups), 1) AS share
       FROM usage_minute_rollups GROUP BY 1 ORDER BY 2 DESC LIMIT 1`,
    );
    const [provider] = await db.query<
      { account_id: string; provider_id: string; calls: string; rows: string; share: string }[]
    >(
      `SELECT p.account_id, p.provider_id, sum(r.calls) AS calls, count(*) AS rows,
         round(100.0 * sum(r.calls) / (SELECT sum(calls) FROM usage_minute_rollups), 1) AS share
       FROM usage_minute_rollups r JOIN bench_apis a ON a.api_id = r.api_id JOIN bench_providers p ON p.provider_id = a.provider_id
       GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1`,
    );
    const [topApi] = await db.query<{ api_id: string; key_id: string }[]>(
      `SELECT api_id, (SELECT key_id FROM usage_minute_rollups WHERE consumer_account_id = $1 GROUP BY key_id ORDER BY sum(calls) DESC LIMIT 1) AS key_id
       FROM usage_minute_rollups WHERE consumer_account_id = $1 GROUP BY api_id ORDER BY sum(calls) DESC LIMIT 1`,
      [top.account_id],
    );
    const [log7] = await db.query<{ n: string }[]>(
      'SELECT count(*) AS n FROM usage_requests WHERE consumer_account_id = $1',
      [top.account_id],
    );
    log(
      `measured: the heaviest consumer (${top.share} % of calls: ${fmt(Number(top.calls))} calls in ${fmt(Number(top.rows))} rollup rows, ` +
        `${fmt(Number(log7.n))} request-log rows) and the largest provider (${provider.share} %: ${fmt(Number(provider.calls))} calls in ` +
        `${fmt(Number(provider.rows))} rows); range [now − ${DAYS} days, now)`,
    );

    // ---- cases -------------------------------------------------------------------------------
    const consumerUsage = context.get(ConsumerUsageService);
    const providerAnalytics = context.get(ProviderAnalyticsService);
    const platform = context.get(PlatformAnalyticsService);
    const usage = context.get(UsageAnalyticsService);
    const subscriptions = context.get(SubscriptionsService);
    const to = now;
    const from = new Date(to.getTime() - DAYS * DAY_MS);
    const consumerId = top.account_id;
    const ownerId = provider.account_id;
    const providerScope: UsageScope = {
      kind: 'provider',
      apiIds: (
        await db.query<{ id: string }[]>('SELECT id FROM api_listings WHERE provider_id = $1', [
          provider.provider_id,
        ])
      ).map((r) => r.id),
    };
    // the heaviest consumer's running periods, as billing reads them (MeteringService.usageForPeriods)
    const metering = context.get(MeteringService);
    const periods = (
      await db.query<{ id: string; start: Date; end: Date }[]>(
        `SELECT id, current_period_start AS start, current_period_end AS end FROM subscriptions
         WHERE consumer_account_id = $1 AND status IN ('trialing', 'active', 'past_due')`,
        [consumerId],
      )
    ).map((p) => ({ subscriptionId: p.id, start: p.start, end: p.end }));
    const pkRows = await db.query<Record<string, unknown>[]>(
      `SELECT subscription_id, minute, application_id, key_id, api_id, endpoint_id, plan_id, status_class
       FROM usage_minute_rollups TABLESAMPLE SYSTEM (1) LIMIT 1000`,
    );
    let pk = 0;
    const series = (
      granularity: 'hour' | 'day',
      filters = {},
      groupBy: ('api' | 'app' | 'key' | 'endpoint' | 'statusClass')[] = [],
    ) => consumerUsage.series(consumerId, { from, to, granularity, filters, groupBy });
    const cases: Case[] = [
      {
        name: 'baseline: primary-key lookup of a minute rollup',
        run: () => {
          const r = pkRows[pk++ % pkRows.length];
          return db.query(
            `SELECT calls, latency_histogram FROM usage_minute_rollups WHERE subscription_id = $1 AND minute = $2 AND application_id = $3
               AND key_id = $4 AND api_id = $5 AND endpoint_id = $6 AND plan_id = $7 AND status_class = $8`,
            [
              r.subscription_id,
              r.minute,
              r.application_id,
              r.key_id,
              r.api_id,
              r.endpoint_id,
              r.plan_id,
              r.status_class,
            ],
          );
        },
      },
      { name: 'consumer usage, day (31 points)', run: () => series('day') },
      { name: 'consumer usage, hour (720 points)', run: () => series('hour') },
      { name: 'consumer usage, day, groupBy=endpoint', run: () => series('day', {}, ['endpoint']) },
      { name: 'consumer usage, hour, groupBy=statusClass', run: () => series('hour', {}, ['statusClass']) },
      {
        name: 'consumer usage, hour, api + key filter',
        run: () => series('hour', { api: topApi.api_id, key: topApi.key_id }),
      },
      { name: 'consumer current periods', run: () => consumerUsage.currentPeriods(consumerId) },
      {
        name: '  same sums through usageForPeriods (billing: minute rows)',
        run: () => metering.usageForPeriods(periods),
        reference: true,
      },
      {
        name: 'consumer request log, first page (50)',
        run: () => consumerUsage.requests(consumerId, {}, null),
      },
      {
        name: 'consumer request log, first page, status=5xx',
        run: () => consumerUsage.requests(consumerId, { statusClass: 5 }, null),
      },
      {
        name: 'consumer request log CSV, first 1,000-row page',
        run: async () => {
          const pages = consumerUsage.allRequests(consumerId, {});
          const first = await pages.next();
          await pages.return(undefined);
          return first;
        },
      },
      {
        name: 'provider overview (all of the below at once)',
        run: () => providerAnalytics.overview(ownerId, { from, to, apiId: null }),
      },
      { name: 'provider per API', run: () => usage.breakdown(providerScope, from, to, ['api'], {}, 1_000) },
      {
        name: 'provider per endpoint',
        run: () => usage.breakdown(providerScope, from, to, ['api', 'endpoint'], {}, 1_000),
      },
      { name: 'provider per plan', run: () => usage.breakdown(providerScope, from, to, ['plan'], {}, 1_000) },
      {
        name: 'provider top 10 consumers',
        run: () => providerAnalytics.consumers(ownerId, { from, to, apiId: null }, 10),
      },
      {
        name: 'provider per consumer (1,000)',
        run: () => providerAnalytics.consumers(ownerId, { from, to, apiId: null }),
      },
      {
        name: 'provider new/churned subscriptions per day',
        run: () =>
          subscriptions.subscriptionFlow(provider.provider_id, from, to, 'day', providerScope.apiIds),
      },
      {
        name: 'provider usage, hour',
        run: () =>
          providerAnalytics.series(ownerId, null, {
            from,
            to,
            granularity: 'hour',
            filters: {},
            groupBy: [],
          }),
      },
      {
        name: 'provider usage, day, groupBy=api',
        run: () =>
          providerAnalytics.series(ownerId, null, {
            from,
            to,
            granularity: 'day',
            filters: {},
            groupBy: ['api'],
          }),
      },
      { name: 'admin platform totals per day', run: () => platform.daily(from, to) },
    ];

    if (EXPLAIN) await explainAll(db, cases);
    if (ROUNDS < 1) return;

    for (const c of cases) await c.run(); // warm-up: plans, caches, JIT of Node
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const roundP95 = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      const roundStarted = performance.now();
      // rotate the order each round, so no case always follows the same one
      const order = cases.map((_, i) => cases[(i + round - 1) % cases.length]);
      for (const c of order) {
        const times: number[] = [];
        const caseStarted = performance.now();
        for (let i = 0; i < ITERATIONS; i++) {
          const started = performance.now();
          await c.run();
          times.push(performance.now() - started);
          if (times.length >= 3 && performance.now() - caseStarted > CASE_BUDGET_MS) break;
        }
        samples.get(c.name)!.push(...times);
        roundP95.get(c.name)!.push(
          percentile(
            [...times].sort((a, b) => a - b),
            95,
          ),
        );
      }
      log(`round ${round}/${ROUNDS} — ${seconds(roundStarted)}, load average ${loadavg()[0].toFixed(1)}`);
    }

    const baseP50 = percentile(
      [...samples.get(cases[0].name)!].sort((a, b) => a - b),
      50,
    );
    const width = Math.max(...cases.map((c) => c.name.length));
    log('');
    log(
      `| ${'query (30-day range)'.padEnd(width)} | p50 ms | p95 ms | p95 per round | p50 × baseline | p95 < ${GOAL_P95_MS} ms |`,
    );
    log(`| ${'-'.repeat(width)} | -----: | -----: | ------------: | -------------: | :--------: |`);
    let failed = 0;
    const judged = cases.filter((c) => c !== cases[0] && !c.reference);
    for (const c of cases) {
      const all = [...samples.get(c.name)!].sort((a, b) => a - b);
      const p95s = roundP95.get(c.name)!;
      const p95 = percentile(all, 95);
      const met = p95 < GOAL_P95_MS;
      if (judged.includes(c) && !met) failed += 1;
      log(
        `| ${c.name.padEnd(width)} | ${ms(percentile(all, 50)).padStart(6)} | ${ms(p95).padStart(6)} | ` +
          `${`${ms(Math.min(...p95s))}–${ms(Math.max(...p95s))}`.padStart(13)} | ${`${fmt(percentile(all, 50) / baseP50)}×`.padStart(14)} | ` +
          `${(!judged.includes(c) ? '' : met ? 'met' : 'NOT met').padStart(10)} |`,
      );
    }
    log('');
    log(
      failed === 0
        ? `goal p95 < ${GOAL_P95_MS} ms: met by every query`
        : `goal p95 < ${GOAL_P95_MS} ms: NOT met by ${failed} of ${judged.length} queries`,
    );
  } finally {
    await context?.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    if (KEEP)
      log(`cleanup: kept ${database} (BENCH_KEEP=1: drop it yourself), deleted ${keys.length} Redis keys`);
    else {
      await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      log(`cleanup: dropped ${database}, deleted ${keys.length} Redis keys`);
    }
  }
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement a case runs on the usage tables, exactly as the
 * services send it (captured from the DataSource the repositories use, with the `SET LOCAL`s of
 * its transaction when it ran in one; BENCH_EXPLAIN=1).
 */
async function explainAll(db: DataSource, cases: readonly Case[]): Promise<void> {
  type Query = (sql: string, params?: unknown[], runner?: QueryRunner) => Promise<unknown>;
  const original = db.query.bind(db) as Query;
  for (const c of cases) {
    const captured: { sql: string; params?: unknown[]; settings: string[] }[] = [];
    const settings = new Map<QueryRunner, string[]>();
    (db as { query: unknown }).query = (sql: string, params?: unknown[], runner?: QueryRunner) => {
      if (runner && /^SET LOCAL /.test(sql)) settings.set(runner, [...(settings.get(runner) ?? []), sql]);
      if (/usage_/.test(sql))
        captured.push({ sql, params, settings: (runner && settings.get(runner)) || [] });
      return original(sql, params, runner);
    };
    try {
      await c.run();
    } finally {
      (db as { query: unknown }).query = original;
    }
    for (const { sql, params, settings: local } of captured) {
      const runner = db.createQueryRunner();
      try {
        await runner.startTransaction();
        for (const setting of local) await runner.query(setting);
        const plan = (await runner.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)) as {
          'QUERY PLAN': string;
        }[];
        await runner.commitTransaction();
        const note = local.length > 0 ? ` (${local.join('; ')})` : '';
        log(
          `\nEXPLAIN (ANALYZE, BUFFERS) — ${c.name}${note}:\n${plan.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}`,
        );
      } finally {
        await runner.release();
      }
    }
  }
  log('');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
