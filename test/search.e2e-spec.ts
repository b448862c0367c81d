import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApiApp } from '../apps/api/src/bootstrap';
import { runReindexCommand } from '../apps/cli/src/reindex.command';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { CatalogFixtures, send, type CatalogProvider, type ListingRef } from './support/catalog-fixtures';
import { until } from './support/until';

/**
 * Search over HTTP with the worker running (issue 7 "Search"): the api and the worker share this
 * suite's own REDIS_PREFIX (its event bus and search-index queue), on the run's database. Every
 * listing carries a random word, so other suites' listings never interfere.
 */

const INDEX_DELAY_BOUND_MS = 2_000;

/**
 * A random lower-case word (stems to itself: no vowel patterns the english stemmer trims). No
 * common prefix: with one ("zq"), two words sharing their next two letters had 4 of 10 trigrams in
 * common, the typo fallback's word-similarity threshold (0.4), so one test's listings showed up in
 * another's results now and then.
 */
function word(): string {
  const letters = 'bcdfghjklmnpqrstvwxz';
  return [...randomBytes(10)].map((b) => letters[b % letters.length]).join('');
}

describe('search (api + worker)', () => {
  const env = { ...process.env, REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'portico-test'}.search-${randomBytes(3).toString('hex')}` };
  let api: INestApplication;
  let worker: INestApplication;
  let fixtures: CatalogFixtures;
  let dataSource: DataSource;
  let owner: CatalogProvider;

  beforeAll(async () => {
    worker = await createWorkerApp(env);
    await worker.init();
    api = await createApiApp(env);
    await api.init();
    dataSource = api.get(DataSource);
    fixtures = new CatalogFixtures(api, dataSource);
    owner = await fixtures.provider('search');
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close();
  });

  const search = (query: Record<string, string | number | undefined>): request.Test =>
    request(api.getHttpServer()).get('/v1/search').query(query);
  const namesFor = async (q: string): Promise<string[]> =>
    ((await search({ q }).expect(200)).body.hits as { name: string }[]).map((hit) => hit.name);

  async function listing(
    fields: { name: string; summary?: string; description?: string; tags?: string[]; category?: string },
    options: { publish?: boolean; visibility?: 'public' | 'private' } = {},
  ): Promise<ListingRef> {
    const created = await send(api, owner.user, 'post', '/v1/provider/apis', {
      slug: `s-${randomUUID().slice(0, 12)}`,
      summary: 'An API.',
      category: 'data',
      visibility: options.visibility ?? 'public',
      upstreamLiveUrl: 'https://93.184.215.14',
      ...fields,
    }).expect(201);
    const ref = { id: created.body.id as string, slug: created.body.slug as string };
    if (options.publish !== false) await send(api, owner.user, 'post', `/v1/provider/apis/${ref.id}/publish`, {}).expect(200);
    return ref;
  }

  it(`makes a published listing searchable, and an edit of it, within ${INDEX_DELAY_BOUND_MS} ms`, async () => {
    const first = word();
    const ref = await listing({ name: `Geocoder ${first}` }, { publish: false });
    const published = Date.now();
    await send(api, owner.user, 'post', `/v1/provider/apis/${ref.id}/publish`, {}).expect(200);
    await until(() => namesFor(first), (names) => names.includes(`Geocoder ${first}`), INDEX_DELAY_BOUND_MS);
    expect(Date.now() - published).toBeLessThanOrEqual(INDEX_DELAY_BOUND_MS);

    const second = word();
    const edited = Date.now();
    await send(api, owner.user, 'patch', `/v1/provider/apis/${ref.id}`, { name: `Geocoder ${second}` }).expect(200);
    await until(() => namesFor(second), (names) => names.includes(`Geocoder ${second}`), INDEX_DELAY_BOUND_MS);
    expect(Date.now() - edited).toBeLessThanOrEqual(INDEX_DELAY_BOUND_MS);
    expect(await namesFor(first)).toEqual([]);
  });

  it('never shows private, draft or retired listings, even after a full reindex', async () => {
    const tag = word();
    const visible = await listing({ name: `Visible ${tag}` });
    await listing({ name: `Private ${tag}` }, { visibility: 'private' });
    await listing({ name: `Draft ${tag}` }, { publish: false });
    const retired = await listing({ name: `Retired ${tag}` });
    await until(() => namesFor(tag), (names) => names.includes(`Retired ${tag}`) && names.includes(`Visible ${tag}`), INDEX_DELAY_BOUND_MS);

    await send(api, owner.user, 'post', `/v1/provider/apis/${retired.id}/deprecate`, {
      sunsetAt: new Date(Date.now() + 86_400_000).toISOString(),
      message: 'Going away.',
    }).expect(200);
    await send(api, owner.user, 'post', `/v1/provider/apis/${retired.id}/retire`, {}).expect(200);
    await until(() => namesFor(tag), (names) => !names.includes(`Retired ${tag}`), INDEX_DELAY_BOUND_MS);
    expect(await namesFor(tag)).toEqual([`Visible ${tag}`]);

    const out: string[] = [];
    expect(await runReindexCommand({ write: (text: string) => out.push(text) }, env)).toBe(0);
    expect(await namesFor(tag)).toEqual([`Visible ${tag}`]);
    const suggested = await request(api.getHttpServer()).get('/v1/search/suggest').query({ q: 'visible' }).expect(200);
    expect((suggested.body as { id: string }[]).map((s) => s.id)).not.toContain(retired.id);
    const rows = await dataSource.query<{ id: string }[]>(`SELECT id FROM search_documents WHERE name LIKE $1`, [`% ${tag}`]);
    expect(rows.map((row) => row.id)).toEqual([visible.id]);
  });

  it('ranks the exact name first, excludes negated words, folds accents and tolerates a typo', async () => {
    const w = word();
    await listing({ name: `Weatherly ${w}`, summary: 'Hourly outlooks.', tags: ['weather'] });
    await listing({ name: `Harbor ${w}`, summary: 'Tides.', description: `Uses weatherly ${w} data, weatherly routing.` });
    await listing({ name: `Crème ${w}`, summary: 'Desserts.' });
    await until(() => namesFor(w), (names) => names.length === 3, INDEX_DELAY_BOUND_MS);

    expect((await namesFor(`weatherly ${w}`))[0]).toBe(`Weatherly ${w}`);
    expect(await namesFor(`${w} -tides`)).not.toContain(`Harbor ${w}`);
    expect((await namesFor(`creme ${w}`))[0]).toBe(`Crème ${w}`);
    expect(await namesFor(`"harbor ${w}"`)).toEqual([`Harbor ${w}`]);
    const typo = await search({ q: `${w.slice(0, -1)}` }).expect(200);
    expect(typo.body.fuzzy).toBe(true);
    expect((typo.body.hits as { name: string }[]).map((h) => h.name)).toEqual(expect.arrayContaining([`Weatherly ${w}`, `Harbor ${w}`]));
  });

  it('answers facets equal to the filtered totals, highlights, tookMs, and type-ahead', async () => {
    const w = word();
    await listing({ name: `Alpha ${w}`, tags: ['maps', 'geo'], category: 'data' });
    await listing({ name: `Beta ${w}`, tags: ['maps'], category: 'travel' });
    await listing({ name: `Gamma ${w}`, tags: ['geo'], category: 'data' });
    await until(() => namesFor(w), (names) => names.length === 3, INDEX_DELAY_BOUND_MS);

    const res = await search({ q: w, category: 'data' }).expect(200);
    expect(res.body.total).toBe(2);
    expect(typeof res.body.tookMs).toBe('number');
    expect(res.body.hits[0].highlights.name).toContain(`<mark>${w}</mark>`);
    const facets = res.body.facets as Record<string, { value: string; count: number }[]>;
    expect(facets.category).toEqual(expect.arrayContaining([{ value: 'data', count: 2 }, { value: 'travel', count: 1 }]));
    for (const { value, count } of facets.category) {
      expect((await search({ q: w, category: value }).expect(200)).body.total).toBe(count);
    }
    for (const { value, count } of facets.tags) {
      expect((await search({ q: w, category: 'data', tags: value }).expect(200)).body.total).toBe(count);
    }
    for (const { value, count } of facets.pricing) {
      expect((await search({ q: w, category: 'data', pricing: value }).expect(200)).body.total).toBe(count);
    }
    expect(facets.pricing).toEqual([{ value: 'free', count: 2 }]);
    expect((await search({ q: w, tags: 'maps,geo' }).expect(200)).body.total).toBe(3);

    const suggest = await request(api.getHttpServer()).get('/v1/search/suggest').query({ q: `alpha ${w.slice(0, 5)}` }).expect(200);
    expect((suggest.body as { name: string; highlight: string }[])[0]).toMatchObject({ name: `Alpha ${w}` });
  });

  it(`shows a publish and an edit in the (cached) facets of text-less browsing within ${INDEX_DELAY_BOUND_MS} ms`, async () => {
    // browsing without text always caches its facet block: prime it, then change what it counts
    const tag = word();
    const browse = async (): Promise<{ total: number; facets: Record<string, { value: string; count: number }[]>; hits: { name: string }[] }> =>
      (await search({ tags: tag }).expect(200)).body;
    const counted = (body: Awaited<ReturnType<typeof browse>>, category: string): boolean =>
      body.total === 1 &&
      body.hits.some((hit) => hit.name === `Faceted ${tag}`) &&
      JSON.stringify(body.facets.category) === JSON.stringify([{ value: category, count: 1 }]);
    expect((await browse()).total).toBe(0);
    expect((await browse()).facets.category).toEqual([]);

    const ref = await listing({ name: `Faceted ${tag}`, tags: [tag], category: 'travel' }, { publish: false });
    const published = Date.now();
    await send(api, owner.user, 'post', `/v1/provider/apis/${ref.id}/publish`, {}).expect(200);
    await until(browse, (body) => counted(body, 'travel'), INDEX_DELAY_BOUND_MS);
    expect(Date.now() - published).toBeLessThanOrEqual(INDEX_DELAY_BOUND_MS);

    const edited = Date.now();
    await send(api, owner.user, 'patch', `/v1/provider/apis/${ref.id}`, { category: 'data' }).expect(200);
    await until(browse, (body) => counted(body, 'data'), INDEX_DELAY_BOUND_MS);
    expect(Date.now() - edited).toBeLessThanOrEqual(INDEX_DELAY_BOUND_MS);
    // the facet count is the filtered total, from the same cache
    expect((await search({ tags: tag, category: 'data' }).expect(200)).body.total).toBe(1);
    expect((await search({ tags: tag, category: 'travel' }).expect(200)).body.total).toBe(0);
  });

  it('rejects bad parameters with validation_failed', async () => {
    for (const query of [{ perPage: 500 }, { pricing: 'cheap' }, { sort: 'random' }, { minRating: 9 }, { tags: 'Not A Tag' }, { q: 'x'.repeat(201) }]) {
      const res = await search(query).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await request(api.getHttpServer()).get('/v1/search/suggest').expect(400);
  });

  it('reindex reports a document the database lacks (removed) and a listing the index lacked (added)', async () => {
    const w = word();
    const ref = await listing({ name: `Reindexed ${w}` });
    await until(() => namesFor(w), (names) => names.length === 1, INDEX_DELAY_BOUND_MS);
    const stale = randomUUID();
    await dataSource.query(
      `INSERT INTO search_documents (id, slug, name, summary, category, category_name, provider_slug, provider_name, status)
       VALUES ($1, 'ghost', 'Ghost ${w}', 'Gone.', 'data', 'Data', 'ghost', 'Ghost', 'published')`,
      [stale],
    );
    await dataSource.query(`DELETE FROM search_documents WHERE id = $1`, [ref.id]);
    expect(await namesFor(w)).toEqual([`Ghost ${w}`]);

    const out: string[] = [];
    expect(await runReindexCommand({ write: (text: string) => out.push(text), isTTY: false }, env)).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/^reindex: 0\/\d+ listings \(0 %\)$/m);
    expect(text).toMatch(/^reindex: (\d+)\/\1 listings \(100 %\)$/m);
    expect(text).toMatch(/Reindexed \d+ listings into postgres/);
    const removed = text.slice(text.indexOf('  removed'), text.indexOf('  added'));
    const added = text.slice(text.indexOf('  added'));
    expect(removed).toContain(stale);
    expect(added).toContain(ref.id);
    expect(await namesFor(w)).toEqual([`Reindexed ${w}`]);
  });
});

