import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import type { Category, FacetCount, SearchHit, SearchPage } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { SortSelect } from '../components/SortSelect';
import { useApi } from '../components/useApi';
import { formatCount, formatPercent } from '../format';

const SORTS = [
  ['relevance', 'Best match'],
  ['popularity', 'Most popular'],
  ['rating', 'Top rated'],
  ['latency', 'Fastest'],
  ['newest', 'Newest'],
] as const;
const PER_PAGE = 12;

/** Browse and search the catalog (GET /v1/search); every filter lives in the address, so results can be shared. */
export function MarketplacePage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const pricing = params.get('pricing') ?? '';
  const sort = params.get('sort') ?? 'relevance';
  const page = Number(params.get('page') ?? '1') || 1;
  const [draft, setDraft] = useState(q);

  const categories = useApi(() => api.get<Category[]>('/v1/categories'), []);
  const categoryNames = new Map(categories.data?.map((c) => [c.slug, c.name]));
  const results = useApi(
    () => api.get<SearchPage>('/v1/search', { q, category, pricing, sort, page, perPage: PER_PAGE }),
    [q, category, pricing, sort, page],
  );

  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    update({ q: draft.trim() });
  };

  const data = results.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.perPage)) : 1;

  return (
    <div className="marketplace">
      <section className="hero">
        <h1>Find an API, call it with one key</h1>
        <form onSubmit={submit} role="search" className="search">
          <input
            type="search"
            name="q"
            aria-label="Search APIs"
            placeholder='Search APIs: weather, "exchange rates", text -translate'
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
          <button type="submit">Search</button>
        </form>
      </section>

      <div className="browse">
        <aside className="facets">
          <Facet
            title="Category"
            name="category"
            selected={category}
            counts={data?.facets.category}
            labels={categoryNames}
            onSelect={update}
          />
          <Facet
            title="Pricing"
            name="pricing"
            selected={pricing}
            counts={data?.facets.pricing}
            onSelect={update}
          />
        </aside>

        <section className="results" aria-busy={results.loading}>
          <div className="results-bar">
            <span className="muted" data-testid="result-count">
              {data
                ? `${data.total} ${data.total === 1 ? 'API' : 'APIs'}${data.fuzzy ? ' (close matches)' : ''}`
                : 'Searching…'}
            </span>
            <SortSelect options={SORTS} value={sort} onChange={(value) => update({ sort: value })} />
          </div>
          <ErrorNotice error={results.error} />
          {data && data.hits.length === 0 && (
            <div className="empty">
              <h2>No API matches {q ? <q>{q}</q> : 'these filters'}</h2>
              <p>
                Try fewer words, another spelling, or{' '}
                <Link to="/" onClick={() => setDraft('')}>
                  clear every filter
                </Link>
                . Providers can list their own API from the api (<a href="/docs">POST /v1/provider/apis</a>).
              </p>
            </div>
          )}
          <ul className="cards">
            {data?.hits.map((hit) => (
              <ApiCard key={hit.id} hit={hit} />
            ))}
          </ul>
          {pages > 1 && (
            <nav className="pager" aria-label="Pages">
              <button type="button" disabled={page <= 1} onClick={() => update({ page: String(page - 1) })}>
                Previous
              </button>
              <span>
                Page {page} of {pages}
              </span>
              <button
                type="button"
                disabled={page >= pages}
                onClick={() => update({ page: String(page + 1) })}
              >
                Next
              </button>
            </nav>
          )}
        </section>
      </div>
    </div>
  );
}

function Facet(props: {
  title: string;
  name: string;
  selected: string;
  counts: FacetCount[] | undefined;
  /** Display names by value (categories); other values show as they are. */
  labels?: Map<string, string>;
  onSelect: (changes: Record<string, string>) => void;
}) {
  const { title, name, selected, counts, labels, onSelect } = props;
  if (!counts?.length && !selected) return null;
  return (
    <fieldset>
      <legend>{title}</legend>
      {selected && (
        <button type="button" className="link" onClick={() => onSelect({ [name]: '' })}>
          All
        </button>
      )}
      <ul>
        {counts?.map((facet) => (
          <li key={facet.value}>
            <button
              type="button"
              className={facet.value === selected ? 'facet selected' : 'facet'}
              aria-pressed={facet.value === selected}
              onClick={() => onSelect({ [name]: facet.value === selected ? '' : facet.value })}
            >
              {labels?.get(facet.value) ?? facet.value} <span className="muted">{facet.count}</span>
            </button>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

function ApiCard({ hit }: { hit: SearchHit }) {
  return (
    <li className="card" data-testid="api-card">
      <Link to={`/apis/${hit.slug}`}>
        <h3>
          {/* highlights come from the api with only <mark> tags, the rest escaped */}
          <span dangerouslySetInnerHTML={{ __html: hit.highlights.name || escapeHtml(hit.name) }} />
        </h3>
        <p className="muted small">by {hit.provider.displayName}</p>
        <p>{hit.summary}</p>
        <p className="stats small">
          <span className={`badge badge-${hit.pricing}`}>{hit.pricing}</span>
          {hit.ratingAvg !== null && hit.ratingCount > 0 && (
            <span title={`${hit.ratingCount} reviews`}>★ {hit.ratingAvg.toFixed(1)}</span>
          )}
          {hit.calls30d > 0 && <span>{formatCount(hit.calls30d)} calls / 30 d</span>}
          {hit.successRate !== null && hit.calls30d > 0 && (
            <span>{formatPercent(hit.successRate)} success</span>
          )}
          {hit.latencyMs !== null && hit.latencyMs > 0 && <span>{hit.latencyMs} ms</span>}
          {hit.status === 'deprecated' && <span className="badge badge-warn">deprecated</span>}
        </p>
      </Link>
    </li>
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
