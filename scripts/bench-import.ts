/**
 * npm run bench:import — imports GitHub's REST description (~12 MB, ~1,200 operations) through
 * ApiVersionsService (owner check, parse, validate, dereference, extract, store in one transaction)
 * into a scratch database (created, migrated, dropped here), and prints each stage's time as a
 * ratio to a baseline measured in the same run: a plain JSON.parse of the same file. Rounds are
 * interleaved (baseline, import, baseline, import, …) and reported as median and spread, since the
 * machine is shared and noisy. The import runs in a child process (ImportProcesses); this process
 * plays the api, and the longest stall of its event loop during each import is measured, against the
 * importer run right here (as the api did before) in rounds after those. Memory: this process's peak
 * RSS (the OS high-water mark, read before the in-process rounds) and V8 heap sampled every 5 ms.
 *
 *   BENCH_ROUNDS=3 (default) · BENCH_FILE=<another document> · BENCH_ADMIN_DATABASE_URL=postgres://…/postgres
 *   BENCH_INVALID=1: the same document with one error (an operation without `responses`), timing how
 *   long the import takes to answer validation_failed with its pointer (the expensive error path).
 */
import 'reflect-metadata';
import { ApiVersionsService, CatalogModule, OpenApiImporter, type ImportResult } from '@app/catalog';
import { AppError, CoreEnv, CoreModule } from '@app/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DataSource } from 'typeorm';
import { databaseUrl, median, migrateDatabase, withAdmin } from './bench-support';

const FILE =
  process.env.BENCH_FILE ??
  join(__dirname, '..', 'node_modules', '@octokit', 'openapi', 'generated', 'api.github.com.json');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INVALID = process.env.BENCH_INVALID === '1';
const STAGES = ['parseMs', 'validateMs', 'convertMs', 'dereferenceMs', 'extractMs', 'storeMs'] as const;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const ms = (value: number) => `${Math.round(value)}`.padStart(7);
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

/** Runs `work` and returns how it ended with the longest stall of this process's event loop meanwhile, in ms. */
async function withLoopStall<T>(
  work: () => Promise<T>,
): Promise<{ outcome: PromiseSettledResult<T>; stallMs: number }> {
  const TICK_MS = 10;
  let last = performance.now();
  let longest = 0;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const ticker = setInterval(tick, TICK_MS);
  const [outcome] = await Promise.allSettled([work()]);
  tick(); // a loop held from start to end never ran the ticker: the gap up to now is the stall
  clearInterval(ticker);
  return { outcome, stallMs: Math.max(0, longest - TICK_MS) };
}

function operationCount(document: { paths?: Record<string, Record<string, unknown>> }): number {
  const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
  return Object.values(document.paths ?? {}).reduce(
    (n, item) => n + Object.keys(item).filter((k) => methods.has(k)).length,
    0,
  );
}

