/**
 * npm run bench:search — seeds 50,000 realistic listings (faker, fixed seed) into the postgres
 * adapter's index of a scratch database (created, migrated, dropped here) through
 * PostgresSearchAdapter.upsert (the indexer's write path: the trigger builds each tsvector), then
 * measures p50/p95 of typical searches — one word, two words, a typo (trigram fallback), a quoted
 * phrase, a filtered + faceted query, type-ahead — against a baseline from the same run: a plain
 * primary-key lookup on the same table. Rounds are interleaved (every case once per round, in
 * turn) and the machine is noisy, so each case reports the median and spread of its per-round p95.
 * It prints the top hits of the typo and phrase cases, to judge whether they look right.
 *
 * The adapter caches the facet block (total + facets) of browsing and of broad text queries per
 * index version (docs/adr/0005-search-facet-cache.md); every case repeats one query on an index
 * that does not change, so it measures the cache hit. The rows marked "facet cache off" measure
 * the same queries computing their block every time: the first search after an index change.
 *
 *   BENCH_LISTINGS=50000 · BENCH_ROUNDS=5 · BENCH_ITERATIONS=30 (queries per case per round)
 *   BENCH_ADMIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
 */
import 'reflect-metadata';
import { faker } from '@faker-js/faker';
import { PostgresSearchAdapter, popularityScore, type SearchDocument, type SearchQuery } from '@app/search';
import { MIGRATIONS } from '@migrations';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

const LISTINGS = Number(process.env.BENCH_LISTINGS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 30);
const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const GOAL_P95_MS = 30;

const CATEGORIES: [string, string][] = [
  ['ai', 'Artificial Intelligence'], ['data', 'Data'], ['finance', 'Finance'], ['weather', 'Weather'],
  ['location', 'Location'], ['communication', 'Communication'], ['media', 'Media'],
  ['developer-tools', 'Developer Tools'], ['security', 'Security'], ['sports', 'Sports'],
  ['travel', 'Travel'], ['health', 'Health'], ['social', 'Social'], ['business', 'Business'],
];
/** Domain nouns listings are about (names, summaries and tags draw on them). */
const TOPICS = [
  'weather', 'forecast', 'currency', 'exchange', 'payments', 'invoice', 'geocoding', 'maps', 'routing',
  'translation', 'sentiment', 'speech', 'email', 'sms', 'image', 'video', 'ocr', 'fraud', 'identity',
  'stocks', 'crypto', 'news', 'football', 'flights', 'hotels', 'nutrition', 'fitness', 'air quality',
  'shipping', 'tax', 'calendar', 'search', 'recipes', 'music', 'podcasts', 'vehicles', 'real estate',
];
const SUFFIXES = ['API', 'Service', 'Cloud', 'Hub', 'Pro', 'Data', 'Connect', 'Engine', 'Lookup', 'Insights'];

