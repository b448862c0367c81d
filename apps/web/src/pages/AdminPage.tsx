import { Link } from 'react-router-dom';
import { api, withQuery } from '../api/client';
import type {
  Drift,
  PendingListing,
  PlatformAnalytics,
  ReportedReviewPage,
  Revenue,
  UsagePoint,
} from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { UsageChart } from '../components/UsageChart';
import { useAction } from '../components/useAction';
import { useApi } from '../components/useApi';
import { formatCount, formatDate, formatMoney } from '../format';
import { useSession } from '../session';

/**
 * The operator's page (admins only; the api checks the role on every route): platform traffic,
 * the platform's revenue, APIs waiting for approval, the review moderation queue, and billing
 * differences with Stripe.
 */
export function AdminPage() {
  const { account } = useSession();
  if (!account?.roles.includes('admin')) {
    return (
      <div className="empty">
        <h1>Admins only</h1>
        <p>
          This page is for the marketplace&apos;s operators. An admin account comes from{' '}
          <code>portico seed-admin</code> or <code>portico grant-admin</code>.
        </p>
      </div>
    );
  }
  return (
    <div className="dashboard">
      <h1>Marketplace operations</h1>
      <Platform />
      <RevenueSection />
      <Approvals />
      <Moderation />
      <Drifts />
    </div>
  );
}

function Platform() {
  const analytics = useApi(() => api.get<PlatformAnalytics>('/v1/admin/analytics'), []);
  const a = analytics.data;
  // the chart draws calls and errors per day; the platform report has no latency
  const points: UsagePoint[] | undefined = a?.days.map((d) => ({
    start: d.day,
    calls: d.calls,
    errors: d.errors,
    errorRate: d.calls ? d.errors / d.calls : 0,
    billableUnits: d.billableUnits,
    overageUnits: 0,
    bytesIn: 0,
    bytesOut: 0,
    latencyMs: { p50: 0, p95: 0, p99: 0 },
  }));
  const calls = a?.days.reduce((n, d) => n + d.calls, 0) ?? 0;
  return (
    <section>
      <h2>Platform, last 30 days</h2>
      <ErrorNotice error={analytics.error} />
      {a && (
        <p className="small" data-testid="platform-totals">
          {formatCount(calls)} calls · at most {Math.max(0, ...a.days.map((d) => d.activeConsumers))} active
          consumers and {Math.max(0, ...a.days.map((d) => d.activeProviders))} active providers a day ·{' '}
          <a href={withQuery('/v1/admin/analytics', { format: 'csv', from: a.from, to: a.to })}>
            Download CSV
          </a>
        </p>
      )}
      {points && calls > 0 && <UsageChart points={points} granularity="day" />}
    </section>
  );
}

