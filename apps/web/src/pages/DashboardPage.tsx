import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { api, withQuery } from '../api/client';
import type {
  ApiKey,
  Application,
  CreatedApiKey,
  CurrentPeriod,
  Invoice,
  RequestLogPage,
  RotatedApiKey,
  UsageSeriesResult,
} from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { fillBuckets, UsageChart } from '../components/UsageChart';
import { useAction } from '../components/useAction';
import { useApi, type Loaded } from '../components/useApi';
import { formatCount, formatDate, formatMoney, formatPercent } from '../format';
import { gatewayUrl } from '../gateway';

/** A consumer's home: this period's usage and cost, traffic over the last day, keys, invoices. */
export function DashboardPage() {
  const location = useLocation();
  const navigate = useNavigate();
  // sign-up hands the first key over in the history entry's state: keep it for this page only and take
  // it out of the entry, so a reload or the back button does not show the secret again
  const [firstKey] = useState(() => (location.state as { firstKey?: CreatedApiKey } | null)?.firstKey);
  useEffect(() => {
    if (firstKey) void navigate('.', { replace: true, state: null });
  }, [firstKey, navigate]);
  const periods = useApi(() => api.get<CurrentPeriod[]>('/v1/usage/subscriptions'), []);
  return (
    <div className="dashboard">
      <h1>Dashboard</h1>
      {firstKey && <SecretOnce title="Welcome! Here is your first key" secret={firstKey.secret} />}
      <Subscriptions periods={periods} />
      <Traffic />
      <RecentRequests apiNames={new Map(periods.data?.map((p) => [p.apiId, p.apiName ?? 'a removed API']))} />
      <Keys />
      <Invoices />
    </div>
  );
}

function Subscriptions({ periods }: { periods: Loaded<CurrentPeriod[]> }) {
  return (
    <section>
      <h2>This period</h2>
      <ErrorNotice error={periods.error} />
      {periods.data?.length === 0 && (
        <p className="empty">
          No active subscription yet. <Link to="/">Find an API in the marketplace</Link> and pick a plan.
        </p>
      )}
      <div className="periods">
        {periods.data?.map((p) => (
          <div key={p.subscriptionId} className="period" data-testid="period">
            <h3>
              {p.apiSlug ? <Link to={`/apis/${p.apiSlug}`}>{p.apiName}</Link> : 'A removed API'}{' '}
              <span className={`badge badge-${p.status}`}>{p.status.replace('_', ' ')}</span>
            </h3>
            <p className="small">
              Plan {p.planName} · <Link to={`/subscriptions/${p.subscriptionId}`}>manage</Link>
            </p>
            <p className="muted small">
              {formatDate(p.periodStart)} – {formatDate(p.periodEnd)}
            </p>
            {p.quotaLimit ? (
              <>
                <div
                  className="meter"
                  role="meter"
                  aria-valuemin={0}
                  aria-valuemax={p.quotaLimit}
                  aria-valuenow={p.quotaUsed}
                  aria-label="Quota used"
                >
                  <span style={{ width: `${Math.min(100, (p.quotaUsed / p.quotaLimit) * 100)}%` }} />
                </div>
                <p className="small">
                  <span data-testid="quota-used">{formatCount(p.quotaUsed)}</span> of{' '}
                  {formatCount(p.quotaLimit)} calls used, {formatCount(p.quotaRemaining ?? 0)} left
                </p>
              </>
            ) : (
              <p className="small">
                <span data-testid="quota-used">{formatCount(p.quotaUsed)}</span> calls, no quota
              </p>
            )}
            {p.calls !== p.quotaUsed && (
              <p className="small muted">
                {formatCount(p.calls)} calls made. The quota counts billable units: an endpoint may weigh more
                than one, and test-key calls, the API's 5xx answers and calls the gateway refused count
                nothing.
              </p>
            )}
            <dl className="small">
              <dt>So far</dt>
              <dd>{formatMoney(p.costSoFarMinor, p.currency)}</dd>
              {p.overageUnits > 0 && (
                <>
                  <dt>Overage</dt>
                  <dd>
                    {formatCount(p.overageUnits)} calls, {formatMoney(p.overageCostMinor, p.currency)}
                  </dd>
                </>
              )}
              <dt>Projected</dt>
              <dd title={`${formatPercent(p.elapsedFraction)} of the period has passed`}>
                {formatMoney(p.projectedTotalMinor, p.currency)}
              </dd>
            </dl>
          </div>
        ))}
      </div>
    </section>
  );
}

