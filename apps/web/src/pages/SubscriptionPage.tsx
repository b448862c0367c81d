import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import type { CurrentPeriod, Subscription } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { UsageControls } from '../components/UsageControls';
import { useAction } from '../components/useAction';
import { useApi } from '../components/useApi';
import { formatDate } from '../format';

const RUNNING = new Set(['active', 'trialing', 'past_due']);

/**
 * One subscription: where Stripe Checkout sends the browser back (`?checkout=success|canceled`,
 * PUBLIC_URL/subscriptions/:id), and where a consumer resumes a checkout or cancels.
 */
export function SubscriptionPage() {
  const { id = '' } = useParams();
  const [params] = useSearchParams();
  const checkout = params.get('checkout');
  const subscription = useApi(
    () => api.get<Subscription>(`/v1/subscriptions/${encodeURIComponent(id)}`),
    [id],
  );
  const { busy, error, run } = useAction();
  const act = async (action: () => Promise<void>) => {
    if (await run(action)) subscription.reload();
  };

  // the API and plan names come with a running subscription's period (the subscription names ids only)
  const periods = useApi(() => api.get<CurrentPeriod[]>('/v1/usage/subscriptions'), []);
  const period = periods.data?.find((p) => p.subscriptionId === id);

  const s = subscription.data;
  return (
    <div className="narrow wide">
      <h1>{period ? `${period.apiName ?? 'A removed API'}: ${period.planName}` : 'Subscription'}</h1>
      {checkout === 'success' && s?.status === 'incomplete' && (
        <p className="notice notice-ok" role="status">
          Payment received by Stripe: the subscription turns active as soon as Stripe confirms it (usually
          within seconds; reload this page).
        </p>
      )}
      {checkout === 'canceled' && s?.status === 'incomplete' && (
        <p className="notice notice-warn" role="status">
          Checkout was canceled, nothing was charged. Resume it below when you are ready.
        </p>
      )}
      <ErrorNotice error={subscription.error ?? error} />
      {s && (
        <>
          <dl data-testid="subscription">
            <dt>Status</dt>
            <dd>
              <span className={`badge badge-${s.status}`}>{s.status.replace('_', ' ')}</span>
              {s.cancelAtPeriodEnd && ' · ends with this period'}
            </dd>
            <dt>Period</dt>
            <dd>
              {formatDate(s.currentPeriodStart)} – {formatDate(s.currentPeriodEnd)}
            </dd>
            {s.trialEndsAt && (
              <>
                <dt>Trial ends</dt>
                <dd>{formatDate(s.trialEndsAt)}</dd>
              </>
            )}
            {s.paymentGraceEndsAt && (
              <>
                <dt>Pay by</dt>
                <dd>{formatDate(s.paymentGraceEndsAt)} (then calls stop)</dd>
              </>
            )}
          </dl>
          <p>
            {s.status === 'incomplete' && (
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  void act(async () => {
                    const { checkoutUrl } = await api.post<{ checkoutUrl: string }>(
                      `/v1/subscriptions/${s.id}/checkout`,
                    );
                    window.location.assign(checkoutUrl);
                  })
                }
              >
                Resume checkout
              </button>
            )}{' '}
            {(RUNNING.has(s.status) && !s.cancelAtPeriodEnd) ||
            s.status === 'pending_approval' ||
            s.status === 'incomplete' ? (
              <button
                type="button"
                className="link danger"
                disabled={busy}
                onClick={() => {
                  const atPeriodEnd = RUNNING.has(s.status);
                  const question = atPeriodEnd
                    ? `Cancel at the end of this period (${formatDate(s.currentPeriodEnd)})? Calls keep working until then.`
                    : 'Cancel now?';
                  if (window.confirm(question)) {
                    void act(async () => {
                      await api.post(`/v1/subscriptions/${s.id}/cancel`, { atPeriodEnd });
                    });
                  }
                }}
              >
                Cancel subscription
              </button>
            ) : null}
          </p>
          {RUNNING.has(s.status) && <UsageControls subscriptionId={s.id} />}
          <p className="small">
            <Link to="/dashboard">Back to the dashboard</Link>
          </p>
        </>
      )}
    </div>
  );
}
