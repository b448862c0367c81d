import type { ResolvedApiKey } from '@app/identity';
import type { DirectorySubscription } from '../resolution/gateway-directory';
import { authorizeKey, authorizeSubscription } from './authorize';

const key = (over: Partial<ResolvedApiKey> = {}): ResolvedApiKey => ({
  keyId: 'k',
  accountId: 'a',
  applicationId: 'app',
  display: 'mp_live_…ab12',
  kind: 'secret',
  mode: 'live',
  scopes: ['*'],
  ipAllowlist: [],
  allowedOrigins: [],
  expiresAt: null,
  ...over,
});

const call = { slug: 'weather', remoteAddress: '203.0.113.9', origin: undefined };

const sub = (over: Partial<DirectorySubscription> = {}): DirectorySubscription => ({
  subscriptionId: 's',
  consumerAccountId: 'a',
  apiId: 'api',
  status: 'active',
  planId: 'p',
  planName: 'Basic',
  paid: false,
  rateLimits: {},
  quotaLimit: null,
  quotaMode: 'hard',
  includedEndpoints: null,
  endpointWeights: {},
  endpointRateLimits: {},
  periodStart: 0,
  periodEnd: 1_000,
  cancelAtPeriodEnd: false,
  spendCapReached: null,
  ...over,
});

describe('authorizeKey', () => {
  it('accepts every API with *, one API with api:<slug>, and nothing else', () => {
    expect(authorizeKey(key(), call)).toBeNull();
    expect(authorizeKey(key({ scopes: ['api:weather'] }), call)).toBeNull();
    expect(authorizeKey(key({ scopes: ['api:weather-v2'] }), call)?.code).toBe('scope_denied');
  });

  it('checks the socket address against the IP allowlist (CIDR, IPv6, IPv4-mapped)', () => {
    const fenced = key({ ipAllowlist: ['203.0.113.0/24', '2001:db8::/32'] });
    expect(authorizeKey(fenced, call)).toBeNull();
    expect(authorizeKey(fenced, { ...call, remoteAddress: '::ffff:203.0.113.200' })).toBeNull();
    expect(authorizeKey(fenced, { ...call, remoteAddress: '2001:db8::1' })).toBeNull();
    expect(authorizeKey(fenced, { ...call, remoteAddress: '198.51.100.1' })?.code).toBe('ip_not_allowed');
    expect(authorizeKey(fenced, { ...call, remoteAddress: undefined })?.code).toBe('ip_not_allowed');
  });

  it('accepts publishable keys only from their allowed origins', () => {
    const browser = key({ kind: 'publishable', allowedOrigins: ['https://app.example.com'] });
    expect(authorizeKey(browser, { ...call, origin: 'https://app.example.com' })).toBeNull();
    expect(authorizeKey(browser, { ...call, origin: 'https://evil.example' })?.code).toBe(
      'origin_not_allowed',
    );
    expect(authorizeKey(browser, call)?.code).toBe('origin_not_allowed');
  });
});

describe('authorizeSubscription', () => {
  const context = { slug: 'weather', subscribeUrl: 'http://ui/apis/weather' };

  it('answers a past_due subscription during its payment grace, and refuses it with subscription_inactive after', () => {
    const pastDue = sub({ status: 'past_due', paymentGraceEndsAt: 5_000 });
    expect(authorizeSubscription(pastDue, 4_999, context)).toBeNull();
    const refused = authorizeSubscription(pastDue, 5_000, context);
    expect(refused?.code).toBe('subscription_inactive');
    expect(refused?.extensions).toMatchObject({
      subscriptionStatus: 'past_due',
      graceEndedAt: new Date(5_000).toISOString(),
    });
  });

  it('lets active, trialing and past_due subscriptions through', () => {
    for (const status of ['active', 'trialing', 'past_due'] as const)
      expect(authorizeSubscription(sub({ status }), 10, context)).toBeNull();
  });

  it('says why pending and incomplete subscriptions give no access', () => {
    expect(authorizeSubscription(sub({ status: 'pending_approval' }), 10, context)?.detail).toMatch(
      /approval/,
    );
    expect(authorizeSubscription(sub({ status: 'incomplete' }), 10, context)?.detail).toMatch(/payment/);
  });

  it('ends access at the period end of a subscription canceled at period end', () => {
    expect(authorizeSubscription(sub({ cancelAtPeriodEnd: true }), 999, context)).toBeNull();
    expect(authorizeSubscription(sub({ cancelAtPeriodEnd: true }), 1_000, context)?.code).toBe(
      'not_subscribed',
    );
  });
});
