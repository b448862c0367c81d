import { randomUUID } from 'node:crypto';
import type { SearchDocument, SearchQuery, SearchResult } from '../search-document';
import type { SearchPort } from '../search.port';

/** A complete, valid document; override what a case is about. */
export function searchDocument(overrides: Partial<SearchDocument> = {}): SearchDocument {
  return {
    id: randomUUID(),
    slug: `api-${randomUUID().slice(0, 8)}`,
    name: 'Untitled API',
    summary: 'Does something useful.',
    description: '',
    tags: [],
    category: 'data',
    categoryName: 'Data',
    providerSlug: 'acme',
    providerName: 'Acme',
    logoUrl: null,
    status: 'published',
    sunsetAt: null,
    publishedAt: '2026-01-01T00:00:00.000Z',
    pricing: 'free',
    ratingAvg: null,
    ratingCount: 0,
    subscribers: 0,
    calls30d: 0,
    popularity: 0,
    latencyMs: null,
    successRate: null,
    ...overrides,
  };
}

export interface ContractSubject {
  port: SearchPort;
  close(): Promise<void>;
}

export interface ContractOptions {
  /**
   * True for engines that rank and parse queries for real (postgres, a real Meilisearch): the
   * ranking-quality and query-syntax cases (exact name first, negation, phrases) run only then,
   * and are reported as skipped otherwise. A protocol fake (test/fakes/meilisearch.fake.ts)
   * matches, filters, sorts and facets, but ranks crudely and parses no operators.
   */
  realEngine: boolean;
}

const NOW = new Date('2026-06-01T00:00:00.000Z');

function query(overrides: Partial<SearchQuery>): SearchQuery {
  return { q: '', sort: 'relevance', page: 1, perPage: 20, ...overrides };
}

const names = (result: SearchResult): string[] => result.hits.map((hit) => hit.document.name);

/** The fixture every case searches (ids fixed per suite run). */
function corpus(): Record<string, SearchDocument> {
  return {
    weather: searchDocument({
      name: 'Weather',
      summary: 'Current conditions and hourly outlooks for any city.',
      description: 'Radar, rain and severe alerts.',
      tags: ['weather', 'climate'],
      category: 'data',
      categoryName: 'Data',
      pricing: 'freemium',
      ratingAvg: 4.6,
      ratingCount: 12,
      subscribers: 900,
      calls30d: 1_000_000,
      popularity: 9000,
      latencyMs: 120,
      successRate: 0.999,
      publishedAt: '2026-01-10T00:00:00.000Z',
    }),
    mentions: searchDocument({
      name: 'Sailing Planner',
      summary: 'Plans sailing routes.',
      description: 'Uses weather data from partners to plan routes; weather windows, weather routing.',
      tags: ['maps'],
      category: 'travel',
      categoryName: 'Travel',
      pricing: 'paid',
      ratingAvg: 3.2,
      ratingCount: 4,
      subscribers: 50,
      popularity: 5000,
      latencyMs: 80,
      publishedAt: '2026-03-01T00:00:00.000Z',
    }),
    forecast: searchDocument({
      name: 'Forecast Weather Pro',
      summary: 'Long range weather forecast models.',
      tags: ['weather'],
      category: 'data',
      categoryName: 'Data',
      pricing: 'paid',
      ratingAvg: 2.5,
      ratingCount: 2,
      popularity: 100,
      latencyMs: 400,
      publishedAt: '2026-02-01T00:00:00.000Z',
    }),
    cafe: searchDocument({
      name: 'Café Finder',
      summary: 'Finds coffee places near you.',
      tags: ['maps', 'food'],
      category: 'travel',
      categoryName: 'Travel',
      pricing: 'free',
      popularity: 300,
      publishedAt: '2025-12-01T00:00:00.000Z',
    }),
    air: searchDocument({
      name: 'Air Quality Index',
      summary: 'Pollution and air quality readings.',
      tags: ['climate'],
      category: 'data',
      categoryName: 'Data',
      pricing: 'free',
      ratingAvg: 4.1,
      ratingCount: 9,
      popularity: 700,
      latencyMs: 60,
      publishedAt: '2026-04-01T00:00:00.000Z',
    }),
    quality: searchDocument({
      name: 'Code Review Bot',
      summary: 'Automated quality checks for code, in the air of your CI.',
      tags: ['devtools'],
      category: 'developer',
      categoryName: 'Developer tools',
      pricing: 'paid',
      popularity: 50,
      publishedAt: '2026-05-01T00:00:00.000Z',
    }),
    sunset: searchDocument({
      name: 'Weather Legacy',
      summary: 'The old weather endpoint.',
      tags: ['weather'],
      status: 'deprecated',
      sunsetAt: '2026-05-01T00:00:00.000Z',
      pricing: 'free',
    }),
    markup: searchDocument({
      name: 'Tricky <b>Markup</b> API',
      summary: 'Names are escaped & highlighted.',
      category: 'developer',
      categoryName: 'Developer tools',
      pricing: null,
    }),
  };
}

