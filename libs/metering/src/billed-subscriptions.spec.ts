import { usageEventFactory } from './testing';
import { billedSubscriptionIds } from './billed-subscriptions';
import { meteredCall, NO_ID, type MeteredCall } from './usage-aggregation';

describe('billedSubscriptionIds', () => {
  it('names each subscription with billable live calls once, lower-cased and sorted', () => {
    const a = 'B0000000-0000-4000-8000-000000000001';
    const b = 'a0000000-0000-4000-8000-000000000002';
    const events = [
      usageEventFactory({ subscriptionId: a }),
      usageEventFactory({ subscriptionId: a.toLowerCase() }),
      usageEventFactory({ subscriptionId: b }),
      // not billable after fair metering: test mode, upstream 5xx, gateway-generated, 0 units
      usageEventFactory({ subscriptionId: 'c0000000-0000-4000-8000-000000000003', mode: 'test' }),
      usageEventFactory({ subscriptionId: 'c0000000-0000-4000-8000-000000000004', status: 503 }),
      usageEventFactory({
        subscriptionId: 'c0000000-0000-4000-8000-000000000005',
        generated: true,
        status: 429,
      }),
      usageEventFactory({
        subscriptionId: 'c0000000-0000-4000-8000-000000000006',
        billableUnits: 0,
        overageUnits: 0,
      }),
      // unattributed or malformed
      usageEventFactory({ subscriptionId: null }),
      usageEventFactory({ subscriptionId: NO_ID }),
      { ...usageEventFactory({ subscriptionId: 'c0000000-0000-4000-8000-000000000007' }), at: 'yesterday' },
      'junk',
    ];
    const calls = events.map(meteredCall).filter((call): call is MeteredCall => call !== null);
    expect(billedSubscriptionIds(calls)).toEqual([b, a.toLowerCase()]);
  });
});
