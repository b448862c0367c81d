import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A FAKE of the subset of the Meilisearch HTTP API that libs/search's Meilisearch adapter uses,
 * for tests only (no Meilisearch binary exists on this machine). The real `meilisearch` client is
 * pointed at it, so the adapter's requests, the client's encoding, task polling and error classes
 * are exercised offline.
 *
 *   GET    /health                               {status: "available"}
 *   POST   /indexes                              create (task; fails with index_already_exists)
 *   GET    /indexes/:uid                         the index, or 404 index_not_found
 *   PATCH  /indexes/:uid/settings                store settings (task)
 *   GET    /indexes/:uid/settings
 *   POST   /indexes/:uid/documents               add or replace documents by primary key (task)
 *   POST   /indexes/:uid/documents/delete-batch  delete by ids (task)
 *   GET    /indexes/:uid/documents               ?fields&limit&offset
 *   GET    /indexes/:uid/stats                   {numberOfDocuments}
 *   POST   /indexes/:uid/search, /multi-search   q, filter, facets, sort, page/hitsPerPage or
 *                                                limit/offset, highlight/crop, attributesToSearchOn,
 *                                                attributesToRetrieve
 *   GET    /tasks/:uid                           enqueued → succeeded|failed a few ms later
 *
 * Like Meilisearch: writes are asynchronous tasks; a filter, sort or facet on an attribute not
 * declared filterable/sortable is a 400 (invalid_search_filter / invalid_search_sort /
 * invalid_search_facets), so the adapter must have applied its settings; a wrong API key is a 403.
 * Matching: every query word must match a word of a searchable attribute exactly, as a prefix (last
 * word) or within the typo budget (1 typo from 4 letters, 2 from 8); accents and case fold.
 * NOT like Meilisearch: ranking is crude (typos, then best attribute, then the sort), so contract
 * assertions about ranking quality do not run against this fake.
 */

type Doc = Record<string, unknown>;

interface Task {
  taskUid: number;
  uid: number;
  indexUid: string | null;
  status: 'enqueued' | 'processing' | 'succeeded' | 'failed';
  type: string;
  error: { message: string; code: string; type: string; link: string } | null;
  enqueuedAt: string;
  finishedAt: string | null;
}