/**
 * The SearchPort contract every adapter must pass: postgres always, Meilisearch through the real
 * client against test/fakes/meilisearch.fake.ts always, and against a real server when MEILI_URL
 * is set. `subject` builds an empty index; the cases share one corpus.
 */
export function describeSearchContract(
  title: string,
  options: ContractOptions,
  subject: () => Promise<ContractSubject>,
): void {
  describe(`SearchPort contract: ${title}`, () => {
    let s: ContractSubject;
    let docs: Record<string, SearchDocument>;

    beforeAll(async () => {
      s = await subject();
      await s.port.prepare();
      // preparing twice is harmless (boot of every replica)
      await s.port.prepare();
      docs = corpus();
      await s.port.upsert(Object.values(docs));
    });

    afterAll(async () => {
      await s?.close();
    });

    it('finds a listing by a word of its name, with the match highlighted in escaped HTML', async () => {
      const result = await s.port.search(query({ q: 'forecast' }), NOW);
      expect(names(result)).toEqual(expect.arrayContaining(['Forecast Weather Pro']));
      const hit = result.hits.find((h) => h.document.id === docs.forecast.id)!;
      expect(hit.highlights.name).toContain('<mark>Forecast</mark>');
      expect(hit.document).toMatchObject({ slug: docs.forecast.slug, pricing: 'paid', latencyMs: 400 });
    });

    it('escapes markup from listing text in highlights', async () => {
      const result = await s.port.search(query({ q: 'markup' }), NOW);
      const hit = result.hits.find((h) => h.document.id === docs.markup.id)!;
      expect(hit.highlights.name).not.toContain('<b>');
      expect(hit.highlights.name).toContain('&lt;b&gt;');
      expect(hit.highlights.name).toContain('<mark>Markup</mark>');
      expect(hit.highlights.summary).toContain('&amp;');
    });

    it('still finds the API when the query has a typo', async () => {
      const result = await s.port.search(query({ q: 'wether' }), NOW);
      expect(names(result)).toContain('Weather');
    });

    it('folds accents both ways: cafe finds Café, café finds it too', async () => {
      expect(names(await s.port.search(query({ q: 'cafe' }), NOW))).toContain('Café Finder');
      expect(names(await s.port.search(query({ q: 'CAFÉ' }), NOW))).toContain('Café Finder');
    });

    it('never returns a deprecated listing past its sunset', async () => {
      const result = await s.port.search(query({ q: 'legacy' }), NOW);
      expect(names(result)).not.toContain('Weather Legacy');
      const before = await s.port.search(query({ q: 'legacy' }), new Date('2026-04-01T00:00:00.000Z'));
      expect(names(before)).toContain('Weather Legacy');
    });

    it('filters by category, any of the tags, pricing and minimum rating', async () => {
      const all = await s.port.search(query({}), NOW);
      expect(all.total).toBe(7); // the sunset listing is out
      expect((await s.port.search(query({ category: 'travel' }), NOW)).total).toBe(2);
      expect(names(await s.port.search(query({ tags: ['food', 'devtools'] }), NOW)).sort()).toEqual(['Café Finder', 'Code Review Bot']);
      expect((await s.port.search(query({ pricing: 'paid' }), NOW)).total).toBe(3);
      expect(names(await s.port.search(query({ minRating: 4 }), NOW)).sort()).toEqual(['Air Quality Index', 'Weather']);
      const combined = await s.port.search(query({ category: 'data', pricing: 'free', minRating: 4 }), NOW);
      expect(names(combined)).toEqual(['Air Quality Index']);
    });

    it('counts each facet with the other filters applied, equal to the totals of those filtered searches', async () => {
      const base = query({ q: 'weather', category: 'data', pricing: 'paid' });
      const result = await s.port.search(base, NOW);
      const checks: Promise<void>[] = [];
      for (const { value, count } of result.facets.category) {
        checks.push(s.port.search({ ...base, category: value }, NOW).then((r) => expect([value, r.total]).toEqual([value, count])));
      }
      for (const { value, count } of result.facets.pricing) {
        checks.push(s.port.search({ ...base, pricing: value as SearchQuery['pricing'] }, NOW).then((r) => expect([value, r.total]).toEqual([value, count])));
      }
      for (const { value, count } of result.facets.tags) {
        checks.push(s.port.search({ ...base, tags: [value] }, NOW).then((r) => expect([value, r.total]).toEqual([value, count])));
      }
      for (const { value, count } of result.facets.rating) {
        checks.push(s.port.search({ ...base, minRating: Number(value) }, NOW).then((r) => expect([value, r.total]).toEqual([value, count])));
      }
      await Promise.all(checks);
      // with category=data selected, the category facet still offers travel (counted without its own filter)
      expect(result.facets.category.map((f) => f.value)).toContain('data');
      expect(result.facets.pricing.map((f) => f.value).sort()).toEqual(expect.arrayContaining(['paid']));
      expect(result.facets.rating.map((f) => f.value)).toEqual(['4', '3', '2', '1']);
      expect(result.total).toBe(1); // Forecast Weather Pro
    });

    it('sorts by popularity, rating, latency (unknown last) and newest', async () => {
      const popularity = names(await s.port.search(query({ sort: 'popularity', perPage: 3 }), NOW));
      expect(popularity).toEqual(['Weather', 'Sailing Planner', 'Air Quality Index']);
      const rating = names(await s.port.search(query({ sort: 'rating', perPage: 4 }), NOW));
      expect(rating).toEqual(['Weather', 'Air Quality Index', 'Sailing Planner', 'Forecast Weather Pro']);
      const latency = await s.port.search(query({ sort: 'latency' }), NOW);
      expect(names(latency).slice(0, 4)).toEqual(['Air Quality Index', 'Sailing Planner', 'Weather', 'Forecast Weather Pro']);
      expect(latency.hits.slice(4).every((h) => h.document.latencyMs === null)).toBe(true);
      const newest = names(await s.port.search(query({ sort: 'newest', perPage: 2 }), NOW));
      expect(newest).toEqual(['Code Review Bot', 'Air Quality Index']);
    });

    it('answers a text query with any sort (how a sort mixes with relevance is up to the engine)', async () => {
      for (const sort of ['popularity', 'rating', 'latency', 'newest'] as const) {
        const result = await s.port.search(query({ q: 'weather', sort }), NOW);
        expect([sort, names(result).sort()]).toEqual([sort, ['Forecast Weather Pro', 'Sailing Planner', 'Weather']]);
        expect(result.total).toBe(3);
      }
    });

    it('pages through results without overlap', async () => {
      const first = await s.port.search(query({ sort: 'popularity', perPage: 3, page: 1 }), NOW);
      const second = await s.port.search(query({ sort: 'popularity', perPage: 3, page: 2 }), NOW);
      expect(first.total).toBe(7);
      expect(second.hits).toHaveLength(3);
      expect(names(second).filter((n) => names(first).includes(n))).toEqual([]);
    });

    it('suggests names by the prefix being typed, marking it', async () => {
      const suggestions = await s.port.suggest('weat', 5, NOW);
      expect(suggestions.map((x) => x.name)).toEqual(expect.arrayContaining(['Weather', 'Forecast Weather Pro']));
      expect(suggestions.map((x) => x.name)).not.toContain('Weather Legacy');
      expect(suggestions.find((x) => x.name === 'Weather')?.highlight).toBe('<mark>Weat</mark>her');
      expect(await s.port.suggest('   ', 5, NOW)).toEqual([]);
    });

    it('replaces a document on upsert and forgets it on remove; listIds follows', async () => {
      const extra = searchDocument({ name: 'Zebra Crossing', summary: 'Counts zebras.' });
      await s.port.upsert([extra]);
      expect(names(await s.port.search(query({ q: 'zebra' }), NOW))).toEqual(['Zebra Crossing']);
      await s.port.upsert([{ ...extra, name: 'Giraffe Crossing' }]);
      expect(names(await s.port.search(query({ q: 'giraffe' }), NOW))).toEqual(['Giraffe Crossing']);
      expect(names(await s.port.search(query({ q: 'zebra crossing' }), NOW))).not.toContain('Zebra Crossing');
      let ids: string[] = [];
      for await (const page of s.port.listIds()) ids = ids.concat(page);
      expect(ids).toContain(extra.id);
      await s.port.remove([extra.id, randomUUID()]);
      expect((await s.port.search(query({ q: 'giraffe' }), NOW)).total).toBe(0);
      ids = [];
      for await (const page of s.port.listIds()) ids = ids.concat(page);
      expect(ids.sort()).toEqual(Object.values(docs).map((d) => d.id).sort());
    });

    it('reports itself healthy with its document count', async () => {
      const health = await s.port.health();
      expect(health).toMatchObject({ engine: s.port.engine, ok: true, documents: Object.keys(docs).length });
    });

    // ranking and query syntax are not part of a protocol fake's contract (it ranks crudely and
    // parses no operators): these cases exist only for real engines (postgres, a real Meilisearch)
    describe('ranking and query syntax', () => {
      const realOnly: (name: string, fn: () => Promise<void>) => void = options.realEngine ? it : () => undefined;

      realOnly('ranks an exact name match above listings that only mention the word', async () => {
        const result = await s.port.search(query({ q: 'weather' }), NOW);
        expect(names(result)[0]).toBe('Weather');
        expect(names(result).indexOf('Weather')).toBeLessThan(names(result).indexOf('Sailing Planner'));
      });

      realOnly('excludes listings matching a negated word', async () => {
        const result = await s.port.search(query({ q: 'weather -forecast' }), NOW);
        expect(names(result)).not.toContain('Forecast Weather Pro');
        expect(names(result)).toContain('Weather');
      });

      realOnly('matches a quoted phrase only where the words are adjacent', async () => {
        const result = await s.port.search(query({ q: '"air quality"' }), NOW);
        expect(names(result)).toContain('Air Quality Index');
        expect(names(result)).not.toContain('Code Review Bot');
      });
    });
  });
}
