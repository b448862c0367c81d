/**
 * npm run bench:gateway — the gateway's throughput and added latency against two baselines measured
 * in the same run (issue 4, "Performance"):
 *
 *  - direct: straight to a minimal upstream (node:http, small JSON body, keep-alive; own process);
 *  - nginx: Debian's nginx `proxy_pass` with upstream keep-alive to the same upstream (the practical
 *    ceiling for a proxy), one worker process; skipped with a note when nginx is not installed;
 *  - Portico: the real gateway process (apps/gateway/src/main.ts) with live keys of 4 consumers,
 *    each with an active subscription (the load rotates over them), the Redis limiter (plan rate windows + a hard quota: one EVALSHA per call), the
 *    usage buffer enqueuing BullMQ batch jobs (no worker runs) and /metrics.
 *
 * Setup goes through the real api (createApiApp on a loopback port): a provider publishes an API
 * pointing at the upstream with a one-operation OpenAPI document and a free plan with high but real
 * limits; each consumer creates a live key and subscribes. The scratch database (created, migrated,
 * dropped) and the Redis key prefix (deleted at the end) belong to this run only.
 *
 * Two load shapes, in interleaved rounds (the target order rotates each round), reported as
 * medians with the spread, and as same-round ratios:
 *  - closed loop: autocannon, BENCH_CONNECTIONS (50) connections as fast as they go → req/s;
 *  - open loop: a steady BENCH_RATE (1,000) req/s → p50/p99 latency. By default a steady
 *    scheduler (undici Pool, requests started on a 1 ms tick whether or not earlier ones
 *    answered); BENCH_OPEN_LOOP=autocannon uses autocannon's `overallRate` instead, which sends
 *    each connection's share as a burst at the start of every second (so its p99 measures burst
 *    queueing, not a steady rate).
 * Latencies are measured per response in the load generator (float ms), not autocannon's
 * whole-millisecond histogram. CPU per request of the gateway and of nginx comes from
 * /proc/<pid>/stat (utime + stime of the process tree) around each run.
 *
 *   BENCH_ROUNDS=3 · BENCH_DURATION=10 (s per run) · BENCH_CONNECTIONS=50 · BENCH_RATE=1000
 *   BENCH_WARMUP=3 (s per target) · BENCH_OPEN_LOOP=steady|autocannon
 *   BENCH_OPEN_LEAD_IN=1 (s): each open-loop run starts with this long at the same rate, not
 *   counted in its p50/p99. A target has been idle ~30 s by then (the other targets' runs): its
 *   first second measures the resume (caches past their TTL, V8's young generation shrunk while
 *   idle), not the steady rate. Its p99 is reported on its own ("p99 of the lead-in").
 *   BENCH_CPU_PROF=1: the gateway runs with --cpu-prof; its top self-time functions are printed.
 *   The gateway runs with the node flags of `npm run start:gateway` (package.json), what operators
 *   run; BENCH_GATEWAY_FLAGS="…" replaces them (e.g. BENCH_GATEWAY_FLAGS= for node's defaults).
 *   BENCH_GATEWAY_FLAGS_B="…" and/or BENCH_GATEWAY_ROOT_B=<another checkout>: a second gateway
 *   process with these node flags (default: Portico's) or that checkout's code (its
 *   apps/gateway/src/main.ts; e.g. `git worktree add /tmp/before HEAD~1` with node_modules linked)
 *   joins the same rounds as "Portico B" (same data, same upstream), and its same-round ratios to
 *   Portico are printed: an A/B that the machine's drift between runs cannot fake.
 *   BENCH_PROTOTYPE=1: the issue's reference prototype (see prototypeSource) joins the rounds too,
 *   with its ratio to nginx and Portico's to it: the 40 % target read against this machine.
 *   BENCH_ADMIN_DATABASE_URL=postgres://…/postgres · BENCH_REDIS_URL=redis://127.0.0.1:6379
 *   BENCH_HOLD=<s>: after setup, keep the stack up this long, printing its URLs and key (investigation)
 *
 * The machine has 2 cores shared by the load generator (this process), the upstream, nginx and
 * the gateway: every number is "on a saturated 2-core box", and only same-run ratios count.
 */
import 'reflect-metadata';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import {
  cpuMsOf,
  cpuMsOfProcessesNamed,
  databaseUrl,
  median,
  migrateDatabase,
  percentile,
  startScriptNodeFlags,
  withAdmin,
} from './bench-support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const LEAD_IN_S = Number(process.env.BENCH_OPEN_LEAD_IN ?? 1);
const OPEN_LOOP = process.env.BENCH_OPEN_LOOP === 'autocannon' ? 'autocannon' : 'steady';
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const FLAGS_B = process.env.BENCH_GATEWAY_FLAGS_B;
const ROOT_B = process.env.BENCH_GATEWAY_ROOT_B;
const PROTOTYPE = process.env.BENCH_PROTOTYPE === '1';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = join(__dirname, '..');
const UPSTREAM_PATH = '/items/42';

// ---------------------------------------------------------------------------------------------
// autocannon (no bundled types: the few fields used here)

