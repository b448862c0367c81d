import { usageEventFactory } from '../testing';
import { encodeUsageCalls, usageBatchEvents } from './usage-batch';

describe('usage batch columns', () => {
  const k1 = {
    keyId: 'k1',
    applicationId: 'app1',
    consumerAccountId: 'c1',
    apiId: 'api1',
    subscriptionId: 's1',
    planId: 'p1',
  };
  const events = [
    usageEventFactory({ ...k1, endpointId: 'e1', keyPrefix: 'mp_live_…ab12', latencyMs: 12.5 }),
    usageEventFactory({
      ...k1,
      endpointId: 'e2',
      keyPrefix: 'mp_live_…ab12',
      status: 404,
      generated: true,
      errorCode: 'route_not_found',
    }),
    usageEventFactory({
      ...k1,
      keyId: 'k2',
      endpointId: 'e1',
      keyPrefix: 'mp_test_…cd34',
      mode: 'test',
      billableUnits: 0,
    }),
    usageEventFactory({
      ...k1,
      apiId: null,
      subscriptionId: null,
      planId: null,
      endpointId: null,
      keyPrefix: 'mp_live_…ab12',
      status: 404,
    }),
    usageEventFactory({ ...k1, endpointId: 'e1', keyPrefix: 'mp_live_…ab12', overageUnits: 1 }),
  ];

  it('round-trips every field of every call, in order, storing each caller and endpoint once', () => {
    const calls = encodeUsageCalls(events);
    expect(calls.callers).toHaveLength(3); // k1 on api1, k2 on api1, k1 unresolved
    expect(calls.endpoints).toEqual(['e1', 'e2', null]);
    const sent = JSON.parse(JSON.stringify({ batchId: 'b', calls })) as unknown;
    expect(usageBatchEvents(sent)).toEqual(events);
  });

  it('keeps the payload ASCII: key prefixes travel percent-encoded', () => {
    const calls = encodeUsageCalls(events);
    expect(calls.keyPrefixes).toBe('uri');
    expect(calls.callers.map((caller) => caller[1])).toEqual([
      'mp_live_%E2%80%A6ab12',
      'mp_test_%E2%80%A6cd34',
      'mp_live_%E2%80%A6ab12',
    ]);
    expect(JSON.stringify({ batchId: 'b', calls })).toMatch(/^[\x20-\x7e]*$/);
  });

  it('reads the columns of earlier gateways, whose key prefixes are not encoded', () => {
    const calls = encodeUsageCalls(events);
    delete calls.keyPrefixes;
    for (const caller of calls.callers) caller[1] = decodeURIComponent(caller[1]);
    expect(usageBatchEvents({ batchId: 'b', calls })).toEqual(events);
  });

  it('decodes a key prefix that is no valid escape as null', () => {
    const calls = encodeUsageCalls(events.slice(0, 1));
    calls.callers[0][1] = 'mp_live_%E2%80';
    expect(usageBatchEvents({ batchId: 'b', calls })).toEqual([{ ...events[0], keyPrefix: null }]);
  });

  it('reads the events array older gateways send', () => {
    expect(usageBatchEvents({ batchId: 'b', events })).toBe(events);
  });

  it('turns a call pointing at no caller or endpoint into null, and an unreadable payload into null', () => {
    const calls = encodeUsageCalls(events.slice(0, 3));
    calls.caller[1] = 7;
    calls.endpoint[2] = -1;
    const decoded = usageBatchEvents({ batchId: 'b', calls })!;
    expect(decoded[0]).toEqual(events[0]);
    expect(decoded[1]).toBeNull();
    expect(decoded[2]).toBeNull();

    const short = encodeUsageCalls(events);
    short.status.pop();
    expect(usageBatchEvents({ batchId: 'b', calls: short })).toBeNull();
    expect(usageBatchEvents({ batchId: 'b' })).toBeNull();
    expect(usageBatchEvents({ batchId: 'b', calls: 'nope' })).toBeNull();
    expect(usageBatchEvents(null)).toBeNull();
  });
});
