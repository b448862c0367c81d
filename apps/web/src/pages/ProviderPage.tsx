import { type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, ApiError, withQuery } from '../api/client';
import type {
  Earnings,
  OnboardingLink,
  Payouts,
  Provider,
  ProviderListing,
  ProviderOverview,
  Subscription,
  UsageSeriesResult,
} from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { fillBuckets, UsageChart } from '../components/UsageChart';
import { useAction, useFields } from '../components/useAction';
import { useApi } from '../components/useApi';
import { formatCount, formatDate, formatMoney, formatPercent } from '../format';

const DAYS = 30;

/**
 * A provider's home (also PUBLIC_URL/provider/payouts, where Stripe's onboarding returns): payouts,
 * traffic of the last 30 days, the APIs, subscribers waiting for approval, and earnings. An account
 * that is not a provider yet gets the form that makes it one.
 */
export function ProviderPage() {
  const provider = useApi(async () => {
    try {
      return await api.get<Provider>('/v1/provider');
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }, []);
  if (provider.error) return <ErrorNotice error={provider.error} />;
  if (provider.data === undefined) return <p className="muted">Loading…</p>;
  if (provider.data === null) return <BecomeProvider onCreated={provider.reload} />;
  return (
    <div className="dashboard">
      <h1>{provider.data.displayName}</h1>
      <PayoutSetup />
      <Traffic />
      <Apis />
      <Approvals />
      <EarningsSection />
    </div>
  );
}

function BecomeProvider({ onCreated }: { onCreated: () => void }) {
  const { values, field } = useFields({ displayName: '', slug: '', supportEmail: '', websiteUrl: '' });
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (
      await run(() =>
        api.post<Provider>('/v1/provider', { ...values, websiteUrl: values.websiteUrl || undefined }),
      )
    ) {
      onCreated();
    }
  };
  return (
    <div className="narrow">
      <h1>Sell your API on Portico</h1>
      <p>
        Become a provider to list APIs, price them with plans and get paid: subscribers pay Portico, which
        keeps the platform fee and pays you the rest.
      </p>
      <form className="stack" onSubmit={(event) => void submit(event)}>
        <label>
          Provider name
          <input required {...field('displayName')} />
        </label>
        <label>
          Handle <span className="muted">(lowercase letters, digits and dashes; in your public pages)</span>
          <input required {...field('slug')} />
        </label>
        <label>
          Support email
          <input type="email" required {...field('supportEmail')} />
        </label>
        <label>
          Website <span className="muted">(optional)</span>
          <input type="url" placeholder="https://" {...field('websiteUrl')} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'One moment…' : 'Become a provider'}
        </button>
      </form>
      <ErrorNotice error={error} />
    </div>
  );
}

function PayoutSetup() {
  const payouts = useApi(() => api.get<Payouts>('/v1/provider/payouts'), []);
  const { error, run } = useAction();
  const p = payouts.data;
  const startOnboarding = () =>
    run(async () => {
      const link = await api.post<OnboardingLink>('/v1/provider/payouts/onboarding-link');
      if (link.url) window.location.assign(link.url);
      else payouts.reload();
    });
  return (
    <section>
      <h2>Payouts</h2>
      <ErrorNotice error={payouts.error ?? error} />
      {p && (
        <div className={`notice ${p.status === 'ready' ? 'notice-ok' : 'notice-warn'}`} data-testid="payouts">
          {p.status === 'ready' ? (
            <>
              Payouts are ready{p.mode === 'local' ? ' (local payments: no payment provider to connect)' : ''}
              . Paid plans can be published.
            </>
          ) : (
            <>
              <strong>Payouts are {p.status.replace('_', ' ')}.</strong> Paid plans need them: finish the
              payment provider&apos;s onboarding.{' '}
              {p.requirements.length > 0 && <>Still needed: {p.requirements.join(', ')}. </>}
              <button type="button" onClick={() => void startOnboarding()}>
                {p.accountConnected ? 'Continue onboarding' : 'Set up payouts'}
              </button>
            </>
          )}
        </div>
      )}
    </section>
  );
}