function RevenueSection() {
  const revenue = useApi(() => api.get<Revenue>('/v1/admin/revenue'), []);
  const r = revenue.data;
  return (
    <section>
      <h2>Revenue</h2>
      <ErrorNotice error={revenue.error} />
      {r && r.totals.length === 0 && (
        <p className="empty">
          No fee income yet: the platform fee is booked when paid subscriptions are invoiced.
        </p>
      )}
      {r && r.totals.length > 0 && (
        <table data-testid="revenue">
          <thead>
            <tr>
              <th />
              <th>Currency</th>
              <th className="num">Platform fees</th>
              <th className="num">Payment fees</th>
              <th className="num">Net</th>
            </tr>
          </thead>
          <tbody>
            {r.totals.map((t) => (
              <tr key={t.currency}>
                <td>
                  <strong>All</strong>
                </td>
                <td>{t.currency}</td>
                <td className="num">{formatMoney(t.feeMinor, t.currency)}</td>
                <td className="num">{formatMoney(t.paymentFeesMinor, t.currency)}</td>
                <td className="num">{formatMoney(t.netMinor, t.currency)}</td>
              </tr>
            ))}
            {r.byProvider.map((p) => (
              <tr key={p.providerId + p.currency}>
                <td>{p.providerName}</td>
                <td>{p.currency}</td>
                <td className="num">{formatMoney(p.feeMinor, p.currency)}</td>
                <td className="num">{formatMoney(p.paymentFeesMinor, p.currency)}</td>
                <td className="num">{formatMoney(p.netMinor, p.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** POSTs one admin action and reloads its list; the api's problem is shown when it refuses. */
function useAdminAction(reload: () => void) {
  const { error, run } = useAction();
  return { error, run: async (path: string) => (await run(() => api.post(path))) && reload() };
}

function Approvals() {
  const pending = useApi(() => api.get<PendingListing[]>('/v1/admin/apis'), []);
  const action = useAdminAction(pending.reload);
  return (
    <section>
      <h2>APIs waiting for approval</h2>
      <ErrorNotice error={pending.error ?? action.error} />
      {pending.data?.length === 0 && <p className="empty">Nothing to review.</p>}
      <ul className="reviews">
        {pending.data?.map((l) => (
          <li key={l.id} data-testid="pending-api">
            <strong>{l.name}</strong> <span className="muted">by {l.provider.displayName}</span>
            <p>{l.summary}</p>
            <p className="small muted">
              {l.category} · {l.visibility} · forwards to <code>{l.upstreamLiveUrl}</code> · since{' '}
              {formatDate(l.updatedAt)}
            </p>
            <button type="button" onClick={() => void action.run(`/v1/admin/apis/${l.id}/approve`)}>
              Approve
            </button>{' '}
            <button
              type="button"
              className="link danger"
              onClick={() => void action.run(`/v1/admin/apis/${l.id}/reject`)}
            >
              Reject
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Moderation() {
  const queue = useApi(() => api.get<ReportedReviewPage>('/v1/admin/reviews/reported'), []);
  const action = useAdminAction(queue.reload);
  return (
    <section>
      <h2>Reported reviews</h2>
      <ErrorNotice error={queue.error ?? action.error} />
      {queue.data?.items.length === 0 && <p className="empty">No open reports.</p>}
      <ul className="reviews">
        {queue.data?.items.map((review) => (
          <li key={review.id} data-testid="reported-review">
            <strong>{'★'.repeat(review.rating)}</strong> {review.title}{' '}
            <span className="muted small">
              on <Link to={`/apis/${review.api.slug}`}>{review.api.name}</Link> by {review.author.displayName}
            </span>
            <p className="review-body">{review.body}</p>
            <p className="small">
              {review.openReportCount} open report{review.openReportCount === 1 ? '' : 's'}:{' '}
              {review.reports
                .filter((report) => !report.resolvedAt)
                .map(
                  (report) =>
                    report.reason.replace(/_/g, ' ') + (report.details ? ` (“${report.details}”)` : ''),
                )
                .join('; ')}
            </p>
            <button type="button" onClick={() => void action.run(`/v1/admin/reviews/${review.id}/hide`)}>
              Hide
            </button>{' '}
            <button
              type="button"
              className="link"
              onClick={() => void action.run(`/v1/admin/reviews/${review.id}/restore`)}
            >
              Keep it (dismiss the reports)
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Drifts() {
  const drifts = useApi(() => api.get<Drift[]>('/v1/admin/billing/drifts'), []);
  if (!drifts.data?.length && !drifts.error) return null;
  return (
    <section>
      <h2>Differences with Stripe</h2>
      <ErrorNotice error={drifts.error} />
      <table>
        <thead>
          <tr>
            <th>Object</th>
            <th>Field</th>
            <th>Portico</th>
            <th>Stripe</th>
            <th>Found</th>
          </tr>
        </thead>
        <tbody>
          {drifts.data?.map((d) => (
            <tr key={`${d.objectId}-${d.field}`}>
              <td>
                {d.objectType} <code className="small">{d.stripeId}</code>
              </td>
              <td>{d.field}</td>
              <td>{d.localValue}</td>
              <td>{d.stripeValue}</td>
              <td>{formatDate(d.detectedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
