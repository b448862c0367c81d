import { compareCodeUnits } from '@app/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { MARK_END, MARK_START, toHighlightHtml, words, markPrefixes } from '../highlight';
import {
  RATING_BUCKETS,
  SEARCH_LIMITS,
  type FacetCount,
  type Pricing,
  type SearchDocument,
  type SearchFacets,
  type SearchHealth,
  type SearchQuery,
  type SearchResult,
  type SearchSort,
  type Suggestion,
} from '../search-document';
import { SearchPort } from '../search.port';
import { FACET_CACHE_DEFAULTS, FacetCache, type FacetBlock, type FacetCacheOptions } from './facet-cache';
import { parseQuery } from './query-parts';

/** Text search configuration of the migration: english stemming over unaccent (accents fold). */
const CONFIG = 'portico_search';
/** Fewer full-text hits than this on a text query, and the trigram fallback runs. */
export const FUZZY_FALLBACK_BELOW = 3;
const UPSERT_CHUNK = 500;
/**
 * Every column an upsert writes but indexed_at: a row whose values all equal the stored ones is
 * not written at all (no row version, no trigger row, so the index version and the facet cache
 * stay as they are — the 10-minute refresh rewrites every document, mostly unchanged).
 */
const CONTENT_COLUMNS = [
  'slug',
  'name',
  'summary',
  'description',
  'tags',
  'category',
  'category_name',
  'provider_slug',
  'provider_name',
  'logo_url',
  'status',
  'sunset_at',
  'published_at',
  'pricing',
  'rating_avg',
  'rating_count',
  'subscribers',
  'calls_30d',
  'popularity',
  'latency_ms',
  'success_rate',
  'visibility',
] as const;
/** Word similarity of the typed words to a name for the typo fallback (pg_trgm's default is 0.6). */
export const WORD_SIMILARITY = 0.4;

