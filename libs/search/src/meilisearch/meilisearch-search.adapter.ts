import type { Index, Meilisearch, Task } from 'meilisearch/dist/index';
import { MARK_END, MARK_START, markPrefixes, toHighlightHtml, words } from '../highlight';
import {
  RATING_BUCKETS,
  SEARCH_LIMITS,
  type FacetCount,
  type SearchDocument,
  type SearchFacets,
  type SearchHealth,
  type SearchQuery,
  type SearchResult,
  type SearchSort,
  type Suggestion,
} from '../search-document';
import { SearchPort } from '../search.port';

type MeiliModule = typeof import('meilisearch/dist/index');

/**
 * `meilisearch` ships as ESM only. Loaded with a dynamic import inside this adapter, so nothing
 * else pays for it and the postgres default never loads it (STACK.md "ESM-only packages under
 * Jest"; Jest transforms it, see jest.config.ts). The specifier is a variable because the
 * package's types resolve only through its `exports` map, which `moduleResolution: node` ignores;
 * the types come from the type-only import above.
 */
async function loadMeilisearch(): Promise<MeiliModule> {
  const specifier = 'meilisearch';
  return (await import(specifier)) as MeiliModule;
}

/** What Meilisearch stores: the document plus numeric / derived fields it filters and sorts on. */
interface MeiliDocument extends SearchDocument {
  /** floor(ratingAvg), 0 without reviews: the rating facet's raw values. */
  ratingFloor: number;
  /** Epoch ms, absent when none (Meilisearch sorts absent values last). */
  publishedAtMs?: number;
  sunsetAtMs?: number;
}

type Hit = MeiliDocument & { _formatted?: Partial<Record<'name' | 'summary' | 'description', string>> };

export interface MeilisearchOptions {
  url: string;
  apiKey?: string;
  /** Index uid; tests use their own. */
  indexUid?: string;
  /** How long to wait for an indexing task (ms). */
  taskTimeoutMs?: number;
}

export const MEILI_DEFAULT_INDEX = 'portico-apis';

/** Settings applied on boot (prepare): what is searched in which order, filtered, sorted, and how typos are tolerated. */
export const MEILI_SETTINGS = {
  searchableAttributes: ['name', 'summary', 'tags', 'description', 'categoryName', 'providerName'],
  filterableAttributes: ['category', 'tags', 'pricing', 'ratingAvg', 'ratingFloor', 'status', 'sunsetAtMs'],
  sortableAttributes: ['popularity', 'ratingAvg', 'ratingCount', 'latencyMs', 'publishedAtMs'],
  rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness', 'popularity:desc'],
  typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 4, twoTypos: 8 } },
  faceting: { maxValuesPerFacet: 100 },
  pagination: { maxTotalHits: 10_000 },
};

const SORTS: Record<SearchSort, string[]> = {
  relevance: [],
  popularity: ['popularity:desc'],
  rating: ['ratingAvg:desc', 'ratingCount:desc'],
  latency: ['latencyMs:asc'],
  newest: ['publishedAtMs:desc'],
};

type FacetName = 'category' | 'tags' | 'pricing' | 'rating';
const FACET_ATTRIBUTE: Record<FacetName, string> = {
  category: 'category',
  tags: 'tags',
  pricing: 'pricing',
  rating: 'ratingFloor',
};