interface AutocannonResult {
  duration: number;
  requests: { total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
interface AutocannonInstance {
  on(
    event: 'response',
    listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void,
  ): void;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------
// children and cleanup

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    // SIGTERM first (nginx's master stops its workers; the gateway flushes), then SIGKILL what is left, descendants included
    await Promise.all([...children].map((child) => stop(child, 'SIGTERM', 3_000)));
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`cleanup: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping children and cleaning up…\n`);
    void cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM (or `signal`), then SIGKILL if it has not exited in time. */
async function stop(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 20_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const family = child.pid ? descendants(child.pid).slice(1) : [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  for (const pid of family) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function waitFor(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before answering`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// CPU time of a process tree (/proc, clock ticks at 100 Hz)

function descendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const taskDir = `/proc/${out[i]}/task`;
    if (!existsSync(taskDir)) continue;
    for (const tid of readdirSync(taskDir)) {
      try {
        const kids = readFileSync(`${taskDir}/${tid}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // gone
      }
    }
  }
  return out;
}

/** utime + stime in ms of the process and its descendants. */
function cpuMs(pid: number | undefined): number {
  return pid ? cpuMsOf(descendants(pid)) : 0;
}

// ---------------------------------------------------------------------------------------------
// scratch database and Redis prefix

async function deleteRedisPrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// seeding through the real api

interface Session {
  cookie: string;
  csrf: string;
  accountId: string;
  body: Record<string, unknown>;
}

async function apiCall(
  base: string,
  session: Session | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown>; setCookie: string[] }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (session) {
    headers.cookie = session.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = session.csrf;
  }
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
  return { status: res.status, body: parsed, setCookie: res.headers.getSetCookie() };
}

async function signUp(base: string, tag: string): Promise<Session> {
  const email = `${tag}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.com`;
  const res = await apiCall(base, null, 'POST', '/v1/auth/signup', {
    email,
    password: 'correct horse battery staple',
  });
  const cookie = res.setCookie.map((c) => c.split(';', 1)[0]).join('; ');
  const account = res.body.account as { id: string };
  return { cookie, csrf: res.body.csrfToken as string, accountId: account.id, body: res.body };
}

const DOCUMENT = {
  openapi: '3.0.3',
  info: { title: 'Bench', version: '1.0.0' },
  paths: {
    '/items/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { example: { id: '42', name: 'widget' } } },
          },
        },
      },
    },
  },
};

/**
 * The plan maxima, so never rejecting at these rates (spread over CONSUMERS subscriptions), but
 * real: three rate windows and a hard quota run on every call.
 */
const PLAN = {
  name: 'Bench',
  priceAmountMinor: 0,
  quotaLimit: 1_000_000_000_000,
  quotaMode: 'hard',
  rateLimit: { perSecond: 10_000, burst: 10_000, perMinute: 600_000, perHour: 36_000_000 },
};

interface Seeded {
  slug: string;
  /** One live key per consumer, each with its own subscription: the load rotates over them. */
  liveKeys: string[];
}

/**
 * Consumers calling through Portico, each with its own subscription (and so its own rate
 * windows): one subscription may not pass 10,000 calls/s (the plan maximum), and the closed loop
 * goes faster than that.
 */
const CONSUMERS = 4;