const HEADLINE_ALL = `StartSel=${MARK_START}, StopSel=${MARK_END}, HighlightAll=true`;
const HEADLINE_SNIPPET = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxFragments=1, MaxWords=24, MinWords=10, FragmentDelimiter=" … "`;

/** Positional parameters: every value reaches PostgreSQL as `$n`, never inside the SQL text. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

type FacetName = 'category' | 'tags' | 'pricing' | 'rating';
type Mode = 'browse' | 'text' | 'fuzzy';

export interface PostgresSearchOptions {
  /** The facet block cache (docs/adr/0005-search-facet-cache.md); `false` computes every block. */
  facetCache?: Partial<FacetCacheOptions> | false;
}

interface HitRow {
  id: string;
  slug: string;
  name: string;
  summary: string;
  description: string;
  tags: string[];
  category: string;
  category_name: string;
  provider_slug: string;
  provider_name: string;
  logo_url: string | null;
  status: 'published' | 'deprecated';
  sunset_at: string | null;
  published_at: string | null;
  pricing: Pricing | null;
  rating_avg: string | number | null;
  rating_count: number;
  subscribers: number;
  calls_30d: string | number;
  popularity: number;
  latency_ms: number | null;
  success_rate: string | number | null;
  hl_name: string;
  hl_summary: string;
  hl_description: string | null;
}

interface PageRow {
  /** search_index_state.version in the statement's snapshot. */
  version: string;
  hits: HitRow[];
}

interface SearchRow extends PageRow {
  total: number;
  matched: number;
  /** The earliest sunset among the matches (epoch ms), null without one. */
  next_sunset_ms: number | null;
  category_facet: FacetCount[];
  tags_facet: FacetCount[];
  pricing_facet: FacetCount[];
  rating_facet: Record<string, number>;
}

const iso = (value: string | null): string | null => (value === null ? null : new Date(value).toISOString());
const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

function orderBy(sort: SearchSort): string {
  switch (sort) {
    case 'popularity':
      // rank is 0 for every sort but relevance: not a key (the order of ix_search_documents__by_popularity)
      return 'popularity DESC, id';
    case 'rating':
      return 'rating_avg DESC NULLS LAST, rating_count DESC, popularity DESC, id';
    case 'latency':
      return 'latency_ms ASC NULLS LAST, popularity DESC, id';
    case 'newest':
      return 'published_at DESC NULLS LAST, id';
    default:
      return 'rank DESC, popularity DESC, id';
  }
}

/**
 * The embedded engine: `search_documents` in PostgreSQL. A text query is `websearch_to_tsquery`
 * (quoted phrases, OR, -negation) over the weighted `search_vector`, ranked by ts_rank (name weight
 * 1.0, summary/tags 0.25, the rest 0.1) plus an exact-name bonus; when that finds fewer than FUZZY_FALLBACK_BELOW
 * listings, the query runs again with the trigram word similarity of the name OR'd in (typos),
 * negated terms still excluded. One statement answers the hits (with ts_headline highlights), the
 * total and the four disjunctive facets; the total, match count and facets ("facet block") of
 * browsing and of broad text queries are cached per index version (FacetCache), so a repeated
 * search reads only its page.
 */
export class PostgresSearchAdapter extends SearchPort {
  readonly engine = 'postgres' as const;
  private readonly facetCache: FacetCache | null;

  constructor(
    private readonly dataSource: DataSource,
    options: PostgresSearchOptions = {},
  ) {
    super();
    this.facetCache =
      options.facetCache === false
        ? null
        : new FacetCache({ ...FACET_CACHE_DEFAULTS, ...options.facetCache });
  }

  async prepare(): Promise<void> {
    // the migrations created everything; fail early and clearly if they did not run
    await this.dataSource.query(`SELECT 1 FROM search_documents LIMIT 1`);
    await this.dataSource.query(`SELECT version FROM search_index_state WHERE id = 1`);
  }

  async upsert(documents: readonly SearchDocument[]): Promise<void> {
    // sorted by primary key: concurrent upserts over the same rows never deadlock
    const sorted = [...documents].sort((a, b) => compareCodeUnits(a.id, b.id));
    for (let i = 0; i < sorted.length; i += UPSERT_CHUNK) {
      const params = new Params();
      const rows = sorted
        .slice(i, i + UPSERT_CHUNK)
        .map(
          (d) =>
            `(${[
              params.add(d.id, 'uuid'),
              params.add(d.slug),
              params.add(d.name),
              params.add(d.summary),
              params.add(d.description),
              params.add(d.tags, 'text[]'),
              params.add(d.category),
              params.add(d.categoryName),
              params.add(d.providerSlug),
              params.add(d.providerName),
              params.add(d.logoUrl),
              params.add(d.status),
              params.add(d.sunsetAt, 'timestamptz'),
              params.add(d.publishedAt, 'timestamptz'),
              params.add(d.pricing),
              params.add(d.ratingAvg, 'numeric'),
              params.add(d.ratingCount, 'int'),
              params.add(d.subscribers, 'int'),
              params.add(d.calls30d, 'bigint'),
              params.add(d.popularity, 'int'),
              params.add(d.latencyMs === null ? null : Math.round(d.latencyMs), 'int'),
              params.add(d.successRate, 'numeric'),
            ].join(', ')}, 'public', now())`,
        );
      await this.dataSource.query(
        `INSERT INTO search_documents (id, slug, name, summary, description, tags, category, category_name,
           provider_slug, provider_name, logo_url, status, sunset_at, published_at, pricing, rating_avg,
           rating_count, subscribers, calls_30d, popularity, latency_ms, success_rate, visibility, indexed_at)
         VALUES ${rows.join(',\n')}
         ON CONFLICT (id) DO UPDATE SET slug = EXCLUDED.slug, name = EXCLUDED.name, summary = EXCLUDED.summary,
           description = EXCLUDED.description, tags = EXCLUDED.tags, category = EXCLUDED.category,
           category_name = EXCLUDED.category_name, provider_slug = EXCLUDED.provider_slug,
           provider_name = EXCLUDED.provider_name, logo_url = EXCLUDED.logo_url, status = EXCLUDED.status,
           sunset_at = EXCLUDED.sunset_at, published_at = EXCLUDED.published_at, pricing = EXCLUDED.pricing,
           rating_avg = EXCLUDED.rating_avg, rating_count = EXCLUDED.rating_count,
           subscribers = EXCLUDED.subscribers, calls_30d = EXCLUDED.calls_30d, popularity = EXCLUDED.popularity,
           latency_ms = EXCLUDED.latency_ms, success_rate = EXCLUDED.success_rate,
           visibility = EXCLUDED.visibility, indexed_at = now()
         WHERE (${CONTENT_COLUMNS.map((c) => `search_documents.${c}`).join(', ')})
               IS DISTINCT FROM (${CONTENT_COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})`,
        params.values,
      );
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(`DELETE FROM search_documents WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async search(query: SearchQuery, now: Date): Promise<SearchResult> {
    const text = query.q.trim();
    if (text.length === 0) return (await this.run(query, now, 'browse')).result;
    // the fallback is decided on what the text matched before any filter, so a search and the
    // same search with one more filter use the same mode and facet counts equal filtered totals
    const exact = await this.run(query, now, 'text');
    if (exact.matched >= FUZZY_FALLBACK_BELOW) return exact.result;
    const parts = parseQuery(text);
    if (parts.positive.length === 0 || parts.hasPhrase) return exact.result;
    const fuzzy = await this.run(query, now, 'fuzzy');
    return fuzzy.matched > exact.matched ? fuzzy.result : exact.result;
  }

  /**
   * One round trip per search: the page of hits, and — unless the facet cache holds this search's
   * block for the index version the same statement reads — the total, the text's match count and
   * the four facets. A cached block whose version moved is dropped and the search runs again
   * whole; while one search computes a block, the same search elsewhere waits for it instead of
   * computing it too (an index change would otherwise send every concurrent browse to the table).
   */
  private async run(
    query: SearchQuery,
    now: Date,
    mode: Mode,
  ): Promise<{ result: SearchResult; matched: number }> {
    const cache = this.facetCache;
    const key = cache ? FacetCache.key(mode, query) : null;
    if (cache && key !== null) {
      for (let attempt = 0; attempt < 2; attempt++) {
        await cache.computing(key);
        const cached = cache.candidate(key, now);
        if (!cached) break;
        const row = await this.execute<PageRow>(this.statement(query, now, mode, false), mode);
        if (row.version === cached.version) return this.answer(mode, cached, row.hits);
        cache.drop(key, cached);
      }
    }
    const done = cache && key !== null ? cache.compute(key) : undefined;
    try {
      const row = await this.execute<SearchRow>(this.statement(query, now, mode, true), mode);
      const block: FacetBlock = {
        total: row.total,
        matched: row.matched,
        facets: {
          category: row.category_facet,
          tags: row.tags_facet,
          pricing: row.pricing_facet,
          rating: RATING_BUCKETS.map((stars) => ({
            value: String(stars),
            count: Number(row.rating_facet[String(stars)] ?? 0),
          })),
        },
      };
      if (cache && key !== null && cache.keeps(mode, block.matched)) {
        cache.set(key, {
          ...block,
          version: row.version,
          computedAt: now.getTime(),
          validUntil: row.next_sunset_ms ?? Infinity,
        });
      }
      return this.answer(mode, block, row.hits);
    } finally {
      done?.();
    }
  }

  private answer(mode: Mode, block: FacetBlock, hits: HitRow[]): { result: SearchResult; matched: number } {
    const copy = (counts: FacetCount[]): FacetCount[] =>
      counts.map((c) => ({ value: c.value, count: c.count }));
    const facets: SearchFacets = {
      category: copy(block.facets.category),
      tags: copy(block.facets.tags),
      pricing: copy(block.facets.pricing),
      rating: copy(block.facets.rating),
    };
    return {
      matched: block.matched,
      result: { total: block.total, facets, fuzzy: mode === 'fuzzy', hits: hits.map((hit) => this.hit(hit)) },
    };
  }

  private async execute<T extends PageRow>(
    statement: { sql: string; values: unknown[] },
    mode: Mode,
  ): Promise<T> {
    const rows =
      mode === 'fuzzy'
        ? await this.withTrigramThreshold(
            (runner) => runner.query(statement.sql, statement.values) as Promise<T[]>,
          )
        : await this.dataSource.query<T[]>(statement.sql, statement.values);
    return rows[0];
  }

  /**
   * The SQL of one search. With `withFacets` the text's matches are read once into `m` (for
   * browsing: only the columns facets need), and one grouping-sets pass over them counts the
   * total, the matches, the category, pricing and rating facets each with the other filters, and
   * the earliest sunset among them; the tags facet is a second pass (one row per tag). The page is
   * the top rows of `m` (browsing: of the table, through the index of the sort), ordered once.
   * Without facets only the page is read. Both read `search_index_state.version` in the same
   * snapshot as everything else.
   */
  private statement(
    query: SearchQuery,
    now: Date,
    mode: Mode,
    withFacets: boolean,
  ): { sql: string; values: unknown[] } {
    const p = new Params();
    const nowParam = p.add(now.toISOString(), 'timestamptz');
    const visible = `d.visibility = 'public' AND d.status IN ('published', 'deprecated') AND (d.sunset_at IS NULL OR d.sunset_at > ${nowParam})`;
    const text = query.q.trim();
    let match = 'TRUE';
    let rank = '0::real';
    let tsq = `''::tsquery`;
    if (mode !== 'browse') {
      const parts = parseQuery(text);
      tsq = `websearch_to_tsquery('${CONFIG}', ${p.add(text)})`;
      // ranked only when the order needs it: ts_rank reads every matched row's vector. The text is
      // a parameter only then (an unused parameter has no type: PostgreSQL rejects the statement).
      // name_folded = portico_unaccent(lower(name)), written by the trigger (folding per row costs)
      const textRank =
        query.sort === 'relevance'
          ? `(ts_rank('{0.05, 0.1, 0.25, 1.0}', d.search_vector, ${tsq}) + (CASE WHEN d.name_folded = portico_unaccent(lower(${p.add(text)})) THEN 1 ELSE 0 END))`
          : '0::real';
      if (mode === 'text') {
        match = `d.search_vector @@ ${tsq}`;
        rank = textRank;
      } else {
        const positive = p.add(parts.positive.join(' '));
        const similar = `d.name_folded %> portico_unaccent(lower(${positive}))`;
        const negated =
          parts.negated.length > 0
            ? ` AND NOT (d.search_vector @@ websearch_to_tsquery('${CONFIG}', ${p.add(parts.negated.join(' OR '))}))`
            : '';
        match = `((d.search_vector @@ ${tsq}) OR (${similar}))${negated}`;
        rank =
          query.sort === 'relevance'
            ? `(${textRank} + word_similarity(portico_unaccent(lower(${positive})), d.name_folded))`
            : '0::real';
      }
    }

    const filters: Record<FacetName, string | null> = {
      category: query.category !== undefined ? `category = ${p.add(query.category)}` : null,
      tags: query.tags && query.tags.length > 0 ? `tags && ${p.add(query.tags, 'text[]')}` : null,
      pricing: query.pricing !== undefined ? `pricing = ${p.add(query.pricing)}` : null,
      rating: query.minRating !== undefined ? `rating_avg >= ${p.add(query.minRating, 'numeric')}` : null,
    };
    const where = (except?: FacetName): string =>
      (Object.entries(filters) as [FacetName, string | null][])
        .filter(([name, sql]) => name !== except && sql !== null)
        .map(([, sql]) => sql)
        .join(' AND ') || 'TRUE';
    const order = orderBy(query.sort === 'relevance' && mode === 'browse' ? 'popularity' : query.sort);
    const limit = p.add(query.perPage, 'int');
    const offset = p.add((query.page - 1) * query.perPage, 'int');
    const highlighted = mode === 'browse' ? null : tsq;
    const headline = (column: string, options: string): string =>
      highlighted ? `ts_headline('${CONFIG}', ${column}, ${highlighted}, ${p.add(options)})` : column;

    const sortColumns = ['popularity', 'rating_avg', 'rating_count', 'latency_ms', 'published_at'];
    const fromMatches = withFacets && mode !== 'browse';
    const top = fromMatches
      ? `SELECT id, rank, ${sortColumns.join(', ')} FROM m WHERE ${where()}`
      : `SELECT d.id, ${rank} AS rank, ${sortColumns.map((c) => `d.${c}`).join(', ')}
           FROM search_documents d WHERE ${visible} AND ${match} AND ${where()}`;
    const pageCtes = `
      top AS (${top} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}),
      page AS (SELECT id, row_number() OVER (ORDER BY ${order}) AS ord FROM top)`;
    const hits = `
      (SELECT coalesce(json_agg(h ORDER BY h.ord), '[]') FROM (
         SELECT page.ord, d.id, d.slug, d.name, d.summary, d.description, d.tags, d.category, d.category_name,
                d.provider_slug, d.provider_name, d.logo_url, d.status, d.sunset_at, d.published_at, d.pricing,
                d.rating_avg, d.rating_count, d.subscribers, d.calls_30d, d.popularity, d.latency_ms, d.success_rate,
                ${headline('d.name', HEADLINE_ALL)} AS hl_name,
                ${headline('d.summary', HEADLINE_ALL)} AS hl_summary,
                ${highlighted ? headline('d.description', HEADLINE_SNIPPET) : 'NULL'} AS hl_description
           FROM page JOIN search_documents d ON d.id = page.id
      ) h) AS hits`;
    const version = `(SELECT version::text FROM search_index_state WHERE id = 1) AS version`;
    if (!withFacets) return { sql: `WITH ${pageCtes} SELECT ${version}, ${hits}`, values: p.values };

    // A text-less browse counts from search_facet_counts (maintained by triggers, migration
    // SearchFacetCounts) plus the few documents with a sunset, live; its rating column is
    // floor(rating), exact for integer thresholds only, so a fractional minRating scans instead.
    const fromCounts =
      mode === 'browse' && (query.minRating === undefined || Number.isInteger(query.minRating));
    const facetColumns = ['category', 'tags', 'pricing', 'rating_avg', 'sunset_at'];
    const matchedColumns = fromMatches
      ? `${[...new Set(['id', ...facetColumns, ...sortColumns])].map((c) => `d.${c}`).join(', ')}, ${rank} AS rank`
      : facetColumns.map((c) => `d.${c}`).join(', ');
    const tally = (condition: string): string =>
      fromCounts
        ? `coalesce(sum(n) FILTER (WHERE ${condition}), 0)::int`
        : `(count(*) FILTER (WHERE ${condition}))::int`;
    const ratingCounts = RATING_BUCKETS.map(
      (stars) => `${tally(`${where('rating')} AND rating_avg >= ${stars}`)} AS r${stars}`,
    ).join(',\n             ');
    const ratingFacet = RATING_BUCKETS.map((stars) => `'${stars}', g0.r${stars}`).join(', ');
    const liveTags = `SELECT t.tag FROM live l
             CROSS JOIN LATERAL (SELECT DISTINCT u.tag FROM unnest(l.tags) AS u(tag) WHERE u.tag <> '') t WHERE ${where('tags')}`;
    const sources = fromCounts
      ? `live AS (
        SELECT d.category, d.pricing, d.rating_avg, d.tags, d.sunset_at FROM search_documents d
         WHERE d.sunset_at IS NOT NULL AND ${visible}
      ), counts AS NOT MATERIALIZED (
        SELECT category, nullif(pricing, '') AS pricing, nullif(rating_floor, 0)::numeric AS rating_avg, tag, n
          FROM search_facet_counts WHERE n > 0
      ), m AS MATERIALIZED (${
        filters.tags === null
          ? `
        SELECT category, pricing, rating_avg, NULL::text[] AS tags, n, NULL::timestamptz AS sunset_at FROM counts WHERE tag = ''
        UNION ALL SELECT category, pricing, rating_avg, tags, 1, sunset_at FROM live`
          : `
        SELECT d.category, d.pricing, d.rating_avg, d.tags, 1 AS n, d.sunset_at FROM search_documents d
         WHERE ${visible} AND d.${filters.tags}`
      }
      )`
      : `m AS MATERIALIZED (
        SELECT ${matchedColumns} FROM search_documents d WHERE ${visible} AND ${match}
      )`;
    const tagCounts = fromCounts
      ? `SELECT tag, sum(n)::int AS n FROM (
          SELECT tag, n FROM counts WHERE tag <> '' AND ${where('tags')}
          UNION ALL ${liveTags.replace('SELECT t.tag', 'SELECT t.tag, 1')}
        ) x GROUP BY tag HAVING sum(n) > 0 ORDER BY 2 DESC, 1 LIMIT ${SEARCH_LIMITS.tagFacetMax}`
      : `SELECT tag, count(*)::int AS n FROM (SELECT unnest(tags) AS tag FROM m WHERE ${where('tags')}) t
         GROUP BY tag ORDER BY n DESC, tag LIMIT ${SEARCH_LIMITS.tagFacetMax}`;
    // the earliest sunset among the documents counted (browse: any the tags facet may count)
    const nextSunset = fromCounts
      ? `least(g0.next_sunset, (SELECT min(sunset_at) FROM live))`
      : 'g0.next_sunset';
    const sql = `
      WITH ${sources}, g AS (
        SELECT GROUPING(category, pricing) AS kind, category, pricing,
               ${fromCounts ? 'coalesce(sum(n), 0)::int' : 'count(*)::int'} AS matched,
               ${tally(where())} AS total,
               ${tally(where('category'))} AS n_category,
               ${tally(where('pricing'))} AS n_pricing,
               ${ratingCounts},
               min(sunset_at) AS next_sunset
          FROM m GROUP BY GROUPING SETS ((category), (pricing), ())
      ), tag_counts AS (
        ${tagCounts}
      ),${pageCtes}
      SELECT ${version}, g0.total, g0.matched,
        (extract(epoch FROM ${nextSunset}) * 1000)::float8 AS next_sunset_ms,
        (SELECT coalesce(json_agg(json_build_object('value', category, 'count', n_category) ORDER BY n_category DESC, category), '[]')
           FROM g WHERE kind = 1 AND n_category > 0) AS category_facet,
        (SELECT coalesce(json_agg(json_build_object('value', tag, 'count', n) ORDER BY n DESC, tag), '[]') FROM tag_counts) AS tags_facet,
        (SELECT coalesce(json_agg(json_build_object('value', pricing, 'count', n_pricing) ORDER BY n_pricing DESC, pricing), '[]')
           FROM g WHERE kind = 2 AND pricing IS NOT NULL AND n_pricing > 0) AS pricing_facet,
        json_build_object(${ratingFacet}) AS rating_facet,
        ${hits}
        FROM g g0 WHERE g0.kind = 3`;
    return { sql, values: p.values };
  }

  /**
   * Runs `work` in a transaction whose `%>` word-similarity threshold is WORD_SIMILARITY (the
   * default 0.6 misses one-letter typos in short words: word_similarity('wether', 'weather') = 0.5).
   * SET LOCAL ends with the transaction, so pooled connections keep the default.
   */
  private async withTrigramThreshold<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`SET LOCAL pg_trgm.word_similarity_threshold = ${WORD_SIMILARITY}`);
      const result = await work(runner);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  private hit(row: HitRow): SearchResult['hits'][number] {
    const description =
      row.hl_description && row.hl_description.includes(MARK_START) ? row.hl_description : null;
    return {
      document: {
        id: row.id,
        slug: row.slug,
        name: row.name,
        summary: row.summary,
        description: row.description,
        tags: row.tags,
        category: row.category,
        categoryName: row.category_name,
        providerSlug: row.provider_slug,
        providerName: row.provider_name,
        logoUrl: row.logo_url,
        status: row.status,
        sunsetAt: iso(row.sunset_at),
        publishedAt: iso(row.published_at),
        pricing: row.pricing,
        ratingAvg: num(row.rating_avg),
        ratingCount: row.rating_count,
        subscribers: row.subscribers,
        calls30d: Number(row.calls_30d),
        popularity: row.popularity,
        latencyMs: row.latency_ms,
        successRate: num(row.success_rate),
      },
      highlights: {
        name: toHighlightHtml(row.hl_name),
        summary: toHighlightHtml(row.hl_summary),
        description: description === null ? null : toHighlightHtml(description),
      },
    };
  }

  async suggest(prefix: string, limit: number, now: Date): Promise<Suggestion[]> {
    const typed = words(prefix);
    if (typed.length === 0) return [];
    const p = new Params();
    const nowParam = p.add(now.toISOString(), 'timestamptz');
    // every typed word starts a word of the name. With 3+ letters each, a regex the trigram index
    // on the folded name answers; shorter input uses the name lexemes (weight A) as prefixes
    const match = typed.every((w) => w.length >= 3)
      ? typed.map((w) => `d.name_folded ~ ${p.add(`(^|[^[:alnum:]])${w}`)}`).join(' AND ')
      : `d.search_vector @@ to_tsquery('${CONFIG}', ${p.add(typed.map((w, i) => (i === typed.length - 1 ? `${w}:*A` : `${w}:A`)).join(' & '))})`;
    const rows = await this.dataSource.query<{ id: string; slug: string; name: string }[]>(
      `SELECT d.id, d.slug, d.name FROM search_documents d
        WHERE d.visibility = 'public' AND d.status IN ('published', 'deprecated')
          AND (d.sunset_at IS NULL OR d.sunset_at > ${nowParam})
          AND ${match}
        ORDER BY (d.name_folded LIKE ${p.add(`${typed.join(' ')}%`)}) DESC, d.popularity DESC, d.name, d.id
        LIMIT ${p.add(limit, 'int')}`,
      p.values,
    );
    return rows.map((row) => ({ ...row, highlight: toHighlightHtml(markPrefixes(row.name, typed)) }));
  }

  async *listIds(): AsyncGenerator<string[]> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await this.dataSource.query<{ id: string }[]>(
        `SELECT id FROM search_documents WHERE id > $1::uuid ORDER BY id LIMIT 1000`,
        [after],
      );
      if (rows.length === 0) return;
      yield rows.map((row) => row.id);
      after = rows[rows.length - 1].id;
    }
  }

  async health(): Promise<SearchHealth> {
    try {
      const [row] = await this.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM search_documents`,
      );
      return { engine: 'postgres', ok: true, documents: row.n, detail: null };
    } catch (error) {
      return {
        engine: 'postgres',
        ok: false,
        documents: null,
        detail: error instanceof Error ? error.message : String(error),
      };
    }
  }
}
