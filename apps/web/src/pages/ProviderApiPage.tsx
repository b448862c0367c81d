import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client';
import type { ApiVersion, Category, ImportedApiVersion, ProviderListing, ProviderPlan } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAction, useFields } from '../components/useAction';
import { useApi } from '../components/useApi';
import { listingChanges, listingFormValues } from '../listing-form';
import {
  currencyDigits,
  formatCount,
  formatDate,
  formatMoney,
  shiftDecimal,
  supportedCurrencies,
} from '../format';

/** List a new API: a draft with a free plan and a proxy secret (POST /v1/provider/apis). */
export function NewApiPage() {
  const navigate = useNavigate();
  const categories = useApi(() => api.get<Category[]>('/v1/categories'), []);
  const { values, field } = useFields({
    name: '',
    slug: '',
    summary: '',
    category: '',
    upstreamLiveUrl: '',
    visibility: 'public',
  });
  const { busy, error, run } = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const created = await api.post<ProviderListing>('/v1/provider/apis', values);
      await navigate(`/provider/apis/${created.id}`);
    });
  };
  return (
    <div className="narrow wide">
      <h1>List an API</h1>
      <p className="muted">
        It starts as a draft with a free plan. Import its OpenAPI document and add paid plans next, then
        publish it.
      </p>
      <form className="stack" onSubmit={submit}>
        <ListingFields field={field} categories={categories.data} slug />
        <button type="submit" disabled={busy}>
          {busy ? 'One moment…' : 'Create draft'}
        </button>
      </form>
      <ErrorNotice error={error} />
    </div>
  );
}

/** One of the provider's APIs: its state and publication, its OpenAPI versions, its plans. */
export function ProviderApiPage() {
  const { id = '' } = useParams();
  const listing = useApi(() => api.get<ProviderListing>(`/v1/provider/apis/${encodeURIComponent(id)}`), [id]);
  const { error, run } = useAction();
  if (listing.error) return <ErrorNotice error={listing.error} />;
  const l = listing.data;
  if (!l) return <p className="muted">Loading…</p>;
  const publish = () =>
    run(async () => {
      await api.post(`/v1/provider/apis/${l.id}/publish`);
      listing.reload();
    });
  return (
    <div className="dashboard">
      <p className="small">
        <Link to="/provider">← Your APIs</Link>
      </p>
      <h1>
        {l.name} <span className={`badge badge-${l.status}`}>{l.status.replace('_', ' ')}</span>
      </h1>
      <p className="muted">
        {l.summary} · {l.visibility} · forwards to <code>{l.upstreamLiveUrl}</code>
      </p>
      {l.status === 'published' && (
        <p>
          <Link to={`/apis/${l.slug}`}>Its page in the marketplace</Link>
        </p>
      )}
      {l.status === 'pending_approval' && (
        <p className="notice notice-warn">Waiting for the marketplace&apos;s review before it is listed.</p>
      )}
      {l.allowedActions.includes('publish') && (
        <p>
          <button type="button" onClick={() => void publish()}>
            Publish
          </button>{' '}
          <span className="small muted">
            Its public plans become subscribable; an OpenAPI document is optional.
          </span>
        </p>
      )}
      <ErrorNotice error={error} />
      <ListingDetails listing={l} onSaved={listing.reload} />
      <Versions apiId={l.id} onPublished={listing.reload} />
      <Plans apiId={l.id} />
      <p className="small muted">
        Rotate its proxy secret, change its credential or timeout, deprecate or retire it through the{' '}
        <a href="/docs">API reference</a> (<code>/v1/provider/apis/{l.id}</code>).
      </p>
    </div>
  );
}

type ListingField = 'name' | 'slug' | 'summary' | 'category' | 'upstreamLiveUrl' | 'visibility';

