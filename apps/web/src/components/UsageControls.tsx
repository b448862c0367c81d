import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { SpendCap, UsageAlerts } from '../api/types';
import { currencyDigits, formatMoney, shiftDecimal } from '../format';
import { ErrorNotice } from './ErrorNotice';
import { useAction } from './useAction';
import { useApi } from './useApi';

/** "50, 80, 100" → [50, 80, 100]; null when a part is not a whole number. */
function wholeNumbers(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  return parts.every((part) => /^\d+$/.test(part)) ? parts.map(Number) : null;
}

/** "5, 12.50" in the currency's major units → minor units; null when a part is not an amount. */
function minorAmounts(text: string, currency: string): number[] | null {
  const minors = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((part) => shiftDecimal(part, currencyDigits(currency)));
  return minors.every((m) => m !== null && !m.includes('.')) ? minors.map(Number) : null;
}

/** Minor units as the amount a person types back: 150 → "1.50". */
const major = (minor: number, currency: string) => {
  const digits = currencyDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
};

/**
 * A running subscription's usage alerts (notifications at quota percentages or overage amounts, each
 * once a period) and its overage spend cap (past it, live calls answer 429 spend_cap_reached).
 */
export function UsageControls({ subscriptionId }: { subscriptionId: string }) {
  const alerts = useApi(
    () => api.get<UsageAlerts>(`/v1/subscriptions/${subscriptionId}/alerts`),
    [subscriptionId],
  );
  const cap = useApi(
    () => api.get<SpendCap>(`/v1/subscriptions/${subscriptionId}/spend-cap`),
    [subscriptionId],
  );
  const a = alerts.data;
  const c = cap.data;
  const [percents, setPercents] = useState('');
  const [amounts, setAmounts] = useState('');
  const [capText, setCapText] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const action = useAction();

  useEffect(() => {
    if (!a) return;
    setPercents(a.quotaPercents.join(', '));
    setAmounts(a.overageAmountsMinor.map((m) => major(m, a.currency)).join(', '));
  }, [a]);
  useEffect(() => {
    if (c) setCapText(c.amountMinor === null ? '' : major(c.amountMinor, c.currency));
  }, [c]);

  if (alerts.error || cap.error) return <ErrorNotice error={alerts.error ?? cap.error} />;
  if (!a || !c) return null;

  const saveAlerts = async (event: FormEvent) => {
    event.preventDefault();
    setInvalid(undefined);
    setSaved(undefined);
    const quotaPercents = wholeNumbers(percents);
    const overageAmountsMinor = minorAmounts(amounts, a.currency);
    if (!quotaPercents || !overageAmountsMinor) {
      setInvalid('Alerts: whole percentages and amounts, separated by commas (e.g. 50, 80, 100).');
      return;
    }
    const body = { quotaPercents, overageAmountsMinor };
    if (await action.run(() => api.put(`/v1/subscriptions/${subscriptionId}/alerts`, body))) {
      setSaved('Alerts saved.');
      alerts.reload();
    }
  };
  const saveCap = async (amountText: string) => {
    setInvalid(undefined);
    setSaved(undefined);
    let amountMinor: number | null = null;
    if (amountText.trim() !== '') {
      const parsed = minorAmounts(amountText, c.currency);
      if (parsed?.length !== 1) {
        setInvalid(`Spend cap: one amount in ${c.currency} (e.g. 20.00), or empty for no cap.`);
        return;
      }
      amountMinor = parsed[0];
    }
    const body = { amountMinor };
    if (await action.run(() => api.put(`/v1/subscriptions/${subscriptionId}/spend-cap`, body))) {
      setSaved(body.amountMinor === null ? 'Spend cap removed.' : 'Spend cap saved.');
      cap.reload();
    }
  };

  return (
    <section data-testid="usage-controls">
      <h2>Alerts and spend cap</h2>
      <form className="stack" onSubmit={(event) => void saveAlerts(event)}>
        <label>
          Notify me at these percentages of the quota
          <input
            value={percents}
            onChange={(event) => setPercents(event.target.value)}
            placeholder="50, 80, 100"
          />
        </label>
        <label>
          …and when this period&apos;s overage reaches ({a.currency})
          <input value={amounts} onChange={(event) => setAmounts(event.target.value)} placeholder="5, 20" />
        </label>
        <button type="submit" disabled={action.busy}>
          Save alerts
        </button>
      </form>
      {a.firedThisPeriod.length > 0 && (
        <p className="small muted">Fired this period: {a.firedThisPeriod.join(', ')}.</p>
      )}
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          void saveCap(capText);
        }}
      >
        <label>
          Pay at most this much overage a period ({c.currency}; empty: no cap)
          <input value={capText} onChange={(event) => setCapText(event.target.value)} placeholder="20.00" />
        </label>
        <p className="small" data-testid="spend-cap">
          {c.amountMinor === null
            ? 'No cap: overage is billed as it comes.'
            : `Cap ${formatMoney(c.amountMinor, c.currency)}; overage so far ${formatMoney(c.overageCostMinor, c.currency)}.`}
          {c.reached && (
            <strong> Reached: live calls answer 429 until the period ends or the cap is raised.</strong>
          )}
        </p>
        <button type="submit" disabled={action.busy}>
          Save cap
        </button>
      </form>
      {saved && (
        <p className="notice notice-ok" role="status">
          {saved}
        </p>
      )}
      {invalid && (
        <p className="notice notice-error" role="alert">
          {invalid}
        </p>
      )}
      <ErrorNotice error={action.error} />
    </section>
  );
}