function document(i: number): SearchDocument {
  const topic = faker.helpers.arrayElement(TOPICS);
  const second = faker.helpers.arrayElement(TOPICS);
  const [category, categoryName] = faker.helpers.arrayElement(CATEGORIES);
  const title = (w: string): string => w.replace(/\b\w/g, (c) => c.toUpperCase());
  const name = `${faker.company.buzzAdjective().replace(/^\w/, (c) => c.toUpperCase())} ${title(topic)} ${faker.helpers.arrayElement(SUFFIXES)}`.slice(0, 100);
  const subscribers = Math.floor(faker.number.float({ min: 0, max: 1 }) ** 4 * 5_000);
  const calls30d = Math.floor(faker.number.float({ min: 0, max: 1 }) ** 3 * 2_000_000);
  const rated = faker.datatype.boolean(0.6);
  return {
    id: faker.string.uuid(),
    slug: `${faker.helpers.slugify(name.toLowerCase())}-${i}`.slice(0, 64),
    name,
    summary: `${title(topic)} ${faker.company.catchPhrase().toLowerCase()} with ${second}.`.slice(0, 300),
    description: `${faker.lorem.paragraph()} ${faker.company.buzzPhrase()} for ${topic} and ${second}. ${faker.lorem.paragraph()}`,
    tags: faker.helpers.arrayElements([topic, second, faker.helpers.arrayElement(TOPICS)].map((t) => t.replace(/\s+/g, '-')), { min: 1, max: 3 }),
    category,
    categoryName,
    providerSlug: `p-${i % 4_000}`,
    providerName: faker.company.name(),
    logoUrl: null,
    status: faker.datatype.boolean(0.95) ? 'published' : 'deprecated',
    sunsetAt: null,
    publishedAt: faker.date.past({ years: 3, refDate: '2026-11-01T00:00:00Z' }).toISOString(),
    pricing: faker.helpers.arrayElement(['free', 'paid', 'freemium'] as const),
    ratingAvg: rated ? Math.round(faker.number.float({ min: 1, max: 5 }) * 100) / 100 : null,
    ratingCount: rated ? faker.number.int({ min: 1, max: 400 }) : 0,
    subscribers,
    calls30d,
    popularity: popularityScore(subscribers, calls30d),
    latencyMs: calls30d > 0 ? faker.number.int({ min: 20, max: 900 }) : null,
    successRate: calls30d > 0 ? Math.round(faker.number.float({ min: 0.9, max: 1 }) * 10_000) / 10_000 : null,
  };
}

/** Listings a person searching would expect to find (the typo and phrase cases print their rank). */
const LANDMARKS: Partial<SearchDocument>[] = [
  { name: 'OpenWeather Forecast', summary: 'Current weather and 16-day forecasts for any city.', tags: ['weather', 'forecast'], category: 'weather', categoryName: 'Weather' },
  { name: 'Air Quality Index', summary: 'Real-time air quality and pollution readings.', tags: ['air-quality'], category: 'weather', categoryName: 'Weather' },
  { name: 'Currency Exchange Rates', summary: 'Live and historical foreign exchange rates.', tags: ['currency', 'exchange'], category: 'finance', categoryName: 'Finance' },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 50);

interface Case {
  name: string;
  run: () => Promise<unknown>;
  /** Counted against the goal (the cache-off rows are the miss cost, reported beside it). */
  goal?: false;
}