/** The baseline: what merely reading the document costs. */
function baselineParse(): number {
  const start = process.hrtime.bigint();
  JSON.parse(readFileSync(FILE, 'utf8'));
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const name = `portico_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(name);
  let context: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  try {
    await migrateDatabase(name);

    @Module({
      imports: [
        CoreModule.forRoot({
          app: 'bench-import',
          env: CoreEnv,
          envFragments: [],
          migrations: [],
          rawEnv: {
            ...process.env,
            DATABASE_URL: url,
            LOG_LEVEL: 'silent',
            REDIS_PREFIX: `portico-bench-${randomBytes(3).toString('hex')}`,
          },
        }),
        CatalogModule,
      ],
    })
    class BenchModule {}
    context = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const versions = context.get(ApiVersionsService);
    const dataSource = context.get(DataSource);

    const bytes = statSync(FILE).size;
    const operations = operationCount(
      JSON.parse(readFileSync(FILE, 'utf8')) as { paths?: Record<string, Record<string, unknown>> },
    );
    process.stdout.write(
      `OpenAPI import benchmark: ${FILE.split('/').pop()} (${(bytes / 1024 / 1024).toFixed(1)} MiB, ${operations} operations), ` +
        `${ROUNDS} rounds, node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})\n`,
    );

    baselineParse(); // warm-up: file cache and JSON parser
    const baselines: number[] = [];
    const results: (ImportResult & { totalMs: number })[] = [];
    const invalidTotals: number[] = [];
    const stalls: number[] = [];
    let peakHeap = 0;
    gc();
    const rssBefore = process.memoryUsage().rss;
    /** The document as the round sends it (with one error when BENCH_INVALID=1). */
    function documentText(): string {
      const text = readFileSync(FILE, 'utf8');
      if (!INVALID) return text;
      const broken = JSON.parse(text) as { paths: Record<string, Record<string, Record<string, unknown>>> };
      const path = Object.keys(broken.paths).find((p) => broken.paths[p].get) ?? '';
      delete broken.paths[path].get.responses;
      return JSON.stringify(broken);
    }
    for (let round = 0; round < ROUNDS; round++) {
      baselines.push(baselineParse());
      gc();
      const owner = randomUUID();
      const [provider] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO providers (owner_account_id, display_name, slug, support_email) VALUES ($1, 'Bench', $2, 'bench@example.com') RETURNING id`,
        [owner, `bench-${randomUUID().slice(0, 8)}`],
      );
      const [listing] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO api_listings (provider_id, slug, name, summary, category_slug, upstream_live_url) VALUES ($1, $2, 'Bench', 'Bench', 'data', 'https://api.example.com') RETURNING id`,
        [provider.id, `bench-${randomUUID().slice(0, 8)}`],
      );
      const text = documentText();
      const sampler = setInterval(() => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }, 5);
      const start = process.hrtime.bigint();
      const { outcome, stallMs } = await withLoopStall(() =>
        versions.importDocument(owner, listing.id, { kind: 'text', text, syntax: 'json' }),
      );
      const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
      clearInterval(sampler);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      stalls.push(stallMs);
      if (outcome.status === 'rejected') {
        const error: unknown = outcome.reason;
        if (!INVALID || !(error instanceof AppError) || error.code !== 'validation_failed') throw error;
        invalidTotals.push(totalMs);
        process.stdout.write(
          `  round ${round + 1}: JSON.parse ${Math.round(baselines[round])} ms, validation_failed after ${Math.round(totalMs)} ms ` +
            `(event loop stalled ≤ ${Math.round(stallMs)} ms): ${JSON.stringify(error.extensions.errors)}\n`,
        );
        gc();
        continue;
      }
      const result = outcome.value;
      if (result.version.endpointCount !== operations) {
        throw new Error(
          `imported ${result.version.endpointCount} endpoints, the document has ${operations} operations`,
        );
      }
      results.push({ ...result, totalMs });
      process.stdout.write(
        `  round ${round + 1}: JSON.parse ${Math.round(baselines[round])} ms, import ${Math.round(totalMs)} ms (event loop stalled ≤ ${Math.round(stallMs)} ms)\n`,
      );
      gc();
    }
    const peakRss = process.resourceUsage().maxRSS * 1024;
    // the yardstick: the same pipeline run on this event loop, as the api ran it before ImportProcesses
    const inlineStalls: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const text = documentText();
      const { stallMs } = await withLoopStall(() =>
        new OpenApiImporter().import({ kind: 'text', text, syntax: 'json' }),
      );
      inlineStalls.push(stallMs);
      gc();
    }
    const stallLine =
      `event loop of the api process, longest stall per import: median ${Math.round(median(stalls))} ms (${Math.round(Math.min(...stalls))}–${Math.round(Math.max(...stalls))}) ` +
      `with the import in a child process, against ${Math.round(median(inlineStalls))} ms (${Math.round(Math.min(...inlineStalls))}–${Math.round(Math.max(...inlineStalls))}) ` +
      `with the importer run in the api process (parse to extract, no store)\n`;
    const base = median(baselines);
    if (INVALID) {
      process.stdout.write(
        `\nbaseline JSON.parse: median ${Math.round(base)} ms; import answering validation_failed: median ${Math.round(median(invalidTotals))} ms ` +
          `(${Math.round(Math.min(...invalidTotals))}–${Math.round(Math.max(...invalidTotals))}), ${(median(invalidTotals) / base).toFixed(1)}× JSON.parse\n` +
          `memory of the api process: peak RSS ${mb(peakRss)} (before the first import ${mb(rssBefore)}); peak V8 heap used (sampled) ${mb(peakHeap)}\n` +
          stallLine,
      );
      return;
    }
    process.stdout.write(
      `\nbaseline JSON.parse of the file: median ${Math.round(base)} ms (${Math.round(Math.min(...baselines))}–${Math.round(Math.max(...baselines))})\n\n`,
    );
    process.stdout.write(`stage          median ms   min–max ms   × JSON.parse\n`);
    const rows: [string, number[]][] = [
      ...STAGES.map((stage): [string, number[]] => [
        stage.replace(/Ms$/, ''),
        results.map((r) => r.timings[stage]),
      ]),
      ['total', results.map((r) => r.totalMs)],
    ];
    for (const [label, values] of rows) {
      const spread = `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;
      process.stdout.write(
        `${label.padEnd(12)} ${ms(median(values))}   ${spread.padStart(12)}   ${(median(values) / base).toFixed(1).padStart(8)}×\n`,
      );
    }
    const [sizes] = await dataSource.query<{ endpoints: string; document: string }[]>(
      `SELECT sum(pg_column_size(parameters) + COALESCE(pg_column_size(request_body), 0) + pg_column_size(responses))::bigint AS endpoints,
              (SELECT pg_column_size(document) FROM api_versions WHERE id = $1)::bigint AS document
         FROM api_endpoints WHERE version_id = $1`,
      [results[0].version.id],
    );
    process.stdout.write(
      `\nmemory of the api process (the import's child process not included): peak RSS ${mb(peakRss)} (before the first import ${mb(rssBefore)}, so the imports added ≈ ${mb(peakRss - rssBefore)}); ` +
        `peak V8 heap used (sampled) ${mb(peakHeap)}\n` +
        `stored per version: document ${mb(Number(sizes.document))}, endpoint JSON ${mb(Number(sizes.endpoints))} (PostgreSQL column sizes, compressed)\n` +
        stallLine +
        (results[0].warnings.length ? `warnings: ${results[0].warnings.join(' | ')}\n` : ''),
    );
  } finally {
    await context?.close();
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