async function seed(env: Record<string, string>, upstreamOrigin: string): Promise<Seeded> {
  const { createApiApp } = await import('../apps/api/src/bootstrap');
  const app = await createApiApp(env);
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  try {
    const provider = await signUp(base, 'bench-provider');
    const slugTag = randomBytes(3).toString('hex');
    await apiCall(base, provider, 'POST', '/v1/provider', {
      displayName: 'Bench Provider',
      slug: `bench-${slugTag}`,
      supportEmail: 'support@bench.example',
    });
    const api = await apiCall(base, provider, 'POST', '/v1/provider/apis', {
      name: 'Bench API',
      slug: `bench-api-${slugTag}`,
      summary: 'A node:http upstream on loopback.',
      category: 'data',
      visibility: 'public',
      upstreamLiveUrl: upstreamOrigin,
    });
    const apiId = api.body.id as string;
    const version = await apiCall(base, provider, 'POST', `/v1/apis/${apiId}/versions`, DOCUMENT);
    await apiCall(
      base,
      provider,
      'POST',
      `/v1/apis/${apiId}/versions/${version.body.id as string}/publish`,
      {},
    );
    const plan = await apiCall(base, provider, 'POST', `/v1/provider/apis/${apiId}/plans`, PLAN);
    await apiCall(base, provider, 'POST', `/v1/provider/apis/${apiId}/publish`, {});

    const liveKeys: string[] = [];
    for (let i = 0; i < CONSUMERS; i++) {
      const consumer = await signUp(base, `bench-consumer-${i}`);
      const application = consumer.body.application as { id: string };
      const key = await apiCall(base, consumer, 'POST', `/v1/apps/${application.id}/keys`, {
        label: 'bench',
        mode: 'live',
      });
      const sub = await apiCall(base, consumer, 'POST', '/v1/subscriptions', { planId: plan.body.id });
      if (sub.body.status !== 'active')
        throw new Error(`subscription is ${String(sub.body.status)}, expected active`);
      liveKeys.push(key.body.secret as string);
    }
    return { slug: api.body.slug as string, liveKeys };
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------
// the processes under test

const UPSTREAM_SOURCE = `
const http = require('node:http');
const body = Buffer.from(JSON.stringify({ id: '42', name: 'widget', price: { amount: 1999, currency: 'EUR' }, tags: ['a', 'b'] }));
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 120000;
server.headersTimeout = 121000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

/**
 * The issue's reference prototype (issue 4, "Performance": the plain-handler shape that reached
 * 43 % of nginx where the targets were set), for BENCH_PROTOTYPE=1: node:http, an in-process key
 * cache, ONE small EVALSHA (a per-second counter and a quota), undici `Pool.stream` with hop-by-hop
 * headers stripped, usage events buffered and enqueued as one BullMQ job per batch. None of
 * Portico's contract (no resolution, authorisation, endpoint matching, limit headers, header
 * hygiene, path or size checks, metrics): what a Node proxy of this shape costs on this machine, so
 * the 40 % target can be read against it.
 */
function prototypeSource(root: string): string {
  const mod = (name: string) => JSON.stringify(join(root, 'node_modules', name));
  return `
const http = require('node:http');
const { createHash, randomUUID } = require('node:crypto');
const { Pool } = require(${mod('undici')});
const Redis = require(${mod('ioredis')});
const { Queue } = require(${mod('bullmq')});
const prefix = process.env.PROTOTYPE_PREFIX;
const upstream = new Pool(process.env.UPSTREAM, { connections: 64 });
const redis = new Redis(process.env.REDIS_URL, { enableAutoPipelining: false });
const queue = new Queue('prototype', { connection: { url: process.env.REDIS_URL, maxRetriesPerRequest: null }, prefix: prefix + ':bull' });
const SCRIPT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end " +
  "local q = redis.call('INCRBY', KEYS[2], 1) return { n, q }";
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'x-portico-key']);
const keys = new Map();
let sha;
let events = [];
const flush = () => {
  if (events.length === 0) return;
  const batch = events;
  events = [];
  queue.add('usage', { batchId: randomUUID(), events: batch }, { removeOnComplete: true }).catch(() => {});
};
setInterval(flush, 50);
const server = http.createServer((req, res) => {
  if (req.url === '/health') return res.end('{"status":"ok"}');
  const key = req.headers['x-portico-key'];
  if (typeof key !== 'string') { res.writeHead(401); return res.end(); }
  const hash = createHash('sha256').update(key).digest('hex');
  let sub = keys.get(hash);
  if (!sub) keys.set(hash, (sub = randomUUID()));
  const started = performance.now();
  const second = Math.floor(Date.now() / 1000);
  redis.evalsha(sha, 2, prefix + ':{' + sub + '}:s:' + second, prefix + ':{' + sub + '}:q').then((counts) => {
    const raw = req.rawHeaders;
    const headers = [];
    for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) headers.push(raw[i], raw[i + 1]);
    headers.push('x-forwarded-for', req.socket.remoteAddress || '');
    const url = req.url;
    upstream.stream({ method: req.method, path: url.slice(url.indexOf('/', 1)), headers }, ({ statusCode, headers: answer }) => {
      const out = {};
      for (const name in answer) if (!HOP.has(name) && name !== 'set-cookie') out[name] = answer[name];
      out['x-ratelimit-remaining'] = String(1000000 - counts[0]);
      res.writeHead(statusCode, out);
      return res;
    }, (error) => {
      if (error) { if (!res.headersSent) res.writeHead(502); return res.end(); }
      events.push({ requestId: randomUUID(), subscriptionId: sub, status: res.statusCode, at: new Date().toISOString(), latencyMs: performance.now() - started });
      if (events.length >= 500) flush();
    });
  }, () => { res.writeHead(503); res.end(); });
});
server.keepAliveTimeout = 65000;
redis.script('LOAD', SCRIPT).then((loaded) => {
  sha = loaded;
  server.listen(Number(process.env.PORT), '127.0.0.1');
});
process.on('SIGTERM', () => server.close(() => queue.close().then(() => process.exit(0))));
`;
}

/**
 * Runs apps/gateway/src/main.ts compiled in memory with TypeScript's transpileModule (what
 * `ts-node --transpile-only` does), but without ts-node: ts-node loads node:repl, which loads
 * node:domain, which patches every EventEmitter.emit and installs async hooks — measured here as a
 * large part of the gateway's CPU per request, and absent from the built gateway in production.
 */
function gatewayRunnerSource(root: string): string {
  return `