const TRAFFIC_HOURS = 24;

function Traffic() {
  const usage = useApi(() => {
    const to = new Date();
    const from = new Date(to.getTime() - TRAFFIC_HOURS * 3_600_000);
    return api.get<UsageSeriesResult>('/v1/usage', {
      from: from.toISOString(),
      to: to.toISOString(),
      granularity: 'hour',
    });
  }, []);
  const result = usage.data;
  const series = result?.series[0];
  return (
    <section>
      <h2>Calls in the last {TRAFFIC_HOURS} hours</h2>
      <ErrorNotice error={usage.error} />
      {result && (!series || series.totals.calls === 0) && (
        <p className="empty">
          No calls yet. Send one through the gateway:{' '}
          <code>curl -H "X-Portico-Key: $PORTICO_KEY" {gatewayUrl()}/&lt;api-slug&gt;/…</code> — it shows here
          within seconds.
        </p>
      )}
      {result && series && series.totals.calls > 0 && (
        <>
          <p className="small" data-testid="usage-totals">
            {formatCount(series.totals.calls)} calls · {formatPercent(series.totals.errorRate)} errors · p95{' '}
            {series.totals.latencyMs.p95} ms ·{' '}
            <a
              href={withQuery('/v1/usage', {
                granularity: 'hour',
                format: 'csv',
                from: result.from,
                to: result.to,
              })}
            >
              Download CSV
            </a>
          </p>
          <UsageChart
            points={fillBuckets(series.points, result.from, result.to, 'hour')}
            granularity="hour"
          />
        </>
      )}
    </section>
  );
}

/** The last calls (7 days are kept): what a consumer looks at when one call went wrong. */
function RecentRequests({ apiNames }: { apiNames: Map<string, string> }) {
  const requests = useApi(() => api.get<RequestLogPage>('/v1/usage/requests', { limit: 10 }), []);
  const items = requests.data?.items;
  return (
    <section>
      <h2>Recent requests</h2>
      <ErrorNotice error={requests.error} />
      {items?.length === 0 && <p className="empty">No requests in the last 7 days.</p>}
      {items && items.length > 0 && (
        <>
          <table>
            <thead>
              <tr>
                <th>Time</th>
                <th>API</th>
                <th>Call</th>
                <th>Status</th>
                <th className="num">Latency</th>
                <th>Key</th>
                <th>Request id</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.requestId} data-testid="request-row">
                  <td>{new Date(r.at).toLocaleTimeString('en')}</td>
                  <td>{apiNames.get(r.apiId ?? '') ?? '—'}</td>
                  <td>
                    <code>{r.method}</code>
                    {r.mode === 'test' && <span className="badge">test</span>}
                  </td>
                  <td className={r.status >= 400 ? 'danger' : undefined}>
                    {r.status}
                    {r.errorCode && <span className="muted small"> {r.errorCode}</span>}
                  </td>
                  <td className="num">{r.latencyMs} ms</td>
                  <td>
                    <code className="small">{r.keyPrefix}</code>
                  </td>
                  <td>
                    <code className="small">{r.requestId}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small">
            The request id is the <code>X-Portico-Request-Id</code> header of the answer: quote it to the
            provider.{' '}
            <a href={withQuery('/v1/usage/requests', { format: 'csv' })}>Download the last 7 days (CSV)</a>
          </p>
        </>
      )}
    </section>
  );
}

function Keys() {
  const apps = useApi(() => api.get<Application[]>('/v1/apps'), []);
  return (
    <section>
      <h2>Applications and keys</h2>
      <p className="small muted">
        One key calls every API you subscribe to. Secrets are shown once, when a key is created.
      </p>
      <ErrorNotice error={apps.error} />
      {apps.data?.map((app) => (
        <AppKeys key={app.id} app={app} />
      ))}
    </section>
  );
}