async function main(): Promise<void> {
  faker.seed(20_261_101);
  const database = `portico_bench_search_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const dataSource = new DataSource({ type: 'postgres', url: url.toString(), migrations: MIGRATIONS, migrationsTableName: 'typeorm_migrations', extra: { max: 4 } });
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const adapter = new PostgresSearchAdapter(dataSource);
    const uncached = new PostgresSearchAdapter(dataSource, { facetCache: false });

    process.stdout.write(`bench:search — ${LISTINGS} listings, ${ROUNDS} rounds × ${ITERATIONS} queries per case, ${cpus().length} CPUs\n`);
    const seedStarted = performance.now();
    const landmarks = LANDMARKS.map((fields, i) => ({ ...document(LISTINGS + i), ...fields, popularity: 2_000 }));
    await adapter.upsert(landmarks);
    for (let i = 0; i < LISTINGS; i += 2_000) {
      await adapter.upsert(Array.from({ length: Math.min(2_000, LISTINGS - i) }, (_, j) => document(i + j)));
    }
    await dataSource.query('VACUUM ANALYZE search_documents');
    const seedMs = performance.now() - seedStarted;
    process.stdout.write(`seeded ${LISTINGS + landmarks.length} documents through upsert in ${(seedMs / 1000).toFixed(1)} s (${Math.round((LISTINGS / seedMs) * 1000)} docs/s)\n\n`);

    const now = new Date('2026-11-01T00:00:00Z');
    const ids = (await dataSource.query<{ id: string }[]>('SELECT id FROM search_documents ORDER BY random() LIMIT 1000')).map((r) => r.id);
    let k = 0;
    const q = (overrides: Partial<SearchQuery>): SearchQuery => ({ q: '', sort: 'relevance', page: 1, perPage: 20, ...overrides });
    const word = q({ q: 'weather' });
    const phrase = q({ q: '"air quality"' });
    const filtered = q({ q: 'payments', category: 'finance', pricing: 'freemium', minRating: 3, tags: ['payments', 'invoice'] });
    const browse = q({ sort: 'rating' });
    const cases: Case[] = [
      { name: 'baseline: primary-key lookup', run: () => dataSource.query('SELECT id, name, popularity FROM search_documents WHERE id = $1', [ids[k++ % ids.length]]) },
      { name: 'one word ("weather")', run: () => adapter.search(word, now) },
      { name: 'two words ("currency exchange")', run: () => adapter.search(q({ q: 'currency exchange' }), now) },
      { name: 'typo ("wether forcast")', run: () => adapter.search(q({ q: 'wether forcast' }), now) },
      { name: 'phrase ("\\"air quality\\"")', run: () => adapter.search(phrase, now) },
      { name: 'filtered + faceted', run: () => adapter.search(filtered, now) },
      { name: 'browse, sort=rating', run: () => adapter.search(browse, now) },
      { name: 'type-ahead ("geoc")', run: () => adapter.suggest('geoc', 8, now) },
      { name: 'one word, facet cache off', run: () => uncached.search(word, now), goal: false },
      { name: 'phrase, facet cache off', run: () => uncached.search(phrase, now), goal: false },
      { name: 'filtered, facet cache off', run: () => uncached.search(filtered, now), goal: false },
      { name: 'browse, facet cache off', run: () => uncached.search(browse, now), goal: false },
    ];
    for (const c of cases) for (let i = 0; i < 5; i++) await c.run(); // warm-up

    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const roundP95 = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const times: number[] = [];
        for (let i = 0; i < ITERATIONS; i++) {
          const started = performance.now();
          await c.run();
          times.push(performance.now() - started);
        }
        samples.get(c.name)!.push(...times);
        roundP95.get(c.name)!.push(percentile([...times].sort((a, b) => a - b), 95));
      }
    }
    const baseP50 = median(samples.get(cases[0].name)!);
    const rows = cases.map((c) => {
      const all = [...samples.get(c.name)!].sort((a, b) => a - b);
      const p95s = roundP95.get(c.name)!;
      return {
        case: c.name,
        p50: percentile(all, 50),
        p95: percentile(all, 95),
        spread: `${Math.min(...p95s).toFixed(1)}–${Math.max(...p95s).toFixed(1)}`,
        ratio: percentile(all, 50) / baseP50,
      };
    });
    process.stdout.write(`${'case'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}  ${'p95 per round'.padEnd(14)} ${'p50 ÷ baseline'.padStart(14)}\n`);
    for (const r of rows) {
      process.stdout.write(`${r.case.padEnd(34)} ${r.p50.toFixed(2).padStart(8)} ${r.p95.toFixed(2).padStart(8)}  ${r.spread.padEnd(14)} ${r.ratio.toFixed(1).padStart(13)}×\n`);
    }
    const worst = Math.max(...rows.filter((_, i) => i > 0 && cases[i].goal !== false).map((r) => r.p95));
    const worstMiss = Math.max(...rows.filter((_, i) => cases[i].goal === false).map((r) => r.p95));
    process.stdout.write(`\nworst search p95 ${worst.toFixed(1)} ms — goal < ${GOAL_P95_MS} ms: ${worst < GOAL_P95_MS ? 'met' : 'NOT met'}`);
    process.stdout.write(` (facet cache off, the first search after an index change: worst p95 ${worstMiss.toFixed(1)} ms)\n\n`);

    for (const [label, query] of [
      ['typo "wether forcast"', q({ q: 'wether forcast', perPage: 5 })],
      ['typo "curency"', q({ q: 'curency', perPage: 5 })],
      ['phrase "\\"air quality\\""', q({ q: '"air quality"', perPage: 5 })],
    ] as const) {
      const result = await adapter.search(query, now);
      process.stdout.write(`top hits for ${label} (${result.total} found${result.fuzzy ? ', typo fallback' : ''}):\n`);
      for (const hit of result.hits) process.stdout.write(`  ${hit.document.name} — ${hit.highlights.summary.replace(/<\/?mark>/g, '*')}\n`);
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