function Traffic() {
  const overview = useApi(() => api.get<ProviderOverview>('/v1/provider/analytics'), []);
  const series = useApi(() => {
    const to = new Date();
    const from = new Date(to.getTime() - DAYS * 86_400_000);
    from.setUTCHours(0, 0, 0, 0);
    return api.get<UsageSeriesResult>('/v1/provider/analytics/usage', {
      from: from.toISOString(),
      to: to.toISOString(),
      granularity: 'day',
    });
  }, []);
  const o = overview.data;
  const s = series.data;
  return (
    <section>
      <h2>Traffic, last {DAYS} days</h2>
      <ErrorNotice error={overview.error ?? series.error} />
      {o && o.totals.calls === 0 && (
        <p className="empty">
          No calls yet. Once your APIs are published and subscribed to, every call through the gateway shows
          here within seconds.
        </p>
      )}
      {o && o.totals.calls > 0 && (
        <>
          <p className="small" data-testid="provider-totals">
            {formatCount(o.totals.calls)} calls · {formatPercent(o.totals.errorRate)} errors · p95{' '}
            {o.totals.latencyMs.p95} ms · {o.subscriptions.created} new and {o.subscriptions.churned} churned
            subscriptions ·{' '}
            <a href={withQuery('/v1/provider/analytics', { format: 'csv', from: o.from, to: o.to })}>
              Download CSV
            </a>
          </p>
          {s?.series[0] && (
            <UsageChart points={fillBuckets(s.series[0].points, s.from, s.to, 'day')} granularity="day" />
          )}
          <div className="columns">
            <table>
              <thead>
                <tr>
                  <th>API</th>
                  <th className="num">Calls</th>
                  <th className="num">Errors</th>
                  <th className="num">p95</th>
                </tr>
              </thead>
              <tbody>
                {o.apis.map((row) => (
                  <tr key={row.id} data-testid="provider-api-row">
                    <td>{row.name}</td>
                    <td className="num">{formatCount(row.calls)}</td>
                    <td className="num">{formatPercent(row.errorRate)}</td>
                    <td className="num">{row.latencyMs.p95} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table>
              <thead>
                <tr>
                  <th>Top consumers</th>
                  <th className="num">Calls</th>
                </tr>
              </thead>
              <tbody>
                {o.topConsumers.map((row) => (
                  <tr key={row.subscriptionId}>
                    <td>
                      {row.displayName} <span className="muted small">@{row.emailDomain}</span>
                    </td>
                    <td className="num">{formatCount(row.calls)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function Apis() {
  const listings = useApi(() => api.get<ProviderListing[]>('/v1/provider/apis'), []);
  return (
    <section>
      <h2>Your APIs</h2>
      <p>
        <Link to="/provider/apis/new" className="button">
          List an API
        </Link>
      </p>
      <ErrorNotice error={listings.error} />
      {listings.data?.length === 0 ? (
        <p className="empty">
          No API listed yet. List one, import its OpenAPI document, add plans and publish it: consumers find
          it in the marketplace and call it through the gateway with their Portico key.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>API</th>
              <th>Status</th>
              <th>Visibility</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {listings.data?.map((listing) => (
              <tr key={listing.id} data-testid="listing-row">
                <td>
                  <Link to={`/provider/apis/${listing.id}`}>{listing.name}</Link>
                  {(listing.status === 'published' || listing.status === 'deprecated') && (
                    <>
                      {' '}
                      <Link to={`/apis/${listing.slug}`} className="small">
                        (public page)
                      </Link>
                    </>
                  )}
                </td>
                <td>
                  <span className={`badge badge-${listing.status}`}>{listing.status.replace('_', ' ')}</span>
                </td>
                <td>{listing.visibility}</td>
                <td>{formatDate(listing.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Approvals() {
  const pending = useApi(
    () => api.get<Subscription[]>('/v1/provider/subscriptions', { status: 'pending_approval' }),
    [],
  );
  const { error, run } = useAction();
  if (!pending.data?.length && !pending.error) return null;
  const decide = (id: string, decision: 'approve' | 'reject') =>
    run(async () => {
      await api.post(`/v1/provider/subscriptions/${id}/${decision}`);
      pending.reload();
    });
  return (
    <section>
      <h2>Waiting for your approval</h2>
      <ErrorNotice error={pending.error ?? error} />
      <table>
        <tbody>
          {pending.data?.map((s) => (
            <tr key={s.id}>
              <td>Requested {formatDate(s.createdAt)}</td>
              <td>
                <button type="button" onClick={() => void decide(s.id, 'approve')}>
                  Approve
                </button>{' '}
                <button type="button" className="link danger" onClick={() => void decide(s.id, 'reject')}>
                  Reject
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function EarningsSection() {
  const earnings = useApi(() => api.get<Earnings>('/v1/provider/earnings'), []);
  const e = earnings.data;
  return (
    <section>
      <h2>Earnings</h2>
      <ErrorNotice error={earnings.error} />
      {e && e.totals.length === 0 && (
        <p className="empty">Nothing earned yet: paid subscriptions are invoiced when their period ends.</p>
      )}
      {e && e.totals.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Currency</th>
              <th className="num">Billed</th>
              <th className="num">Platform fee</th>
              <th className="num">Yours</th>
              <th className="num">Paid out</th>
              <th className="num">Pending</th>
            </tr>
          </thead>
          <tbody>
            {e.totals.map((t) => (
              <tr key={t.currency}>
                <td>{t.currency}</td>
                <td className="num">{formatMoney(t.grossMinor, t.currency)}</td>
                <td className="num">{formatMoney(t.feeMinor, t.currency)}</td>
                <td className="num">{formatMoney(t.netMinor, t.currency)}</td>
                <td className="num">{formatMoney(t.paidOutMinor, t.currency)}</td>
                <td className="num">{formatMoney(t.pendingMinor, t.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {e && e.payouts.length > 0 && (
        <p className="small">
          {e.payouts.length} payout{e.payouts.length === 1 ? '' : 's'}, the last on{' '}
          {formatDate(e.payouts[0].paidAt)} ({formatMoney(e.payouts[0].amountMinor, e.payouts[0].currency)}).
        </p>
      )}
    </section>
  );
}
