import { useState } from 'react';
import Markdown from 'react-markdown';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client';
import type { Listing, Plan, SubscribeResult, Subscription } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAction } from '../components/useAction';
import { Reviews } from '../components/Reviews';
import { useApi } from '../components/useApi';
import { formatCount, formatDate, formatMoney } from '../format';
import { gatewayUrl } from '../gateway';
import { useSession } from '../session';

/** Subscriptions that hold (or are about to hold) a plan of the API: a second subscribe would answer 409. */
const HOLDING_STATUSES = new Set(['active', 'trialing', 'past_due', 'pending_approval', 'incomplete']);

/** One listing: what it does, its plans (subscribe or switch here), how to call it, its endpoints and reviews. */
export function ApiDetailPage() {
  const { slug = '' } = useParams();
  const { account } = useSession();
  const listing = useApi(() => api.get<Listing>(`/v1/apis/${encodeURIComponent(slug)}`), [slug]);
  const subscriptions = useApi(
    () => (account ? api.get<Subscription[]>('/v1/subscriptions') : Promise.resolve([] as Subscription[])),
    [account],
  );

  if (listing.error) {
    return (
      <>
        <ErrorNotice error={listing.error} />
        <p>
          <Link to="/">Back to the marketplace</Link>
        </p>
      </>
    );
  }
  const data = listing.data;
  if (!data) return <p className="muted">Loading…</p>;
  const current = subscriptions.data?.find((s) => s.apiId === data.id && HOLDING_STATUSES.has(s.status));
  // the snippet calls a GET without path parameters when there is one: it can be pasted as it is
  const gets = data.endpoints.filter((e) => e.method === 'GET');
  const example = gets.find((e) => !e.path.includes('{')) ?? gets[0] ?? data.endpoints[0];

  return (
    <article className="listing">
      <header>
        <h1>{data.name}</h1>
        <p className="muted">
          by {data.provider.displayName} · {data.category.name}
          {data.rating.average !== null &&
            data.rating.count > 0 &&
            ` · ★ ${data.rating.average.toFixed(1)} (${data.rating.count})`}
        </p>
        <p className="lead">{data.summary}</p>
        {data.status === 'deprecated' && (
          <div className="notice notice-warn">
            Deprecated{data.sunsetAt ? `, retired on ${formatDate(data.sunsetAt)}` : ''}.{' '}
            {data.deprecationMessage}
          </div>
        )}
      </header>

      {/* providers write descriptions in Markdown; raw HTML in them is shown as text, never rendered */}
      {data.description && (
        <div className="description">
          <Markdown>{data.description}</Markdown>
        </div>
      )}

      <section>
        <h2>Plans</h2>
        {current && (
          <div className="notice notice-ok" data-testid="current-subscription">
            You are subscribed ({current.status.replace('_', ' ')}, plan{' '}
            {data.plans.find((p) => p.id === current.planId)?.name ?? 'no longer listed'}).{' '}
            <Link to={`/subscriptions/${current.id}`}>Manage it</Link> ·{' '}
            <Link to="/dashboard">See your usage and keys</Link>
          </div>
        )}
        {data.plans.length === 0 ? (
          <p className="empty">This API has no public plan yet.</p>
        ) : (
          <div className="plans">
            {data.plans.map((plan) => (
              <PlanCard key={plan.id} plan={plan} current={current} onChanged={subscriptions.reload} />
            ))}
          </div>
        )}
      </section>

      <section>
        <h2>Call it</h2>
        <p>
          Every subscribed API answers at the gateway with your one key (create keys in your{' '}
          <Link to="/dashboard">dashboard</Link>):
        </p>
        <pre className="snippet">
          {`curl -H "X-Portico-Key: $PORTICO_KEY" \\\n  ${gatewayUrl()}/${data.slug}${example?.path ?? '/'}`}
        </pre>
      </section>

      <section>
        <h2>Endpoints</h2>
        {data.endpoints.length === 0 ? (
          <p className="empty">The provider has not published an OpenAPI document for this API yet.</p>
        ) : (
          <table>
            <tbody>
              {data.endpoints.map((endpoint) => (
                <tr
                  key={endpoint.method + endpoint.path}
                  className={endpoint.deprecated ? 'deprecated' : undefined}
                >
                  <td>
                    <span className={`method method-${endpoint.method.toLowerCase()}`}>
                      {endpoint.method}
                    </span>
                  </td>
                  <td>
                    <code>{endpoint.path}</code>
                  </td>
                  <td>{endpoint.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p className="small">
          <a href={`/v1/apis/${data.slug}/openapi`}>OpenAPI document</a>
        </p>
      </section>

      <Reviews slug={data.slug} subscribed={subscriptions.data?.some((s) => s.apiId === data.id) ?? false} />
    </article>
  );
}

/**
 * A plan and its action: subscribe, or, for a subscriber of another plan of this API, switch to it
 * (POST …/change-plan: the new limits apply at once, billing prorates).
 */
function PlanCard({
  plan,
  current,
  onChanged,
}: {
  plan: Plan;
  current: Subscription | undefined;
  onChanged: () => void;
}) {
  const { account } = useSession();
  const navigate = useNavigate();
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<string>();
  const free = plan.priceAmountMinor === '0';
  const mine = current?.planId === plan.id;

  const act = async () => {
    if (!account) {
      void navigate(`/login?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    const succeeded = await run(async () => {
      if (current) {
        await api.post<Subscription>(`/v1/subscriptions/${current.id}/change-plan`, { planId: plan.id });
        setDone(`Switched to ${plan.name}: its limits apply now.`);
      } else {
        const created = await api.post<SubscribeResult>('/v1/subscriptions', { planId: plan.id });
        if (created.checkoutUrl) {
          window.location.assign(created.checkoutUrl);
          return;
        }
        setDone(
          created.status === 'pending_approval'
            ? `Requested: the provider approves subscribers to this plan. ${created.nextStep ?? ''}`
            : `Subscribed (${created.status}). ${created.nextStep ?? ''}`,
        );
      }
    });
    if (succeeded) onChanged();
  };

  return (
    <div className="plan" data-testid="plan">
      <h3>{plan.name}</h3>
      <p className="price">
        {free ? 'Free' : formatMoney(plan.priceAmountMinor, plan.currency)}
        {!free && <span className="muted"> / {plan.quotaPeriod}</span>}
      </p>
      <ul className="small">
        <li>
          {plan.quotaLimit
            ? `${formatCount(plan.quotaLimit)} calls a ${plan.quotaPeriod}`
            : 'Unlimited calls'}
          {plan.quotaLimit && plan.quotaMode === 'hard' ? ', then blocked' : ''}
        </li>
        {plan.quotaMode === 'soft' &&
          plan.overageUnitPriceMinor &&
          Number(plan.overageUnitPriceMinor) > 0 && (
            <li>then {formatMoney(plan.overageUnitPriceMinor, plan.currency, { perUnit: true })} per call</li>
          )}
        {plan.rateLimit.perSecond && <li>{plan.rateLimit.perSecond} requests per second</li>}
        {plan.rateLimit.perMinute && <li>{plan.rateLimit.perMinute} requests per minute</li>}
        {plan.trialDays > 0 && <li>{plan.trialDays}-day free trial</li>}
        {plan.approvalRequired && <li>The provider approves each subscriber</li>}
      </ul>
      {plan.description && <p className="small">{plan.description}</p>}
      {done && (
        <p className="notice notice-ok" role="status">
          {done.trim()}
        </p>
      )}
      <button type="button" disabled={busy || mine} onClick={() => void act()}>
        {mine ? 'Your plan' : busy ? 'One moment…' : current ? 'Switch to this plan' : 'Subscribe'}
      </button>
      <ErrorNotice error={error} />
    </div>
  );
}
