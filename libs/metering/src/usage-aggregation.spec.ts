import { encodeUsageCalls, type UsageEvent } from '@app/common';
import { randomUUID } from 'node:crypto';
import { usageEventFactory } from './testing';
import {
  NO_ID,
  aggregateCalls,
  billedUnits,
  isoInstantMs,
  meteredCall,
  meteredCalls,
  type MeteredCall,
  type RollupDelta,
} from './usage-aggregation';

/** A rollup row's primary key as one string that sorts (code units) as PostgreSQL orders the key. */
const rollupKey = (d: RollupDelta): string =>
  `${d.subscriptionId}|${String(d.minute).padStart(15, '0')}|${d.applicationId}|${d.keyId}|${d.apiId}|${d.endpointId}|${d.planId}|${d.statusClass}`;

const call = (overrides: Partial<UsageEvent> = {}): MeteredCall => {
  const metered = meteredCall(usageEventFactory(overrides));
  if (!metered) throw new Error('expected a valid event');
  return metered;
};

describe('fair metering', () => {
  const live = { mode: 'live' as const, generated: false, billableUnits: 5, overageUnits: 2 };

  it.each([
    ['a live 2xx call', { status: 200 }, { billableUnits: 5, overageUnits: 2 }],
    ['a live 4xx from the upstream', { status: 404 }, { billableUnits: 5, overageUnits: 2 }],
    ['an upstream 500', { status: 500 }, { billableUnits: 0, overageUnits: 0 }],
    ['an upstream 503', { status: 503 }, { billableUnits: 0, overageUnits: 0 }],
    ['a gateway rejection (429)', { status: 429, generated: true }, { billableUnits: 0, overageUnits: 0 }],
    [
      'a gateway-generated 2xx (mock)',
      { status: 200, generated: true },
      { billableUnits: 0, overageUnits: 0 },
    ],
    ['a test call', { status: 200, mode: 'test' as const }, { billableUnits: 0, overageUnits: 0 }],
  ])('bills %s accordingly', (_name, overrides, expected) => {
    expect(billedUnits({ ...live, ...overrides })).toEqual(expected);
  });

  it('never lets the overage exceed the billable units', () => {
    expect(billedUnits({ ...live, status: 200, billableUnits: 1, overageUnits: 7 })).toEqual({
      billableUnits: 1,
      overageUnits: 1,
    });
  });
});

describe('isoInstantMs', () => {
  const asDate = (value: string) => new Date(value).getTime();

  it('reads toISOString() output exactly as Date does', () => {
    // random instants from year 100 to 9999, every millisecond digit exercised
    for (let i = 0; i < 2_000; i++) {
      const iso = new Date(Date.UTC(100, 0, 1) + Math.floor(Math.random() * 3e14)).toISOString();
      expect(isoInstantMs(iso)).toBe(asDate(iso));
    }
  });

  it.each([
    '2031-02-31T00:00:00.000Z', // rolls over into March, as Date does
    '2031-04-31T23:59:59.999Z',
    '2031-01-01T24:00:00.000Z', // hour 24: the next day
    '2031-13-01T00:00:00.000Z',
    '2031-00-10T00:00:00.000Z',
    '2031-01-00T00:00:00.000Z',
    '2031-01-01T00:60:00.000Z',
    '2031-01-01T00:00:60.000Z',
    '0050-01-01T00:00:00.000Z', // a year below 100
    '2031-01-01T00:00:00.00xZ',
    '2031-01-01 00:00:00.000Z',
    '2031-01-01T00:00:00.000+',
    '2031-03-04T05:06:07Z',
    '2031-03-04T05:06:07.123+02:00',
    '2031-03-04',
    'yesterday',
    '',
  ])('agrees with Date on %j', (value) => {
    expect(isoInstantMs(value)).toEqual(asDate(value));
  });
});

