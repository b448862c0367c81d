import { randomBytes } from 'node:crypto';
import { MIGRATIONS } from '@migrations';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ADMIN_DATABASE_URL, databaseUrlFor } from '../../../../test/support/test-run';
import type { SearchQuery, SearchResult } from '../search-document';
import { searchDocument } from '../testing';
import { PostgresSearchAdapter } from './postgres-search.adapter';

/**
 * The postgres adapter's facet cache (docs/adr/0005-search-facet-cache.md): a cached facet block
 * (total, matches, facets) is reused only while `search_index_state.version` is unchanged and
 * `now` lies between its computation and the next sunset among its matches. The api (reading) and
 * the worker (writing) are different processes: here two adapters on two connection pools.
 */

const NOW = new Date('2026-06-01T00:00:00.000Z');
const query = (overrides: Partial<SearchQuery> = {}): SearchQuery => ({
  q: '',
  sort: 'relevance',
  page: 1,
  perPage: 20,
  ...overrides,
});
const count = (
  result: SearchResult,
  facet: 'category' | 'tags' | 'pricing' | 'rating',
  value: string,
): number | undefined => result.facets[facet].find((f) => f.value === value)?.count;

describe('PostgresSearchAdapter', () => {
  const name = `portico_search_facets_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  let api: DataSource;
  let worker: DataSource;
  let reader: PostgresSearchAdapter;
  let writer: PostgresSearchAdapter;
  /** SQL the reader sent since the last call: did it compute a facet block? */
  let statements: string[] = [];
  /** Facet blocks take 200 ms longer (a large catalog): concurrent searches overlap the computation. */
  let slowFacets = false;
  const computedFacets = (): boolean => {
    const computed = statements.some((sql) => sql.includes('GROUPING SETS'));
    statements = [];
    return computed;
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    api = new DataSource({
      type: 'postgres',
      url: databaseUrlFor(name),
      migrations: MIGRATIONS,
      migrationsTableName: 'typeorm_migrations',
    });
    await api.initialize();
    await api.runMigrations({ transaction: 'each' });
    worker = new DataSource({ type: 'postgres', url: databaseUrlFor(name) });
    await worker.initialize();
    const query = api.query.bind(api);
    jest.spyOn(api, 'query').mockImplementation(async (sql, parameters) => {
      statements.push(sql);
      if (slowFacets && sql.includes('GROUPING SETS'))
        await new Promise((resolve) => setTimeout(resolve, 200));
      return query(sql, parameters);
    });
    reader = new PostgresSearchAdapter(api, { facetCache: { minMatches: 3 } });
    writer = new PostgresSearchAdapter(worker);
    await writer.upsert([
      searchDocument({
        name: 'Alpha One',
        category: 'data',
        tags: ['maps'],
        pricing: 'free',
        ratingAvg: 4.5,
        ratingCount: 3,
      }),
      searchDocument({
        name: 'Alpha Two',
        category: 'data',
        tags: ['maps', 'geo'],
        pricing: 'paid',
        popularity: 10,
      }),
      searchDocument({
        name: 'Alpha Three',
        category: 'travel',
        tags: ['geo'],
        pricing: 'free',
        ratingAvg: 3.1,
        ratingCount: 1,
      }),
      searchDocument({ name: 'Beta Solo', category: 'travel', tags: ['geo'], pricing: 'paid' }),
    ]);
  });

  afterAll(async () => {
    await api?.destroy();
    await worker?.destroy();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('reuses a browse block for any sort and page: the repeat reads only its page', async () => {
    const first = await reader.search(query(), NOW);
    expect(computedFacets()).toBe(true);
    const again = await reader.search(query({ sort: 'rating', perPage: 2, page: 2 }), NOW);
    expect(computedFacets()).toBe(false);
    expect(again.total).toBe(first.total);
    expect(again.facets).toEqual(first.facets);
    expect(again.hits.map((h) => h.document.name)).toEqual(['Alpha Two', 'Beta Solo']);
  });

  it('shows a listing the worker indexed in the very next total and facets', async () => {
    const before = await reader.search(query({ category: 'travel' }), NOW);
    await reader.search(query({ category: 'travel' }), NOW);
    computedFacets();
    const zoo = searchDocument({
      name: 'Alpha Zoo',
      category: 'zoo',
      tags: ['animals'],
      pricing: 'freemium',
      ratingAvg: 5,
      ratingCount: 1,
    });
    await writer.upsert([zoo]);

    const after = await reader.search(query({ category: 'travel' }), NOW);
    expect(computedFacets()).toBe(true);
    expect(after.total).toBe(before.total); // zoo is not travel
    expect(count(after, 'category', 'zoo')).toBe(1); // but the category facet counts it
    expect(count(before, 'category', 'zoo')).toBeUndefined();
    const browse = await reader.search(query({ tags: ['animals'] }), NOW);
    expect(browse.total).toBe(1);
    expect(count(browse, 'pricing', 'freemium')).toBe(1);

    await writer.remove([zoo.id]);
    const removed = await reader.search(query({ category: 'travel' }), NOW);
    expect(computedFacets()).toBe(true);
    expect(count(removed, 'category', 'zoo')).toBeUndefined();
    expect(removed.facets).toEqual(before.facets);
  });

  it('is invalidated by any write to the table, not only through the adapter', async () => {
    const before = await reader.search(query(), NOW);
    const id = searchDocument().id;
    await worker.query(
      `INSERT INTO search_documents (id, slug, name, summary, category, category_name, provider_slug, provider_name, status, tags)
       VALUES ($1, 'by-hand', 'By Hand', 'Written by SQL.', 'manual', 'Manual', 'ops', 'Ops', 'published', '{handmade}')`,
      [id],
    );
    const after = await reader.search(query(), NOW);
    expect(after.total).toBe(before.total + 1);
    expect(count(after, 'tags', 'handmade')).toBe(1);
    await worker.query(`DELETE FROM search_documents WHERE id = $1`, [id]);
    expect((await reader.search(query(), NOW)).total).toBe(before.total);
  });

  it('computes a block once for concurrent searches after an index change', async () => {
    await reader.search(query({ pricing: 'paid' }), NOW);
    await writer.upsert([searchDocument({ name: 'Alpha Paid', pricing: 'paid' })]);
    computedFacets();
    slowFacets = true;
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        reader.search(query({ pricing: 'paid', page: i + 1, perPage: 1 }), NOW),
      ),
    );
    slowFacets = false;
    expect(statements.filter((sql) => sql.includes('GROUPING SETS'))).toHaveLength(1);
    computedFacets();
    expect(new Set(results.map((r) => r.total))).toEqual(new Set([results[0].total]));
    expect(results.flatMap((r) => r.hits.map((h) => h.document.name))).toContain('Alpha Paid');
  });

  it('caches text queries from minMatches matches on, not below', async () => {
    computedFacets();
    await reader.search(query({ q: 'alpha' }), NOW); // 3 matches
    expect(computedFacets()).toBe(true);
    const alpha = await reader.search(query({ q: 'alpha', pricing: 'free' }), NOW);
    expect(computedFacets()).toBe(true); // another filter set: its own block
    expect(await reader.search(query({ q: 'alpha', pricing: 'free', sort: 'newest' }), NOW)).toMatchObject({
      total: alpha.total,
      facets: alpha.facets,
    });
    expect(computedFacets()).toBe(false);
    await reader.search(query({ q: 'beta' }), NOW); // 1 match: the typo fallback's territory, never cached
    await reader.search(query({ q: 'beta' }), NOW);
    expect(statements.filter((sql) => sql.includes('GROUPING SETS'))).toHaveLength(2);
    computedFacets();
  });

  it('does not cache what an uncommitted write is about to change', async () => {
    const before = await reader.search(query(), NOW);
    const runner = worker.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`DELETE FROM search_documents WHERE name = 'Beta Solo'`);
      // the reader does not wait for the writer and sees the committed state
      expect((await reader.search(query(), NOW)).total).toBe(before.total);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    const after = await reader.search(query(), NOW);
    expect(after.total).toBe(before.total - 1);
    expect(count(after, 'pricing', 'paid')).toBe((count(before, 'pricing', 'paid') ?? 0) - 1);
  });

  it('drops a listing from cached facets at its sunset, and recomputes for an earlier now', async () => {
    const sunsetAt = new Date(NOW.getTime() + 60_000);
    await writer.upsert([
      searchDocument({
        name: 'Alpha Sunset',
        category: 'legacy',
        status: 'deprecated',
        sunsetAt: sunsetAt.toISOString(),
      }),
    ]);
    const before = await reader.search(query(), NOW);
    expect(count(before, 'category', 'legacy')).toBe(1);
    computedFacets();
    expect(count(await reader.search(query(), new Date(sunsetAt.getTime() - 1)), 'category', 'legacy')).toBe(
      1,
    );
    expect(computedFacets()).toBe(false);

    const after = await reader.search(query(), sunsetAt);
    expect(computedFacets()).toBe(true);
    expect(after.total).toBe(before.total - 1);
    expect(count(after, 'category', 'legacy')).toBeUndefined();
    // a block computed at the sunset says nothing about the minute before it
    expect(count(await reader.search(query(), NOW), 'category', 'legacy')).toBe(1);
    expect(computedFacets()).toBe(true);
  });

  it('sorts the matches of a text query strictly by the sort asked for (relevance only breaks no ties)', async () => {
    // Alpha Two: popularity 10, no rating; Alpha One: rated 4.5; Alpha Three: rated 3.1
    const popularity = await reader.search(query({ q: 'alpha', sort: 'popularity' }), NOW);
    expect(popularity.hits[0].document.name).toBe('Alpha Two');
    const rating = await reader.search(query({ q: 'alpha', sort: 'rating' }), NOW);
    expect(rating.hits.slice(0, 2).map((h) => h.document.name)).toEqual(['Alpha One', 'Alpha Three']);
    expect(rating.total).toBe(popularity.total);
  });

  it('leaves the version (and cached blocks) alone on a no-op upsert or removal; a real change bumps it', async () => {
    const version = async (): Promise<string> =>
      (
        await worker.query<{ v: string }[]>(`SELECT version::text AS v FROM search_index_state WHERE id = 1`)
      )[0].v;
    const doc = searchDocument({
      name: 'Alpha Steady',
      category: 'steady',
      tags: ['calm'],
      ratingAvg: 4.25,
      ratingCount: 2,
    });
    await writer.upsert([doc]);
    const before = await reader.search(query(), NOW);
    const v0 = await version();
    computedFacets();

    await writer.upsert([{ ...doc }]); // the 10-minute refresh: the same values again
    await writer.remove([searchDocument().id]); // an id not in the index
    expect(await version()).toBe(v0);
    expect((await reader.search(query({ sort: 'newest' }), NOW)).facets).toEqual(before.facets);
    expect(computedFacets()).toBe(false);

    await writer.upsert([{ ...doc, popularity: doc.popularity + 1 }]);
    expect(BigInt(await version())).toBeGreaterThan(BigInt(v0));
    await reader.search(query(), NOW);
    expect(computedFacets()).toBe(true);
    await writer.remove([doc.id]);
  });

  it('keeps search_facet_counts equal to a count of the documents through every kind of write', async () => {
    const drift = async (): Promise<unknown[]> =>
      worker.query(`
        WITH counted AS (SELECT * FROM search_documents
                          WHERE visibility = 'public' AND status IN ('published', 'deprecated') AND sunset_at IS NULL),
        fresh AS (
          SELECT category, coalesce(pricing, '') AS pricing, coalesce(floor(rating_avg)::smallint, 0) AS rating_floor,
                 '' AS tag, count(*)::int AS n FROM counted GROUP BY 1, 2, 3
          UNION ALL
          SELECT category, coalesce(pricing, ''), coalesce(floor(rating_avg)::smallint, 0), tag, count(*)::int
            FROM counted CROSS JOIN LATERAL (SELECT DISTINCT unnest(tags) AS tag) t GROUP BY 1, 2, 3, 4)
        (SELECT category, pricing, rating_floor, tag, n FROM search_facet_counts WHERE n <> 0 EXCEPT SELECT * FROM fresh)
        UNION ALL (SELECT * FROM fresh EXCEPT SELECT category, pricing, rating_floor, tag, n FROM search_facet_counts)`);
    expect(await drift()).toEqual([]);
    const a = searchDocument({
      name: 'Count A',
      category: 'counted',
      tags: ['x', 'y'],
      pricing: 'free',
      ratingAvg: 2.5,
      ratingCount: 1,
    });
    const b = searchDocument({ name: 'Count B', category: 'counted', tags: ['y'], pricing: null });
    await writer.upsert([a, b]);
    expect(await drift()).toEqual([]);
    await writer.upsert([
      { ...a, category: 'recounted', tags: ['z'], pricing: 'paid', ratingAvg: 4 },
      { ...b, status: 'deprecated', sunsetAt: new Date(NOW.getTime() + 3_600_000).toISOString() },
    ]);
    expect(await drift()).toEqual([]);
    await worker.query(`UPDATE search_documents SET visibility = 'private' WHERE id = $1`, [a.id]);
    expect(await drift()).toEqual([]);
    const browse = await reader.search(query({ category: 'recounted' }), NOW);
    expect(browse.total).toBe(0);
    await writer.remove([a.id, b.id]);
    expect(await drift()).toEqual([]);
  });

  it('browses from the counts exactly as a scan of the documents counts', async () => {
    const sunset = searchDocument({
      name: 'Alpha Fading',
      category: 'data',
      tags: ['maps', 'fading'],
      pricing: 'free',
      ratingAvg: 3.5,
      ratingCount: 1,
      status: 'deprecated',
      sunsetAt: new Date(NOW.getTime() + 3_600_000).toISOString(),
    });
    await writer.upsert([sunset]);
    // minRating 3 reads the counts, 2.999 (same listings: ratings have 2 decimals) scans
    for (const filters of [
      {},
      { tags: ['maps'] },
      { pricing: 'free' as const },
      { category: 'data', tags: ['geo', 'maps'] },
    ]) {
      const counted = await reader.search(query({ ...filters, minRating: 3 }), NOW);
      const scanned = await reader.search(query({ ...filters, minRating: 2.999 }), NOW);
      expect(counted.total).toBe(scanned.total);
      expect(counted.facets).toEqual(scanned.facets);
    }
    const withSunset = await reader.search(query({ minRating: 3 }), NOW);
    expect(count(withSunset, 'tags', 'fading')).toBe(1);
    const after = await reader.search(query({ minRating: 3 }), new Date(NOW.getTime() + 3_600_000));
    expect(count(after, 'tags', 'fading')).toBeUndefined();
    expect(after.total).toBe(withSunset.total - 1);
    await writer.remove([sunset.id]);
  });

  it('computes every block when the cache is off', async () => {
    const uncached = new PostgresSearchAdapter(api, { facetCache: false });
    computedFacets();
    await uncached.search(query(), NOW);
    await uncached.search(query(), NOW);
    expect(statements.filter((sql) => sql.includes('GROUPING SETS'))).toHaveLength(2);
    computedFacets();
  });
});