const ts = require(${JSON.stringify(join(root, 'node_modules', 'typescript'))});
const fs = require('node:fs');
const configPath = ${JSON.stringify(join(root, 'tsconfig.json'))};
const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, ${JSON.stringify(root)});
const compilerOptions = { ...parsed.options, sourceMap: false, inlineSourceMap: false, declaration: false };
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  module._compile(ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText, filename);
};
require(${JSON.stringify(join(root, 'node_modules', 'tsconfig-paths'))}).register({
  baseUrl: ${JSON.stringify(root)},
  paths: parsed.options.paths,
});
require(${JSON.stringify(join(root, 'apps', 'gateway', 'src', 'main.ts'))});
setTimeout(() => {
  if (process.moduleLoadList.includes('NativeModule domain')) process.stderr.write('bench warning: node:domain is loaded in the gateway\\n');
}, 5000).unref();
`;
}

function nginxConfig(dir: string, port: number, upstreamPort: number): string {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** The node flags of `npm run start:gateway` (or BENCH_GATEWAY_FLAGS when set). */
function gatewayNodeFlags(): string[] {
  const override = process.env.BENCH_GATEWAY_FLAGS;
  return override === undefined ? startScriptNodeFlags('gateway') : override.split(' ').filter(Boolean);
}

function nginxBinary(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'])
    if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

// ---------------------------------------------------------------------------------------------
// load

interface Target {
  name: 'direct' | 'nginx' | 'Portico' | 'Portico B' | 'prototype';
  origin: string;
  path: string;
  /** Request headers, rotated request by request (Portico: one set per consumer key). */
  headerSets: Record<string, string>[];
  pid?: number;
  /** Kept open across runs for the steady open loop. */
  pool?: Pool;
}

interface RunResult {
  /** Open loop: the p99 of the lead-in second before the measured run (BENCH_OPEN_LEAD_IN). */
  leadInP99?: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  bad: number;
  /** CPU ms of the target's process tree per 1,000 requests (null for direct: the upstream is shared by all). */
  cpuPer1k: number | null;
  /** CPU ms of the Redis server per 1,000 requests (the limiter's script runs there: machine CPU the gateway costs too). */
  redisCpuPer1k: number;
  /** CPU ms of the load generator per 1,000 requests. */
  loadCpuPer1k: number;
}

class Latencies {
  private values = new Float64Array(1 << 16);
  private n = 0;
  push(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.n).sort();
  }
}

async function measured(
  target: Target,
  work: (lat: Latencies) => Promise<{ requests: number; bad: number; seconds: number }>,
): Promise<RunResult> {
  const lat = new Latencies();
  const cpu0 = cpuMs(target.name === 'direct' ? undefined : target.pid);
  const self0 = process.cpuUsage();
  const redis0 = cpuMsOfProcessesNamed('redis-server');
  const { requests, bad, seconds } = await work(lat);
  const redisCpu = cpuMsOfProcessesNamed('redis-server') - redis0;
  const self = process.cpuUsage(self0);
  const cpu = cpuMs(target.name === 'direct' ? undefined : target.pid) - cpu0;
  const sorted = lat.sorted();
  return {
    rps: requests / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests,
    bad,
    cpuPer1k: target.name === 'direct' ? null : (cpu / Math.max(1, requests)) * 1000,
    loadCpuPer1k: ((self.user + self.system) / 1000 / Math.max(1, requests)) * 1000,
    redisCpuPer1k: (redisCpu / Math.max(1, requests)) * 1000,
  };
}

function autocannonRun(
  target: Target,
  durationS: number,
  extra: Record<string, unknown>,
  lat: Latencies,
): Promise<{ requests: number; bad: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${target.origin}${target.path}`,
        // each connection cycles through these, so the calls spread over every key
        requests: target.headerSets.map((headers) => ({ method: 'GET', path: target.path, headers })),
        connections: CONNECTIONS,
        pipelining: 1,
        duration: durationS,
        ...extra,
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: result.requests.total,
          bad: result.non2xx + result.errors + result.timeouts,
          seconds: result.duration,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, ms) => lat.push(ms));
  });
}

function closedLoop(target: Target, durationS = DURATION_S): Promise<RunResult> {
  return measured(target, (lat) => autocannonRun(target, durationS, {}, lat));
}

/** A steady open loop: on every 1 ms tick, start the requests due by now, answered or not. */
function steadyRun(
  target: Target,
  durationS: number,
  lat: Latencies,
): Promise<{ requests: number; bad: number; seconds: number }> {
  const pool = (target.pool ??= new Pool(target.origin, {
    connections: 256,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  }));
  const total = Math.round(RATE * durationS);
  let sent = 0;
  let finished = 0;
  let fired = 0;
  let bad = 0;
  return new Promise((resolve) => {
    const t0 = performance.now();
    const done = (): void => {
      finished += 1;
      if (finished === total)
        resolve({ requests: total - bad, bad, seconds: (performance.now() - t0) / 1000 });
    };
    const fire = (): void => {
      const start = performance.now();
      const headers = target.headerSets[fired++ % target.headerSets.length];
      pool.request({ path: target.path, method: 'GET', headers }).then(
        async (res) => {
          await res.body.dump();
          lat.push(performance.now() - start);
          if (res.statusCode < 200 || res.statusCode >= 300) bad += 1;
          done();
        },
        () => {
          bad += 1;
          done();
        },
      );
    };
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * RATE) / 1000));
      while (sent < due) {
        sent += 1;
        fire();
      }
      if (sent >= total) clearInterval(timer);
    }, 1);
  });
}

function openLoop(target: Target, durationS = DURATION_S): Promise<RunResult> {
  return measured(target, (lat) =>
    OPEN_LOOP === 'autocannon'
      ? autocannonRun(target, durationS, { overallRate: RATE }, lat)
      : steadyRun(target, durationS, lat),
  );
}

// ---------------------------------------------------------------------------------------------
// reporting

function spread(values: number[], digits: number): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