describe('meteredCall', () => {
  it('normalises a valid event: lower-case ids, the UTC minute, whole milliseconds', () => {
    const id = randomUUID().toUpperCase();
    const requestId = '0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F5A6';
    const metered = meteredCall(
      usageEventFactory({ keyId: id, requestId, at: '2031-03-04T05:06:59.999Z', latencyMs: 12.6 }),
    );
    expect(metered).toMatchObject({
      keyId: id.toLowerCase(),
      requestId: requestId.toLowerCase(),
      latencyMs: 13,
      minute: Date.UTC(2031, 2, 4, 5, 6),
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['a request id that is no uuid', { requestId: 'req-1' }],
    ['a request id with spaces', { requestId: 'a b' }],
    ['a request id over 64 characters', { requestId: 'x'.repeat(65) }],
    ['an unparsable time', { at: 'yesterday' }],
    ['a key id that is no uuid', { keyId: 'k1' }],
    ['an api id that is no uuid', { apiId: 'nope' }],
    ['a status out of range', { status: 700 }],
    ['negative bytes', { bytesOut: -1 }],
    ['fractional units', { billableUnits: 1.5 }],
    ['an unknown mode', { mode: 'prod' }],
    ['a lower-case method', { method: 'get' }],
  ])('rejects %s', (_name, overrides) => {
    expect(meteredCall({ ...usageEventFactory(), ...overrides })).toBeNull();
  });

  it('rejects what is not an object', () => {
    expect(meteredCall(null)).toBeNull();
    expect(meteredCall('event')).toBeNull();
  });
});

describe('meteredCalls', () => {
  const events = () => {
    const keyId = randomUUID().toUpperCase();
    return [
      usageEventFactory({ keyId, latencyMs: 3.4 }),
      usageEventFactory({ keyId, endpointId: null, status: 503 }),
      usageEventFactory({ mode: 'test', generated: true }),
    ];
  };

  it('checks a columnar payload exactly as meteredCall checks the same events', () => {
    const sent = events();
    expect(meteredCalls({ batchId: 'b', calls: encodeUsageCalls(sent) })).toEqual(sent.map(meteredCall));
    expect(meteredCalls({ batchId: 'b', events: sent })).toEqual(sent.map(meteredCall));
  });

  it('marks every call of a malformed caller, and a call whose indexes point nowhere, as malformed', () => {
    const [first, second] = events();
    const other = usageEventFactory({ keyId: 'not-a-uuid' });
    const calls = encodeUsageCalls([first, second, other]);
    calls.endpoint[1] = 7;
    expect(meteredCalls({ batchId: 'b', calls })).toEqual([meteredCall(first), null, null]);
    for (const index of [-1, 1.5, '0', '__proto__', 99]) {
      const bad = encodeUsageCalls([first]);
      (bad.caller as unknown[])[0] = index;
      expect(meteredCalls({ batchId: 'b', calls: bad })).toEqual([null]);
    }
    const undecodable = encodeUsageCalls([first]);
    undecodable.callers[0][1] = '%E2%80';
    expect(meteredCalls({ batchId: 'b', calls: undecodable })).toEqual([null]);
  });

  it('answers null for a payload without readable calls', () => {
    const calls = encodeUsageCalls(events());
    calls.status.pop();
    expect(meteredCalls({ batchId: 'b', calls })).toBeNull();
    expect(meteredCalls({ batchId: 'b' })).toBeNull();
    expect(meteredCalls(null)).toBeNull();
  });
});

describe('aggregateCalls', () => {
  /** Fresh ids for every column of a rollup row's key but its minute and status class. */
  const rowIds = () => ({
    subscriptionId: randomUUID(),
    applicationId: randomUUID(),
    keyId: randomUUID(),
    apiId: randomUUID(),
    endpointId: randomUUID(),
    planId: randomUUID(),
  });

  it('orders rows by primary key, column by column, as PostgreSQL orders it (so concurrent writers lock alike)', () => {
    // few ids per column, so that rows tie on the first columns and later ones decide
    const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)];
    const ids = () => Array.from({ length: 2 }, () => randomUUID());
    const [subscriptions, applications, keys, apis, endpoints, plans] = Array.from({ length: 6 }, ids);
    const calls = Array.from({ length: 400 }, () =>
      call({
        subscriptionId: pick([...subscriptions, null]),
        applicationId: pick(applications),
        keyId: pick(keys),
        apiId: pick(apis),
        endpointId: pick([...endpoints, null]),
        planId: pick(plans),
        at: pick(['2031-03-04T05:06:07.000Z', '2031-03-04T05:07:00.000Z', '2031-03-04T06:00:00.000Z']),
        status: pick([200, 404, 502]),
      }),
    );
    const keysInOrder = aggregateCalls(calls).map(rollupKey);
    expect(new Set(keysInOrder).size).toBe(keysInOrder.length);
    expect(keysInOrder.length).toBeGreaterThan(100);
    expect([...keysInOrder].sort()).toEqual(keysInOrder);
  });

  it('keeps calls of one key, endpoint, minute and status class apart when their subscription, application, API or plan differ', () => {
    const base = { ...rowIds(), at: '2031-03-04T05:06:07Z', status: 200 };
    const rows = aggregateCalls([
      call(base),
      call(base),
      call({ ...base, subscriptionId: randomUUID() }),
      call({ ...base, applicationId: randomUUID() }),
      call({ ...base, apiId: randomUUID() }),
      call({ ...base, planId: randomUUID() }),
    ]);
    expect(rows.map((row) => row.calls).sort()).toEqual([1, 1, 1, 1, 2]);
    expect(rows.find((row) => row.calls === 2)).toMatchObject({
      subscriptionId: base.subscriptionId,
      applicationId: base.applicationId,
      apiId: base.apiId,
      planId: base.planId,
    });
  });

  it('makes one row per (subscription, minute, app, key, api, endpoint, plan, status class), sorted by key', () => {
    const base = rowIds();
    const minute = '2031-03-04T05:06:';
    const rows = aggregateCalls([
      call({
        ...base,
        at: `${minute}01Z`,
        status: 200,
        latencyMs: 10,
        bytesIn: 5,
        bytesOut: 100,
        billableUnits: 2,
      }),
      call({
        ...base,
        at: `${minute}40Z`,
        status: 201,
        latencyMs: 30,
        bytesIn: 1,
        bytesOut: 50,
        billableUnits: 3,
        overageUnits: 1,
      }),
      call({ ...base, at: `${minute}41Z`, status: 404, latencyMs: 5 }),
      call({ ...base, at: `${minute}42Z`, status: 502, latencyMs: 3_000, billableUnits: 9 }),
      call({ ...base, at: '2031-03-04T05:07:00Z', status: 200 }),
      call({
        ...base,
        subscriptionId: null,
        apiId: null,
        endpointId: null,
        planId: null,
        status: 401,
        generated: true,
      }),
    ]);
    expect(rows).toHaveLength(5);
    const keys = rows.map(rollupKey);
    expect([...keys].sort()).toEqual(keys);
    const ok = rows.find((r) => r.statusClass === 2 && r.minute === Date.UTC(2031, 2, 4, 5, 6))!;
    expect(ok).toMatchObject({
      calls: 2,
      errors: 0,
      bytesIn: 6,
      bytesOut: 150,
      billableUnits: 5,
      overageUnits: 1,
      latencyMsSum: 40,
    });
    expect(ok.latencyHistogram.reduce((a, b) => a + b, 0)).toBe(2);
    expect(rows.find((r) => r.statusClass === 4 && r.subscriptionId === base.subscriptionId)).toMatchObject({
      calls: 1,
      errors: 1,
      billableUnits: 1,
    });
    expect(rows.find((r) => r.statusClass === 5)).toMatchObject({ calls: 1, errors: 1, billableUnits: 0 });
    expect(rows.find((r) => r.subscriptionId === NO_ID)).toMatchObject({
      apiId: NO_ID,
      endpointId: NO_ID,
      planId: NO_ID,
      calls: 1,
      billableUnits: 0,
    });
  });
});