/** The fields a listing is created with, in the new-API form and the edit form (`slug`: while it can change). */
function ListingFields({
  field,
  categories,
  slug,
}: {
  field: (name: ListingField) => { value: string; onChange: (event: { target: { value: string } }) => void };
  categories: Category[] | undefined;
  slug: boolean;
}) {
  const category = field('category');
  return (
    <>
      <label>
        Name
        <input required {...field('name')} />
      </label>
      {slug && (
        <label>
          Slug{' '}
          <span className="muted">(consumers call the gateway at /slug/…; permanent once published)</span>
          <input required {...field('slug')} />
        </label>
      )}
      <label>
        Summary <span className="muted">(one line in search results)</span>
        <input required {...field('summary')} />
      </label>
      <label>
        Category
        <select required {...category}>
          {category.value === '' && <option value="">Choose one</option>}
          {categories?.map((c) => (
            <option key={c.slug} value={c.slug}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Upstream URL{' '}
        <span className="muted">(where the gateway forwards calls; https, publicly reachable)</span>
        <input type="url" required placeholder="https://api.example.com/v1" {...field('upstreamLiveUrl')} />
      </label>
      <label>
        Visibility
        <select {...field('visibility')}>
          <option value="public">public: in the marketplace for everyone</option>
          <option value="private">private: only consumers you invite</option>
        </select>
      </label>
    </>
  );
}

/** The listing's own fields, edited in place (PATCH /v1/provider/apis/{id}: only what changed is sent). */
function ListingDetails({ listing, onSaved }: { listing: ProviderListing; onSaved: () => void }) {
  const categories = useApi(() => api.get<Category[]>('/v1/categories'), []);
  const saved = listingFormValues(listing);
  const { values, setValues, field } = useFields(saved);
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const edit = () => {
    setValues(listingFormValues(listing)); // as saved now, whatever was typed before a cancel
    setDone(false);
    setOpen(true);
  };
  const changes = listingChanges(saved, values);
  const changed = Object.keys(changes).length > 0;
  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api.patch<ProviderListing>(`/v1/provider/apis/${listing.id}`, changes);
      setOpen(false);
      setDone(true);
      onSaved();
    });
  };
  if (!open)
    return (
      <section>
        <h2>Listing</h2>
        {done && (
          <p className="notice notice-ok" role="status">
            Listing saved.
          </p>
        )}
        {listing.description ? (
          <p className="small muted">
            Its marketplace page shows a description of {listing.description.length.toLocaleString('en-US')}{' '}
            characters and {listing.tags.length === 0 ? 'no tags' : `the tags ${listing.tags.join(', ')}`}.
          </p>
        ) : (
          <p className="empty">
            No description yet: consumers read it on the API&apos;s page before they subscribe.
          </p>
        )}
        <button type="button" onClick={edit}>
          Edit listing
        </button>
      </section>
    );
  return (
    <section>
      <h2>Listing</h2>
      <form className="stack listing-form" onSubmit={save}>
        <ListingFields field={field} categories={categories.data} slug={listing.publishedAt === null} />
        <label>
          Description <span className="muted">(Markdown, shown on the API&apos;s page)</span>
          <textarea rows={8} {...field('description')} />
        </label>
        <label>
          Tags <span className="muted">(comma-separated, for search)</span>
          <input {...field('tags')} />
        </label>
        <label>
          Website
          <input type="url" placeholder="https://example.com" {...field('websiteUrl')} />
        </label>
        <p>
          <button type="submit" disabled={busy || !changed}>
            {busy ? 'Saving…' : 'Save listing'}
          </button>{' '}
          <button type="button" className="link" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </p>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}

function Versions({ apiId, onPublished }: { apiId: string; onPublished: () => void }) {
  const versions = useApi(() => api.get<ApiVersion[]>(`/v1/apis/${apiId}/versions`), [apiId]);
  const [document, setDocument] = useState('');
  const [imported, setImported] = useState<ImportedApiVersion>();
  const { busy, error, run } = useAction();
  const act = async (action: () => Promise<void>) => {
    if (await run(action)) versions.reload();
  };
  const importDocument = (event: FormEvent) => {
    event.preventDefault();
    const text = document.trim();
    // JSON starts with "{"; anything else is sent as YAML (the api parses both and says what is wrong)
    const contentType = text.startsWith('{') ? 'application/json' : 'application/yaml';
    void act(async () => {
      setImported(await api.postText<ImportedApiVersion>(`/v1/apis/${apiId}/versions`, text, contentType));
      setDocument('');
    });
  };
  const readFile = (file: File | undefined) => {
    if (file) void file.text().then(setDocument);
  };

  return (
    <section>
      <h2>OpenAPI document</h2>
      {versions.data?.length === 0 && (
        <p className="empty">
          No document yet: import one so consumers see the endpoints and the gateway knows them.
        </p>
      )}
      {versions.data && versions.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Version</th>
              <th>Endpoints</th>
              <th>Status</th>
              <th>Imported</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {versions.data.map((v) => (
              <tr key={v.id} data-testid="version-row">
                <td>
                  {v.label} <span className="muted small">#{v.number}</span>
                </td>
                <td>{v.endpointCount}</td>
                <td>{v.status}</td>
                <td>{formatDate(v.createdAt)}</td>
                <td>
                  {v.status === 'draft' && (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() =>
                        void act(async () => {
                          await api.post(`/v1/apis/${apiId}/versions/${v.id}/publish`);
                          onPublished();
                        })
                      }
                    >
                      Make current
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {imported && (
        <div className="notice notice-ok" role="status">
          Imported {imported.label} with {imported.endpointCount} endpoints as a draft: make it current to
          publish its endpoints.
          {imported.warnings.length > 0 && (
            <ul className="small">
              {imported.warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <form className="stack" onSubmit={importDocument}>
        <label>
          Import a document (OpenAPI 3.0 or 3.1, Swagger 2.0; JSON or YAML)
          <input
            type="file"
            accept=".json,.yaml,.yml"
            onChange={(event) => readFile(event.target.files?.[0])}
          />
        </label>
        <textarea
          aria-label="OpenAPI document"
          rows={6}
          placeholder="…or paste it here"
          value={document}
          onChange={(event) => setDocument(event.target.value)}
        />
        <button type="submit" disabled={busy || !document.trim()}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}

function Plans({ apiId }: { apiId: string }) {
  const plans = useApi(() => api.get<ProviderPlan[]>(`/v1/provider/apis/${apiId}/plans`), [apiId]);
  const { error, run } = useAction();
  const archive = async (plan: ProviderPlan) => {
    const question = `Close ${plan.name} to new subscribers? Its current subscribers keep it.`;
    if (!window.confirm(question)) return;
    if (await run(() => api.post(`/v1/provider/apis/${apiId}/plans/${plan.id}/archive`))) plans.reload();
  };
  return (
    <section>
      <h2>Plans</h2>
      <ErrorNotice error={plans.error ?? error} />
      <table>
        <thead>
          <tr>
            <th>Plan</th>
            <th>Price</th>
            <th>Quota</th>
            <th>Rate limit</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {plans.data?.map((p) => (
            <tr key={p.id} data-testid="plan-row">
              <td>{p.name}</td>
              <td>
                {p.priceAmountMinor === '0'
                  ? 'Free'
                  : `${formatMoney(p.priceAmountMinor, p.currency)} / ${p.quotaPeriod}`}
              </td>
              <td>
                {p.quotaLimit === null ? 'unlimited' : `${formatCount(p.quotaLimit)} (${p.quotaMode})`}
                {p.quotaMode === 'soft' && p.overageUnitPriceMinor && (
                  <>, then {formatMoney(p.overageUnitPriceMinor, p.currency, { perUnit: true })} per call</>
                )}
              </td>
              <td>{p.rateLimit.perSecond ? `${p.rateLimit.perSecond}/s` : '—'}</td>
              <td>{p.status}</td>
              <td>
                {p.status === 'active' && (
                  <button type="button" className="link danger" onClick={() => void archive(p)}>
                    Archive
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <NewPlanForm apiId={apiId} onCreated={plans.reload} />
    </section>
  );
}

/**
 * A plan as a provider thinks of it (a monthly price, calls a month, a price per 1,000 extra calls),
 * turned into the api's minor units with exact decimal shifts.
 */
function NewPlanForm({ apiId, onCreated }: { apiId: string; onCreated: () => void }) {
  const {
    values: form,
    setValues: setForm,
    field,
  } = useFields({
    name: '',
    currency: 'USD',
    price: '',
    quotaLimit: '',
    quotaMode: 'hard',
    overagePer1000: '',
    perSecond: '',
  });
  const { error, run } = useAction();
  const [invalid, setInvalid] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setInvalid(undefined);
    const digits = currencyDigits(form.currency);
    const priceMinor = shiftDecimal(form.price || '0', digits);
    if (priceMinor === null || priceMinor.includes('.')) {
      setInvalid(`Price: a number with at most ${digits} decimals (e.g. 19.99).`);
      return;
    }
    const soft = form.quotaMode === 'soft';
    const overage = soft ? shiftDecimal(form.overagePer1000 || '0', digits - 3) : null;
    if (soft && overage === null) {
      setInvalid('Overage: a price per 1,000 calls (e.g. 0.50).');
      return;
    }
    const created = await run(() =>
      api.post(`/v1/provider/apis/${apiId}/plans`, {
        name: form.name,
        currency: form.currency,
        priceAmountMinor: priceMinor,
        quotaPeriod: 'month',
        ...(form.quotaLimit ? { quotaLimit: Number(form.quotaLimit) } : {}),
        quotaMode: form.quotaMode,
        ...(soft ? { overageUnitPriceMinor: overage } : {}),
        ...(form.perSecond ? { rateLimit: { perSecond: Number(form.perSecond) } } : {}),
      }),
    );
    if (created) {
      setForm({ ...form, name: '', price: '', quotaLimit: '', overagePer1000: '', perSecond: '' });
      onCreated();
    }
  };
  return (
    <form className="stack plan-form" onSubmit={(event) => void submit(event)}>
      <strong>Add a plan</strong>
      <div className="row">
        <label>
          Name
          <input required {...field('name')} />
        </label>
        <label>
          Currency
          <select {...field('currency')}>
            {supportedCurrencies().map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Price a month
          <input inputMode="decimal" placeholder="0" {...field('price')} />
        </label>
      </div>
      <div className="row">
        <label>
          Calls a month <span className="muted">(empty: unlimited)</span>
          <input inputMode="numeric" {...field('quotaLimit')} />
        </label>
        <label>
          Past the quota
          <select {...field('quotaMode')}>
            <option value="hard">block (429)</option>
            <option value="soft">charge overage</option>
          </select>
        </label>
        {form.quotaMode === 'soft' && (
          <label>
            Overage per 1,000 calls
            <input inputMode="decimal" placeholder="0.50" {...field('overagePer1000')} />
          </label>
        )}
        <label>
          Requests per second <span className="muted">(empty: none)</span>
          <input inputMode="numeric" {...field('perSecond')} />
        </label>
      </div>
      <button type="submit">Add plan</button>
      {invalid && (
        <p className="notice notice-error" role="alert">
          {invalid}
        </p>
      )}
      <ErrorNotice error={error} />
    </form>
  );
}
