import { buildLimitHeaders, tightestWindow } from './limit-headers';
import type { WindowState } from './limiter.types';

const w = (over: Partial<WindowState>): WindowState => ({
  scope: 'plan',
  window: 'minute',
  limit: 60,
  windowSeconds: 60,
  remaining: 10,
  resetSeconds: 30,
  ...over,
});

describe('limit headers', () => {
  it('writes the IETF draft pair as Structured Field lists, one item per window', () => {
    const headers = buildLimitHeaders(
      [
        w({ window: 'second', limit: 5, windowSeconds: 1, remaining: 4, resetSeconds: 1 }),
        w({
          scope: 'endpoint',
          window: 'hour',
          limit: 100,
          windowSeconds: 3600,
          remaining: 3,
          resetSeconds: 1200,
        }),
      ],
      null,
    );
    expect(headers['RateLimit-Policy']).toBe('"second";q=5;w=1, "endpoint-hour";q=100;w=3600');
    expect(headers['RateLimit']).toBe('"second";r=4;t=1, "endpoint-hour";r=3;t=1200');
  });

  it('uses the window with the fewest calls left for X-RateLimit-*, the later reset on a tie', () => {
    expect(tightestWindow([w({ remaining: 5 }), w({ window: 'hour', remaining: 2 })])?.window).toBe('hour');
    expect(
      tightestWindow([
        w({ remaining: 2, resetSeconds: 1 }),
        w({ window: 'hour', remaining: 2, resetSeconds: 900 }),
      ])?.window,
    ).toBe('hour');
    const headers = buildLimitHeaders(
      [w({ remaining: 5 }), w({ window: 'hour', limit: 1000, remaining: 2, resetSeconds: 900 })],
      null,
      12,
    );
    expect(headers).toMatchObject({
      'X-RateLimit-Limit': '1000',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': '900',
      'Retry-After': '12',
    });
  });

  it('adds the quota as a policy and as X-Quota-*', () => {
    const headers = buildLimitHeaders([], {
      limit: 500,
      mode: 'hard',
      periodKey: 'p',
      used: 20,
      remaining: 480,
      resetSeconds: 3600,
      periodSeconds: 86400,
    });
    expect(headers).toEqual({
      'RateLimit-Policy': '"quota";q=500;w=86400',
      RateLimit: '"quota";r=480;t=3600',
      'X-Quota-Limit': '500',
      'X-Quota-Remaining': '480',
      'X-Quota-Reset': '3600',
    });
  });

  it('sends nothing when nothing is limited', () => {
    expect(buildLimitHeaders([], null)).toEqual({});
  });
});