function AppKeys({ app }: { app: Application }) {
  const keys = useApi(() => api.get<ApiKey[]>(`/v1/apps/${app.id}/keys`), [app.id]);
  /** A secret to show once: a new key's, or a rotated key's replacement. */
  const [created, setCreated] = useState<{ title: string; secret: string }>();
  const { error, run } = useAction();
  const [mode, setMode] = useState<'test' | 'live'>('live');
  const act = async (action: () => Promise<unknown>) => {
    if (await run(action)) keys.reload();
  };

  return (
    <div className="app">
      <h3>{app.name}</h3>
      {created && (
        <SecretOnce title={created.title} secret={created.secret} onDismiss={() => setCreated(undefined)} />
      )}
      <ErrorNotice error={keys.error ?? error} />
      <table>
        <thead>
          <tr>
            <th>Key</th>
            <th>Label</th>
            <th>Status</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.data?.map((key) => (
            <tr key={key.id} data-testid="key-row">
              <td>
                <code>{key.display}</code>
              </td>
              <td>{key.label}</td>
              <td>{key.status}</td>
              <td>{formatDate(key.lastUsedAt)}</td>
              <td>
                {key.status === 'active' && (
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      if (
                        window.confirm(
                          `Rotate ${key.display}? You get a new key now; the old one keeps working for the rotation grace period, then stops.`,
                        )
                      ) {
                        void act(async () => {
                          const rotated = await api.post<RotatedApiKey>(`/v1/keys/${key.id}/rotate`);
                          setCreated({ title: `Replacement for ${key.display}`, secret: rotated.secret });
                        });
                      }
                    }}
                  >
                    Rotate
                  </button>
                )}{' '}
                {key.status !== 'revoked' && key.status !== 'expired' && (
                  <button
                    type="button"
                    className="link danger"
                    onClick={() => {
                      if (
                        window.confirm(`Revoke ${key.display}? Calls with it stop working within a second.`)
                      ) {
                        void act(() => api.post(`/v1/keys/${key.id}/revoke`));
                      }
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <select
          value={mode}
          onChange={(e) => setMode(e.target.value as 'test' | 'live')}
          aria-label="Key mode"
        >
          <option value="live">live key</option>
          <option value="test">test key (sandbox, never billed)</option>
        </select>{' '}
        <button
          type="button"
          onClick={() =>
            void act(async () =>
              setCreated({
                title: 'New key',
                secret: (await api.post<CreatedApiKey>(`/v1/apps/${app.id}/keys`, { mode })).secret,
              }),
            )
          }
        >
          Create key
        </button>
      </p>
    </div>
  );
}

function SecretOnce({ title, secret, onDismiss }: { title: string; secret: string; onDismiss?: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="notice notice-ok secret" role="status">
      <strong>{title}</strong>
      <p>Copy it now: Portico keeps only a hash and cannot show it again.</p>
      <code data-testid="secret">{secret}</code>{' '}
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(secret).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          I have saved it
        </button>
      )}
    </div>
  );
}

function Invoices() {
  const invoices = useApi(() => api.get<Invoice[]>('/v1/invoices'), []);
  return (
    <section>
      <h2>Invoices</h2>
      <ErrorNotice error={invoices.error} />
      {invoices.data?.length === 0 ? (
        <p className="empty">No invoices yet: each paid subscription is invoiced when its period ends.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Number</th>
              <th>API and plan</th>
              <th>Period</th>
              <th>Status</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {invoices.data?.map((invoice) => (
              <tr key={invoice.id}>
                <td>
                  <a href={`/v1/invoices/${invoice.id}?format=html`}>{invoice.number}</a>
                </td>
                <td>
                  {invoice.apiName} · {invoice.planName}
                </td>
                <td>
                  {formatDate(invoice.periodStart)} – {formatDate(invoice.periodEnd)}
                </td>
                <td>{invoice.kind === 'credit_note' ? 'credit note' : invoice.status}</td>
                <td className="num">{formatMoney(invoice.totalAmountMinor, invoice.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