interface FakeIndex {
  uid: string;
  primaryKey: string | null;
  docs: Map<string, Doc>;
  settings: {
    searchableAttributes: string[];
    filterableAttributes: string[];
    sortableAttributes: string[];
    rankingRules: string[];
    typoTolerance: { enabled: boolean; minWordSizeForTypos: { oneTypo: number; twoTypos: number } };
    [key: string]: unknown;
  };
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const fold = (text: string): string => text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
const tokens = (text: string): string[] => fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

function levenshtein(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function asText(value: unknown): string {
  if (Array.isArray(value)) return value.map(asText).join(' ');
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : `${value as string | number | boolean}`;
}

export class FakeMeilisearch {
  readonly indexes = new Map<string, FakeIndex>();
  readonly tasks = new Map<number, Task>();
  /** Every request (method and path) for assertions. */
  readonly requests: { method: string; path: string }[] = [];
  private nextTask = 0;
  private server: Server | null = null;
  url = '';

  constructor(readonly apiKey: string | null = 'fake-meili-master-key-0123456789') {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    try {
      if (this.apiKey !== null && req.headers.authorization !== `Bearer ${this.apiKey}`) {
        throw new ApiError(req.headers.authorization ? 403 : 401, req.headers.authorization ? 'invalid_api_key' : 'missing_authorization_header', 'The provided API key is invalid.');
      }
      const body: unknown = raw.length > 0 ? JSON.parse(raw) : undefined;
      const [status, payload] = this.route(method, url, body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(500, 'internal', error instanceof Error ? error.message : String(error));
      res.writeHead(e.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: e.message, code: e.code, type: 'invalid_request', link: `https://docs.meilisearch.com/errors#${e.code}` }));
    }
  }

  private route(method: string, url: URL, body: unknown): [number, unknown] {
    const parts = url.pathname.split('/').filter(Boolean);
    if (method === 'GET' && url.pathname === '/health') return [200, { status: 'available' }];
    if (method === 'GET' && parts[0] === 'tasks' && parts.length === 2) {
      const task = this.tasks.get(Number(parts[1]));
      if (!task) throw new ApiError(404, 'task_not_found', `Task \`${parts[1]}\` not found.`);
      return [200, task];
    }
    if (method === 'POST' && url.pathname === '/indexes') {
      const { uid, primaryKey } = body as { uid: string; primaryKey?: string };
      return [202, this.task(uid, 'indexCreation', () => {
        if (this.indexes.has(uid)) throw new ApiError(400, 'index_already_exists', `Index \`${uid}\` already exists.`);
        this.indexes.set(uid, {
          uid,
          primaryKey: primaryKey ?? null,
          docs: new Map(),
          settings: {
            searchableAttributes: ['*'],
            filterableAttributes: [],
            sortableAttributes: [],
            rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'],
            typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 } },
          },
        });
      })];
    }
    if (method === 'POST' && url.pathname === '/multi-search') {
      const { queries } = body as { queries: (Record<string, unknown> & { indexUid: string })[] };
      return [200, { results: queries.map((q) => ({ indexUid: q.indexUid, ...this.search(this.index(q.indexUid), q) })) }];
    }
    if (parts[0] !== 'indexes' || parts.length < 2) throw new ApiError(404, 'not_found', `${method} ${url.pathname} is not part of the fake.`);
    const uid = parts[1];
    const rest = parts.slice(2).join('/');
    if (method === 'GET' && rest === '') {
      const index = this.index(uid);
      return [200, { uid, primaryKey: index.primaryKey }];
    }
    if (method === 'DELETE' && rest === '') return [202, this.task(uid, 'indexDeletion', () => void this.indexes.delete(this.index(uid).uid))];
    if (rest === 'settings' && method === 'GET') return [200, this.index(uid).settings];
    if (rest === 'settings' && method === 'PATCH') {
      return [202, this.task(uid, 'settingsUpdate', () => {
        const index = this.index(uid);
        const patch = body as Record<string, unknown>;
        for (const [key, value] of Object.entries(patch)) {
          index.settings[key] = key === 'typoTolerance' ? { ...index.settings.typoTolerance, ...(value as object) } : value;
        }
      })];
    }
    if (rest === 'documents' && method === 'POST') {
      const primaryKey = url.searchParams.get('primaryKey');
      return [202, this.task(uid, 'documentAdditionOrUpdate', () => {
        const index = this.index(uid);
        index.primaryKey ??= primaryKey ?? 'id';
        for (const doc of body as Doc[]) {
          const id = doc[index.primaryKey];
          if (typeof id !== 'string' && typeof id !== 'number') throw new ApiError(400, 'missing_document_id', 'Document has no primary key.');
          index.docs.set(String(id), doc);
        }
      })];
    }
    if (rest === 'documents/delete-batch' && method === 'POST') {
      return [202, this.task(uid, 'documentDeletion', () => {
        const index = this.index(uid);
        for (const id of body as (string | number)[]) index.docs.delete(String(id));
      })];
    }
    if (rest === 'documents' && method === 'GET') {
      const index = this.index(uid);
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const fields = url.searchParams.get('fields')?.split(',');
      const all = [...index.docs.values()];
      return [200, { results: all.slice(offset, offset + limit).map((d) => this.pick(d, fields)), offset, limit, total: all.length }];
    }
    if (rest === 'stats' && method === 'GET') {
      return [200, { numberOfDocuments: this.index(uid).docs.size, isIndexing: false, fieldDistribution: {} }];
    }
    if (rest === 'search' && method === 'POST') return [200, { indexUid: uid, ...this.search(this.index(uid), body as Record<string, unknown>) }];
    throw new ApiError(404, 'not_found', `${method} ${url.pathname} is not part of the fake.`);
  }

  private index(uid: string): FakeIndex {
    const index = this.indexes.get(uid);
    if (!index) throw new ApiError(404, 'index_not_found', `Index \`${uid}\` not found.`);
    return index;
  }

  /** Enqueues a task that runs a few ms later (so clients must poll it). */
  private task(indexUid: string | null, type: string, work: () => void): Omit<Task, 'uid' | 'error' | 'finishedAt'> {
    const uid = this.nextTask++;
    const task: Task = { taskUid: uid, uid, indexUid, status: 'enqueued', type, error: null, enqueuedAt: new Date().toISOString(), finishedAt: null };
    this.tasks.set(uid, task);
    setTimeout(() => {
      try {
        work();
        task.status = 'succeeded';
      } catch (error) {
        const e = error instanceof ApiError ? error : new ApiError(500, 'internal', String(error));
        task.status = 'failed';
        task.error = { message: e.message, code: e.code, type: 'invalid_request', link: '' };
      }
      task.finishedAt = new Date().toISOString();
    }, 5);
    return { taskUid: uid, indexUid, status: 'enqueued', type, enqueuedAt: task.enqueuedAt };
  }

  private pick(doc: Doc, fields?: string[]): Doc {
    if (!fields || fields.includes('*')) return doc;
    return Object.fromEntries(fields.filter((f) => f in doc).map((f) => [f, doc[f]]));
  }

  // ---- search -----------------------------------------------------------------------------------

  private search(index: FakeIndex, params: Record<string, unknown>): Record<string, unknown> {
    const q = typeof params.q === 'string' ? params.q : '';
    const queryWords = tokens(q);
    const searchable =
      (params.attributesToSearchOn as string[] | undefined) ??
      (index.settings.searchableAttributes.includes('*') ? null : index.settings.searchableAttributes);
    const filter = this.compileFilter(index, params.filter);
    const scored: { doc: Doc; typos: number; attribute: number }[] = [];
    for (const doc of index.docs.values()) {
      if (!filter(doc)) continue;
      const score = this.match(index, doc, queryWords, searchable ?? Object.keys(doc));
      if (score) scored.push({ doc, ...score });
    }
    const sort = (params.sort as string[] | undefined) ?? [];
    for (const rule of sort) {
      const attribute = rule.split(':')[0];
      if (!index.settings.sortableAttributes.includes(attribute)) {
        throw new ApiError(400, 'invalid_search_sort', `Attribute \`${attribute}\` is not sortable.`);
      }
    }
    scored.sort((a, b) => {
      if (queryWords.length > 0 && a.typos !== b.typos) return a.typos - b.typos;
      if (queryWords.length > 0 && a.attribute !== b.attribute) return a.attribute - b.attribute;
      for (const rule of sort) {
        const [attribute, direction] = rule.split(':');
        const x = a.doc[attribute] as number | string | undefined;
        const y = b.doc[attribute] as number | string | undefined;
        if (x === y) continue;
        if (x === undefined || x === null) return 1;
        if (y === undefined || y === null) return -1;
        return (x < y ? -1 : 1) * (direction === 'desc' ? -1 : 1);
      }
      return String(a.doc.id) < String(b.doc.id) ? -1 : 1;
    });

    const facetDistribution: Record<string, Record<string, number>> = {};
    for (const facet of (params.facets as string[] | undefined) ?? []) {
      if (!index.settings.filterableAttributes.includes(facet)) {
        throw new ApiError(400, 'invalid_search_facets', `Attribute \`${facet}\` is not filterable.`);
      }
      const counts: Record<string, number> = {};
      for (const { doc } of scored) {
        const value = doc[facet];
        for (const v of Array.isArray(value) ? value : [value]) {
          if (v === undefined || v === null) continue;
          counts[String(v)] = (counts[String(v)] ?? 0) + 1;
        }
      }
      facetDistribution[facet] = counts;
    }

    const retrieve = params.attributesToRetrieve as string[] | undefined;
    const shape = (doc: Doc): Doc => {
      const out = this.pick(doc, retrieve);
      const highlight = (params.attributesToHighlight as string[] | undefined) ?? [];
      const crop = (params.attributesToCrop as string[] | undefined) ?? [];
      if (highlight.length > 0 || crop.length > 0) {
        const pre = (params.highlightPreTag as string | undefined) ?? '<em>';
        const post = (params.highlightPostTag as string | undefined) ?? '</em>';
        const formatted: Record<string, string> = {};
        for (const attribute of new Set([...highlight, ...crop])) {
          let text = asText(doc[attribute]);
          if (crop.includes(attribute)) text = this.crop(text, queryWords, Number(params.cropLength ?? 10));
          formatted[attribute] = this.highlight(index, text, queryWords, pre, post);
        }
        out._formatted = formatted;
      }
      return out;
    };

    if (params.page !== undefined || params.hitsPerPage !== undefined) {
      const page = Number(params.page ?? 1);
      const hitsPerPage = Number(params.hitsPerPage ?? 20);
      const hits = scored.slice((page - 1) * hitsPerPage, (page - 1) * hitsPerPage + hitsPerPage).map((s) => shape(s.doc));
      return {
        hits,
        query: q,
        processingTimeMs: 0,
        page,
        hitsPerPage,
        totalHits: scored.length,
        totalPages: hitsPerPage === 0 ? 0 : Math.ceil(scored.length / hitsPerPage),
        facetDistribution,
      };
    }
    const limit = Number(params.limit ?? 20);
    const offset = Number(params.offset ?? 0);
    return {
      hits: scored.slice(offset, offset + limit).map((s) => shape(s.doc)),
      query: q,
      processingTimeMs: 0,
      limit,
      offset,
      estimatedTotalHits: scored.length,
      facetDistribution,
    };
  }

  /** Typos a document word needs to match a query word (Infinity: no match). */
  private distance(index: FakeIndex, queryWord: string, word: string, prefix: boolean): number {
    if (word === queryWord || (prefix && word.startsWith(queryWord))) return 0;
    const typo = index.settings.typoTolerance;
    if (!typo.enabled) return Infinity;
    const budget =
      queryWord.length >= typo.minWordSizeForTypos.twoTypos ? 2 : queryWord.length >= typo.minWordSizeForTypos.oneTypo ? 1 : 0;
    if (budget === 0) return Infinity;
    const d = levenshtein(queryWord, prefix ? word.slice(0, queryWord.length + budget) : word, budget);
    const full = prefix ? Math.min(d, levenshtein(queryWord, word, budget)) : d;
    return full <= budget ? full : Infinity;
  }

  private match(index: FakeIndex, doc: Doc, queryWords: string[], attributes: string[]): { typos: number; attribute: number } | null {
    if (queryWords.length === 0) return { typos: 0, attribute: 0 };
    const attributeWords = attributes.map((a) => tokens(asText(doc[a])));
    let typos = 0;
    let attribute = Infinity;
    for (let i = 0; i < queryWords.length; i++) {
      const prefix = i === queryWords.length - 1;
      let best = Infinity;
      let bestAttribute = Infinity;
      attributeWords.forEach((words, a) => {
        for (const word of words) {
          const d = this.distance(index, queryWords[i], word, prefix);
          if (d < best || (d === best && a < bestAttribute)) {
            best = d;
            bestAttribute = a;
          }
        }
      });
      if (best === Infinity) return null;
      typos += best;
      attribute = Math.min(attribute, bestAttribute);
    }
    return { typos, attribute };
  }

  private highlight(index: FakeIndex, text: string, queryWords: string[], pre: string, post: string): string {
    if (queryWords.length === 0) return text;
    return text.replace(/[\p{L}\p{N}\p{M}]+/gu, (word) => {
      const folded = fold(word);
      const hit = queryWords.some((q, i) => this.distance(index, q, folded, i === queryWords.length - 1) !== Infinity);
      return hit ? `${pre}${word}${post}` : word;
    });
  }

  private crop(text: string, queryWords: string[], length: number): string {
    const words = text.split(/\s+/).filter(Boolean);
    const at = Math.max(0, words.findIndex((w) => queryWords.some((q) => fold(w).includes(q))));
    const start = Math.max(0, at - Math.floor(length / 2));
    const slice = words.slice(start, start + length).join(' ');
    return `${start > 0 ? '…' : ''}${slice}${start + length < words.length ? '…' : ''}`;
  }

  // ---- filters ------------------------------------------------------------------------------------

  /** Array form (outer AND) of string expressions joined by OR; the operators the adapter uses. */
  private compileFilter(index: FakeIndex, filter: unknown): (doc: Doc) => boolean {
    if (filter === undefined || filter === null) return () => true;
    const clauses = (Array.isArray(filter) ? filter : [filter]).map((clause) =>
      Array.isArray(clause) ? clause.map(String) : String(clause).split(/\s+OR\s+/),
    );
    const tests = clauses.map((alternatives) => alternatives.map((expression) => this.expression(index, expression.trim())));
    return (doc) => tests.every((alternatives) => alternatives.some((test) => test(doc)));
  }

  private expression(index: FakeIndex, expression: string): (doc: Doc) => boolean {
    const attribute = /^([A-Za-z0-9_]+)/.exec(expression)?.[1];
    if (!attribute) throw new ApiError(400, 'invalid_search_filter', `Cannot parse filter \`${expression}\`.`);
    if (!index.settings.filterableAttributes.includes(attribute)) {
      throw new ApiError(400, 'invalid_search_filter', `Attribute \`${attribute}\` is not filterable.`);
    }
    const rest = expression.slice(attribute.length).trim();
    const values = (doc: Doc): unknown[] => {
      const v = doc[attribute];
      return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
    };
    const literal = (text: string): string => {
      const t = text.trim();
      return t.startsWith('"') ? (JSON.parse(t) as string) : t;
    };
    if (rest === 'NOT EXISTS') return (doc) => doc[attribute] === undefined;
    if (rest === 'EXISTS') return (doc) => doc[attribute] !== undefined;
    const inList = /^IN\s*\[(.*)\]$/.exec(rest);
    if (inList) {
      const wanted = new Set(inList[1].split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map(literal));
      return (doc) => values(doc).some((v) => wanted.has(String(v)));
    }
    const comparison = /^(>=|<=|!=|=|>|<)\s*(.+)$/.exec(rest);
    if (!comparison) throw new ApiError(400, 'invalid_search_filter', `Cannot parse filter \`${expression}\`.`);
    const [, op, operand] = comparison;
    const target = literal(operand);
    const numeric = Number(target);
    return (doc) =>
      values(doc).some((v) => {
        if (op === '=') return String(v) === target;
        if (op === '!=') return String(v) !== target;
        if (typeof v !== 'number' || Number.isNaN(numeric)) return false;
        return op === '>=' ? v >= numeric : op === '<=' ? v <= numeric : op === '>' ? v > numeric : v < numeric;
      });
  }
}