const out = (line = ''): boolean => process.stdout.write(`${line}\n`);

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** CLOCK_MONOTONIC in µs: the clock of V8's CPU profile timestamps, shared by every process on the machine. */
const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** Windows (monotonic µs) in which Portico was under closed-loop load: the profile is summarised over these only. */
const profileWindows: [number, number][] = [];

function summariseProfile(dir: string): void {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length === 0) return void out(`no .cpuprofile written in ${dir}`);
  const file = join(dir, files[0]);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const hitsById = new Map<number, number>();
  let at = profile.startTime;
  let totalHits = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (!profileWindows.some(([from, to]) => at >= from && at <= to)) continue;
    hitsById.set(profile.samples[i], (hitsById.get(profile.samples[i]) ?? 0) + 1);
    totalHits += 1;
  }
  // keep the trimmed profile (only the samples of the windows) for DevTools / further analysis
  const kept = join(tmpdir(), `portico-gateway-${process.pid}.cpuprofile`);
  const keptSamples: number[] = [];
  const keptDeltas: number[] = [];
  let last = profileWindows[0]?.[0] ?? profile.startTime;
  at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (!profileWindows.some(([from, to]) => at >= from && at <= to)) continue;
    keptSamples.push(profile.samples[i]);
    keptDeltas.push(Math.max(0, at - last));
    last = at;
  }
  writeFileSync(
    kept,
    JSON.stringify({
      ...profile,
      samples: keptSamples,
      timeDeltas: keptDeltas,
      startTime: profileWindows[0]?.[0] ?? profile.startTime,
      endTime: last,
    }),
  );
  out(`trimmed profile written to ${kept}`);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const shortUrl = url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
    const name = `${functionName || '(anonymous)'}  ${shortUrl ? `${shortUrl}:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const area = !shortUrl
      ? functionName.startsWith('(')
        ? functionName
        : '(native)'
      : shortUrl.startsWith('node:')
        ? `node:${shortUrl.slice(5).split('/')[0]}`
        : shortUrl.includes('node_modules/')
          ? shortUrl
              .split('node_modules/')
              .pop()!
              .split('/')
              .slice(0, shortUrl.split('node_modules/').pop()!.startsWith('@') ? 2 : 1)
              .join('/')
          : shortUrl;
    byFile.set(area, (byFile.get(area) ?? 0) + hits);
  }
  const pct = (hits: number) => `${((hits / totalHits) * 100).toFixed(1).padStart(5)} %`;
  out(
    `\nCPU profile of the gateway (${file}): ${totalHits} samples in the Portico closed-loop runs only ` +
      `(${profileWindows.length} windows; "(idle)" = the gateway waiting, i.e. CPU it did not get or did not need)`,
  );
  out('top self time by function:');
  for (const [name, hits] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30))
    out(`  ${pct(hits)}  ${name}`);
  out('self time by module / file:');
  for (const [name, hits] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25))
    out(`  ${pct(hits)}  ${name}`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = `portico_bench_gw_${runId}`;
  const redisPrefix = `portico-bench-gw-${runId.replace('_', '-')}`;
  const tmp = mkdtempSync(join(tmpdir(), 'portico-bench-gw-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

  out(
    `Gateway benchmark: ${ROUNDS} interleaved rounds × ${DURATION_S} s per run; closed loop ${CONNECTIONS} connections (autocannon), ` +
      `open loop ${RATE} req/s (${OPEN_LOOP === 'steady' ? 'steady 1 ms scheduler over an undici Pool' : 'autocannon overallRate'}); ` +
      `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  out(
    `NOTE: the ${cpus().length} cores are shared by the load generator (this process), the upstream, nginx and the gateway ` +
      `(and whatever else runs on the machine): absolute numbers are pessimistic and noisy; compare the same-run ratios.`,
  );

  // scratch database, migrated
  await withAdmin((client) => client.query(`CREATE DATABASE "${database}"`));
  cleanups.push(async () => {
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    out(`cleanup: dropped database ${database}`);
  });
  cleanups.push(async () => {
    const n = await deleteRedisPrefix(redisPrefix);
    out(`cleanup: deleted ${n} Redis keys under ${redisPrefix}:`);
  });
  const dbUrl = databaseUrl(database);
  await migrateDatabase(database);

  const env: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    LOG_FORMAT: 'json',
    DATABASE_URL: dbUrl,
    REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PUBLIC_URL: 'http://localhost:3000',
    GATEWAY_URL: 'http://localhost:8080',
    GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true',
    AUTH_SIGNUPS_PER_IP_PER_HOUR: '100000',
    AUTH_LOGINS_PER_IP_PER_15_MIN: '100000',
  };

  // upstream
  const upstreamPort = await freePort();
  const upstream = track(
    spawn(process.execPath, ['-e', UPSTREAM_SOURCE], {
      env: { PORT: String(upstreamPort) },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const upstreamOrigin = `http://127.0.0.1:${upstreamPort}`;
  await waitFor(`${upstreamOrigin}${UPSTREAM_PATH}`, upstream, 'upstream');

  // provider, API, plan, consumer, key, subscription through the api
  const seeded = await seed(env, upstreamOrigin);

  // the gateway, its own process (and, for an A/B of node flags, a second one)
  const profileDir = join(tmp, 'cpu-prof');
  const startGateway = async (
    label: string,
    flags: string[],
    root = ROOT,
  ): Promise<{ child: ChildProcess; origin: string; log: string }> => {
    const runner = join(tmp, `${label}-runner.js`);
    writeFileSync(runner, gatewayRunnerSource(root));
    const port = await freePort();
    const log = join(tmp, `${label}.log`);
    const logStream = createWriteStream(log);
    const child = track(
      spawn(process.execPath, [...flags, runner], {
        cwd: ROOT,
        env: { ...env, GATEWAY_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    child.stdout?.pipe(logStream);
    child.stderr?.pipe(logStream);
    const origin = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${origin}/health`, child, label);
    } catch (error) {
      out(readFileSync(log, 'utf8').slice(-4000));
      throw error;
    }
    return { child, origin, log };
  };
  const gateway = await startGateway('gateway', [
    ...gatewayNodeFlags(),
    ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
  ]);
  const flagsB = FLAGS_B === undefined ? gatewayNodeFlags() : FLAGS_B.split(' ').filter(Boolean);
  const gatewayB =
    FLAGS_B === undefined && ROOT_B === undefined
      ? undefined
      : await startGateway('gateway-b', flagsB, ROOT_B ?? ROOT);
  const describeB = `node flags "${flagsB.join(' ')}", code of ${ROOT_B ?? ROOT}`;
  if (gatewayB)
    out(`Portico B: ${describeB}; Portico: node flags "${gatewayNodeFlags().join(' ')}", code of ${ROOT}`);

  // nginx, when installed
  const nginx = nginxBinary();
  let nginxChild: ChildProcess | undefined;
  let nginxOrigin: string | undefined;
  if (!nginx) {
    out('nginx not installed: skipped (apt-get install -y nginx to compare against it)');
  } else {
    const dir = join(tmp, 'nginx');
    mkdirSync(dir);
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, upstreamPort));
    nginxChild = track(
      spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    nginxOrigin = `http://127.0.0.1:${port}`;
    await waitFor(`${nginxOrigin}${UPSTREAM_PATH}`, nginxChild, 'nginx');
    const version = spawnSync(nginx, ['-v'], { encoding: 'utf8' });
    out(
      `${(version.stderr || version.stdout).trim()} (${nginx}): 1 worker, upstream keepalive 64, access_log off`,
    );
  }

  const targets: Target[] = [
    { name: 'direct', origin: upstreamOrigin, path: UPSTREAM_PATH, headerSets: [{}], pid: upstream.pid },
    ...(nginxOrigin
      ? [
          {
            name: 'nginx' as const,
            origin: nginxOrigin,
            path: UPSTREAM_PATH,
            headerSets: [{}],
            pid: nginxChild?.pid,
          },
        ]
      : []),
    {
      name: 'Portico',
      origin: gateway.origin,
      path: `/${seeded.slug}${UPSTREAM_PATH}`,
      headerSets: seeded.liveKeys.map((key) => ({ 'x-portico-key': key })),
      pid: gateway.child.pid,
    },
  ];
  const portico = targets[targets.length - 1];
  if (gatewayB)
    targets.push({ ...portico, name: 'Portico B', origin: gatewayB.origin, pid: gatewayB.child.pid });
  if (PROTOTYPE) {
    const port = await freePort();
    const child = track(
      spawn(process.execPath, ['-e', prototypeSource(ROOT)], {
        env: {
          PORT: String(port),
          UPSTREAM: upstreamOrigin,
          REDIS_URL,
          PROTOTYPE_PREFIX: `${redisPrefix}:prototype`,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    const origin = `http://127.0.0.1:${port}`;
    await waitFor(`${origin}/health`, child, 'prototype');
    targets.push({ ...portico, name: 'prototype', origin, pid: child.pid });
  }
  const isPortico = (target: Target) => target.name === 'Portico' || target.name === 'Portico B';
  cleanups.push(async () => {
    for (const target of targets) await target.pool?.close();
  });

  // one probe: a 200 that carries the limiter's and the quota's headers (they ran)
  const probe = await fetch(`${portico.origin}${portico.path}`, { headers: portico.headerSets[0] });
  const probeBody = await probe.text();
  if (probe.status !== 200) throw new Error(`probe through Portico answered ${probe.status}: ${probeBody}`);
  for (const header of ['ratelimit', 'ratelimit-policy', 'x-quota-limit', 'x-portico-request-id'])
    if (!probe.headers.get(header)) throw new Error(`probe through Portico lacks ${header}`);
  out(
    `Portico probe: 200, RateLimit-Policy: ${probe.headers.get('ratelimit-policy')}; X-Quota-Limit: ${probe.headers.get('x-quota-limit')}`,
  );

  if (process.env.BENCH_HOLD) {
    // for investigation: the stack stays up, the load is yours (curl, strace, perf, autocannon)
    out(
      `holding ${process.env.BENCH_HOLD} s: ` +
        targets.map((t) => `${t.name} ${t.origin}${t.path} (pid ${t.pid})`).join(' · ') +
        ` · keys ${seeded.liveKeys.join(' ')}`,
    );
    await sleep(Number(process.env.BENCH_HOLD) * 1000);
  }

  // warm-up (JIT, pools, caches), not recorded
  for (const target of targets) {
    const warm = await closedLoop(target, WARMUP_S);
    if ((isPortico(target) || target.name === 'prototype') && warm.bad > 0)
      throw new Error(`warm-up through ${target.name}: ${warm.bad} non-2xx/errors`);
    await openLoop(target, 1);
  }

  type Mode = 'closed' | 'open';
  const results: Record<Mode, Map<string, RunResult[]>> = { closed: new Map(), open: new Map() };
  for (const target of targets) {
    results.closed.set(target.name, []);
    results.open.set(target.name, []);
  }
  let porticoBad = 0;
  let porticoRequests = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const mode of ['closed', 'open'] as const) {
      const line: string[] = [];
      for (const target of order) {
        await sleep(500);
        const from = monotonicMicros();
        const leadIn = mode === 'open' && LEAD_IN_S > 0 ? await openLoop(target, LEAD_IN_S) : undefined;
        const result = mode === 'closed' ? await closedLoop(target) : await openLoop(target);
        if (leadIn) result.leadInP99 = leadIn.p99;
        if (target === portico && mode === 'closed') profileWindows.push([from, monotonicMicros()]);
        results[mode].get(target.name)!.push(result);
        if (isPortico(target)) {
          porticoBad += result.bad;
          porticoRequests += result.requests + result.bad;
        }
        line.push(
          mode === 'closed'
            ? `${target.name} ${Math.round(result.rps)} req/s`
            : `${target.name} p50 ${result.p50.toFixed(2)} p99 ${result.p99.toFixed(2)} ms${result.leadInP99 === undefined ? '' : ` (lead-in p99 ${result.leadInP99.toFixed(2)})`}`,
        );
      }
      out(
        `  round ${round + 1} ${mode === 'closed' ? 'closed loop' : `open loop ${RATE}/s`}: ${line.join(' · ')}`,
      );
    }
  }

  // metering ran: usage batch jobs were enqueued
  const metering = new Queue('metering', {
    connection: { url: REDIS_URL, maxRetriesPerRequest: null },
    prefix: `${redisPrefix}:bull`,
  });
  const jobCounts = await metering.getJobCounts(
    'waiting',
    'delayed',
    'active',
    'completed',
    'failed',
    'prioritized',
  );
  await metering.close();
  const metricsText = await (await fetch(`${gateway.origin}/metrics`)).text();
  const forwarded = metricsText.match(
    /^portico_gateway_requests_total\{[^}]*outcome="forwarded"[^}]*code="2xx"[^}]*\} (\d+)/m,
  );

  // stop the gateway (graceful: flushes the usage buffer, writes the CPU profile)
  for (const { child, log } of gatewayB ? [gateway, gatewayB] : [gateway]) {
    await stop(child);
    for (const line of readFileSync(log, 'utf8').split('\n'))
      if (/bench warning|"level":(50|60)/.test(line)) out(`gateway log: ${line.slice(0, 300)}`);
  }
  if (nginxChild) await stop(nginxChild, 'SIGQUIT');
  await stop(upstream);

  // report
  const names = targets.map((t) => t.name);
  out(`\nclosed loop, ${CONNECTIONS} connections (median, min–max over ${ROUNDS} rounds)`);
  out(
    `target      req/s           spread        p50 ms   p99 ms   CPU ms/1k req   load-gen CPU ms/1k req   Redis CPU ms/1k req`,
  );
  for (const name of names) {
    const rs = results.closed.get(name)!;
    const cpu = rs.map((r) => r.cpuPer1k).filter((v): v is number => v !== null);
    out(
      `${name.padEnd(10)} ${median(rs.map((r) => r.rps))
        .toFixed(0)
        .padStart(7)}   ${spread(
        rs.map((r) => r.rps),
        0,
      ).padStart(15)}   ` +
        `${median(rs.map((r) => r.p50))
          .toFixed(2)
          .padStart(6)}   ${median(rs.map((r) => r.p99))
          .toFixed(2)
          .padStart(6)}   ` +
        `${cpu.length ? `${median(cpu).toFixed(0).padStart(5)} (${spread(cpu, 0)})` : '   — (upstream)'.padEnd(13)}   ${median(
          rs.map((r) => r.loadCpuPer1k),
        )
          .toFixed(0)
          .padStart(5)}                    ${median(rs.map((r) => r.redisCpuPer1k))
          .toFixed(0)
          .padStart(5)}`,
    );
  }
  out(`\nopen loop, ${RATE} req/s (median, min–max over ${ROUNDS} rounds)`);
  out(
    `target      achieved req/s   p50 ms (spread)          p99 ms (spread)          CPU ms/1k req` +
      (LEAD_IN_S > 0 ? `   p99 ms of the ${LEAD_IN_S} s lead-in (after ~30 s idle)` : ''),
  );
  for (const name of names) {
    const rs = results.open.get(name)!;
    const cpu = rs.map((r) => r.cpuPer1k).filter((v): v is number => v !== null);
    const leadIn = rs.map((r) => r.leadInP99).filter((v): v is number => v !== undefined);
    out(
      `${name.padEnd(10)} ${median(rs.map((r) => r.rps))
        .toFixed(0)
        .padStart(8)}         ` +
        `${median(rs.map((r) => r.p50))
          .toFixed(2)
          .padStart(6)} (${spread(
          rs.map((r) => r.p50),
          2,
        )})`.padEnd(25) +
        `${median(rs.map((r) => r.p99))
          .toFixed(2)
          .padStart(6)} (${spread(
          rs.map((r) => r.p99),
          2,
        )})`.padEnd(25) +
        `${cpu.length ? `${median(cpu).toFixed(0)} (${spread(cpu, 0)})` : '— (upstream)'}`.padEnd(19) +
        (leadIn.length ? `${median(leadIn).toFixed(2).padStart(6)} (${spread(leadIn, 2)})` : ''),
    );
  }

  const perRound = (f: (round: number) => number): number[] => Array.from({ length: ROUNDS }, (_, i) => f(i));
  const closed = (name: string, i: number) => results.closed.get(name)![i];
  const open = (name: string, i: number) => results.open.get(name)![i];
  out('\nratios (per round, same round; median and min–max)');
  const ratio = (label: string, values: number[], unit: string, digits: number): void =>
    void out(
      `  ${label.padEnd(46)} ${median(values).toFixed(digits).padStart(6)}${unit}   (${spread(values, digits)})`,
    );
  /** Same-round shares of `a` to `b`, in %: throughput, and CPU per request (closed loop). */
  const throughputShare = (a: Target['name'], b: Target['name']): number[] =>
    perRound((i) => (closed(a, i).rps / closed(b, i).rps) * 100);
  const cpuShare = (a: Target['name'], b: Target['name']): number[] =>
    perRound((i) => ((closed(a, i).cpuPer1k ?? 0) / (closed(b, i).cpuPer1k ?? 1)) * 100);
  const addedP99Over = (a: Target['name'], b: Target['name']): number[] =>
    perRound((i) => open(a, i).p99 - open(b, i).p99);
  if (nginxOrigin) {
    ratio('Portico ÷ nginx throughput', throughputShare('Portico', 'nginx'), ' %', 0);
    ratio('nginx ÷ direct throughput', throughputShare('nginx', 'direct'), ' %', 0);
  }
  ratio('Portico ÷ direct throughput', throughputShare('Portico', 'direct'), ' %', 0);
  const addedP99 = addedP99Over('Portico', 'direct');
  ratio(`Portico p99 − direct p99 at ${RATE}/s`, addedP99, ' ms', 2);
  ratio(
    `Portico p50 − direct p50 at ${RATE}/s`,
    perRound((i) => open('Portico', i).p50 - open('direct', i).p50),
    ' ms',
    2,
  );
  if (nginxOrigin) {
    ratio(`nginx p99 − direct p99 at ${RATE}/s`, addedP99Over('nginx', 'direct'), ' ms', 2);
    ratio(
      'Portico ÷ nginx CPU per request (closed loop)',
      cpuShare('Portico', 'nginx').map((share) => share / 100),
      '×',
      1,
    );
  }
  if (PROTOTYPE) {
    out('  the reference prototype (BENCH_PROTOTYPE), same rounds:');
    if (nginxOrigin) ratio('prototype ÷ nginx throughput', throughputShare('prototype', 'nginx'), ' %', 0);
    ratio('Portico ÷ prototype throughput', throughputShare('Portico', 'prototype'), ' %', 0);
    ratio('Portico ÷ prototype CPU per request (closed)', cpuShare('Portico', 'prototype'), ' %', 0);
  }
  if (gatewayB) {
    out(`  Portico B (${describeB}) against Portico, same rounds:`);
    ratio('Portico B ÷ Portico CPU per request (closed)', cpuShare('Portico B', 'Portico'), ' %', 0);
    ratio('Portico B ÷ Portico throughput', throughputShare('Portico B', 'Portico'), ' %', 0);
    ratio(`Portico B p99 − Portico p99 at ${RATE}/s`, addedP99Over('Portico B', 'Portico'), ' ms', 2);
  }

  out(
    `\nPortico responses in the measured runs: ${porticoRequests}, non-2xx or errors: ${porticoBad}` +
      (porticoBad ? '  ← NOT all 200: the Portico numbers above are not valid' : ' (all 200)'),
  );
  out(
    `metering: gateway counted ${forwarded?.[1] ?? '?'} forwarded 2xx calls; metering queue jobs ${JSON.stringify(jobCounts)} (one job per batch, no worker running)`,
  );
  if (nginxOrigin) {
    const vsNginx = median(throughputShare('Portico', 'nginx'));
    const added = median(addedP99);
    out(
      `targets: throughput ≥ 40 % of nginx (stretch 60 %): ${vsNginx >= 60 ? 'met, stretch too' : vsNginx >= 40 ? 'met' : 'NOT met'} (${vsNginx.toFixed(0)} %); ` +
        `added p99 ≤ 3 ms (stretch 2 ms): ${added <= 2 ? 'met, stretch too' : added <= 3 ? 'met' : 'NOT met'} (${added.toFixed(2)} ms)`,
    );
  }
  if (CPU_PROF) summariseProfile(profileDir);
  if (porticoBad > 0) process.exitCode = 2;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