/** A filter value as a Meilisearch string literal. */
function literal(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function toMeili(document: SearchDocument): MeiliDocument {
  const out: MeiliDocument = { ...document, ratingFloor: document.ratingAvg === null ? 0 : Math.floor(document.ratingAvg) };
  // absent, not null: Meilisearch sorts documents without the field last, and range filters skip them
  for (const key of ['ratingAvg', 'latencyMs', 'successRate', 'pricing', 'sunsetAt', 'publishedAt', 'logoUrl'] as const) {
    if (out[key] === null) delete out[key];
  }
  if (document.publishedAt) out.publishedAtMs = Date.parse(document.publishedAt);
  if (document.sunsetAt) out.sunsetAtMs = Date.parse(document.sunsetAt);
  return out;
}

function fromMeili(hit: Hit): SearchDocument {
  return {
    id: hit.id,
    slug: hit.slug,
    name: hit.name,
    summary: hit.summary,
    description: hit.description,
    tags: hit.tags,
    category: hit.category,
    categoryName: hit.categoryName,
    providerSlug: hit.providerSlug,
    providerName: hit.providerName,
    logoUrl: hit.logoUrl ?? null,
    status: hit.status,
    sunsetAt: hit.sunsetAt ?? null,
    publishedAt: hit.publishedAt ?? null,
    pricing: hit.pricing ?? null,
    ratingAvg: hit.ratingAvg ?? null,
    ratingCount: hit.ratingCount,
    subscribers: hit.subscribers,
    calls30d: hit.calls30d,
    popularity: hit.popularity,
    latencyMs: hit.latencyMs ?? null,
    successRate: hit.successRate ?? null,
  };
}

function assertSucceeded(task: Task, what: string): void {
  if (task.status !== 'succeeded') {
    throw new Error(`Meilisearch ${what} task ${task.uid} ${task.status}: ${task.error?.message ?? 'no detail'}`);
  }
}

/**
 * Meilisearch through the official client. Documents carry derived numeric fields for sorting
 * and filtering (epoch ms dates, the rating's floor for the cumulative rating buckets); every
 * write waits for its task, so a resolved upsert is searchable. Facets are disjunctive like the
 * postgres adapter's: one multi-search with the page query plus one query per facet that drops
 * that facet's own filter.
 */
export class MeilisearchSearchAdapter extends SearchPort {
  readonly engine = 'meilisearch' as const;
  private client: Promise<{ client: Meilisearch; index: Index<MeiliDocument> }> | null = null;
  private readonly indexUid: string;
  private readonly taskTimeoutMs: number;

  constructor(private readonly options: MeilisearchOptions) {
    super();
    this.indexUid = options.indexUid ?? MEILI_DEFAULT_INDEX;
    this.taskTimeoutMs = options.taskTimeoutMs ?? 30_000;
  }

  private connect(): Promise<{ client: Meilisearch; index: Index<MeiliDocument> }> {
    this.client ??= loadMeilisearch().then((module) => {
      const client = new module.Meilisearch({ host: this.options.url, apiKey: this.options.apiKey });
      return { client, index: client.index<MeiliDocument>(this.indexUid) };
    });
    return this.client;
  }

  async prepare(): Promise<void> {
    const { client, index } = await this.connect();
    const created = await client.createIndex(this.indexUid, { primaryKey: 'id' }).waitTask({ timeout: this.taskTimeoutMs });
    if (created.status === 'failed' && created.error?.code !== 'index_already_exists') assertSucceeded(created, 'createIndex');
    assertSucceeded(await index.updateSettings(MEILI_SETTINGS).waitTask({ timeout: this.taskTimeoutMs }), 'updateSettings');
  }

  async upsert(documents: readonly SearchDocument[]): Promise<void> {
    if (documents.length === 0) return;
    const { index } = await this.connect();
    for (let i = 0; i < documents.length; i += 1_000) {
      const batch = documents.slice(i, i + 1_000).map(toMeili);
      assertSucceeded(await index.addDocuments(batch, { primaryKey: 'id' }).waitTask({ timeout: this.taskTimeoutMs }), 'addDocuments');
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const { index } = await this.connect();
    assertSucceeded(await index.deleteDocuments([...ids]).waitTask({ timeout: this.taskTimeoutMs }), 'deleteDocuments');
  }

  async search(query: SearchQuery, now: Date): Promise<SearchResult> {
    const { client } = await this.connect();
    const visible = [`sunsetAtMs NOT EXISTS OR sunsetAtMs > ${now.getTime()}`];
    const filters: Record<FacetName, string | null> = {
      category: query.category !== undefined ? `category = ${literal(query.category)}` : null,
      tags: query.tags && query.tags.length > 0 ? `tags IN [${query.tags.map(literal).join(', ')}]` : null,
      pricing: query.pricing !== undefined ? `pricing = ${literal(query.pricing)}` : null,
      rating: query.minRating !== undefined ? `ratingAvg >= ${Number(query.minRating)}` : null,
    };
    const filterExcept = (except?: FacetName): string[] => [
      ...visible,
      ...(Object.entries(filters) as [FacetName, string | null][])
        .filter(([name, sql]) => name !== except && sql !== null)
        .map(([, sql]) => sql as string),
    ];
    const q = query.q.trim();
    const sort = SORTS[query.sort === 'relevance' && q.length === 0 ? 'popularity' : query.sort];
    const facetNames = Object.keys(FACET_ATTRIBUTE) as FacetName[];
    const response = await client.multiSearch({
      queries: [
        {
          indexUid: this.indexUid,
          q,
          filter: filterExcept(),
          sort,
          page: query.page,
          hitsPerPage: query.perPage,
          attributesToHighlight: ['name', 'summary'],
          attributesToCrop: ['description'],
          cropLength: 24,
          highlightPreTag: MARK_START,
          highlightPostTag: MARK_END,
        },
        ...facetNames.map((name) => ({
          indexUid: this.indexUid,
          q,
          filter: filterExcept(name),
          facets: [FACET_ATTRIBUTE[name]],
          page: 1,
          hitsPerPage: 0,
        })),
      ],
    });
    const [main, ...facetResults] = response.results as unknown as {
      hits: Hit[];
      totalHits?: number;
      facetDistribution?: Record<string, Record<string, number>>;
    }[];
    const distribution = (i: number): Record<string, number> =>
      facetResults[i].facetDistribution?.[FACET_ATTRIBUTE[facetNames[i]]] ?? {};
    const counts = (values: Record<string, number>, max = Infinity): FacetCount[] =>
      Object.entries(values)
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
        .slice(0, max);
    const floors = distribution(3);
    const facets: SearchFacets = {
      category: counts(distribution(0)),
      tags: counts(distribution(1), SEARCH_LIMITS.tagFacetMax),
      pricing: counts(distribution(2)),
      rating: RATING_BUCKETS.map((stars) => ({
        value: String(stars),
        count: Object.entries(floors)
          .filter(([floor]) => Number(floor) >= stars)
          .reduce((sum, [, n]) => sum + n, 0),
      })),
    };
    return {
      total: main.totalHits ?? 0,
      facets,
      fuzzy: false,
      hits: main.hits.map((hit) => {
        const description = hit._formatted?.description;
        return {
          document: fromMeili(hit),
          highlights: {
            name: toHighlightHtml(hit._formatted?.name ?? hit.name),
            summary: toHighlightHtml(hit._formatted?.summary ?? hit.summary),
            description: description && description.includes(MARK_START) ? toHighlightHtml(description) : null,
          },
        };
      }),
    };
  }

  async suggest(prefix: string, limit: number, now: Date): Promise<Suggestion[]> {
    const typed = words(prefix);
    if (typed.length === 0) return [];
    const { index } = await this.connect();
    const response = await index.search(typed.join(' '), {
      attributesToSearchOn: ['name'],
      filter: [`sunsetAtMs NOT EXISTS OR sunsetAtMs > ${now.getTime()}`],
      limit,
      attributesToRetrieve: ['id', 'slug', 'name'],
    });
    return response.hits.map((hit) => ({
      id: hit.id,
      slug: hit.slug,
      name: hit.name,
      highlight: toHighlightHtml(markPrefixes(hit.name, typed)),
    }));
  }

  async *listIds(): AsyncGenerator<string[]> {
    const { index } = await this.connect();
    for (let offset = 0; ; offset += 1_000) {
      const page = await index.getDocuments({ fields: ['id'], limit: 1_000, offset });
      if (page.results.length === 0) return;
      yield page.results.map((doc) => String(doc.id as string));
      if (page.results.length < 1_000) return;
    }
  }

  async health(): Promise<SearchHealth> {
    try {
      const { client, index } = await this.connect();
      await client.health();
      const stats = await index.getStats();
      return { engine: 'meilisearch', ok: true, documents: stats.numberOfDocuments, detail: null };
    } catch (error) {
      return { engine: 'meilisearch', ok: false, documents: null, detail: error instanceof Error ? error.message : String(error) };
    }
  }
}
