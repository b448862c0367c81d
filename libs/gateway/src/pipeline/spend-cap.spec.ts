import type { DirectorySubscription } from '../resolution/gateway-directory';
import { spendCapRejection } from './spend-cap';

const sub = (over: Partial<DirectorySubscription> = {}): DirectorySubscription => ({
  subscriptionId: 's1',
  consumerAccountId: 'a',
  apiId: 'api',
  status: 'active',
  planId: 'p',
  planName: 'Pro',
  paid: true,
  rateLimits: {},
  quotaLimit: 10,
  quotaMode: 'soft',
  includedEndpoints: null,
  endpointWeights: {},
  endpointRateLimits: {},
  periodStart: 0,
  periodEnd: 3_600_000,
  cancelAtPeriodEnd: false,
  spendCapReached: { amountMinor: 1205, currency: 'USD', currencyMinorUnits: 2 },
  ...over,
});

describe('spendCapRejection', () => {
  it('refuses live calls of a capped subscription until the period end, with Retry-After', () => {
    const error = spendCapRejection(sub(), 'live', 3_599_000 - 500, 'https://portico.test/subscriptions/s1');
    expect(error?.code).toBe('spend_cap_reached');
    expect(error?.status).toBe(429);
    expect(error?.headers['Retry-After']).toBe('2');
    expect(error?.extensions).toMatchObject({
      capAmountMinor: 1205,
      currency: 'USD',
      periodEnd: new Date(3_600_000).toISOString(),
      retryAfter: 2,
      manageUrl: 'https://portico.test/subscriptions/s1',
    });
    expect(error?.detail).toContain('USD 12.05');
    expect(error?.detail).toContain('PUT /v1/subscriptions/s1/spend-cap');
    expect(error?.detail).toContain(new Date(3_600_000).toISOString());
  });

  it('lets test calls, uncapped subscriptions and a new period through', () => {
    expect(spendCapRejection(sub(), 'test', 0, 'u')).toBeNull();
    expect(spendCapRejection(sub({ spendCapReached: null }), 'live', 0, 'u')).toBeNull();
    expect(spendCapRejection(sub(), 'live', 3_600_000, 'u')).toBeNull();
  });

  it('formats currencies without minor units', () => {
    const error = spendCapRejection(
      sub({ spendCapReached: { amountMinor: 500, currency: 'JPY', currencyMinorUnits: 0 } }),
      'live',
      0,
      'u',
    );
    expect(error?.detail).toContain('JPY 500 ');
    expect(error?.headers['Retry-After']).toBe('3600');
  });
});
