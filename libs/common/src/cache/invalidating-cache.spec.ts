import { InvalidatingCache } from './invalidating-cache';

interface Row {
  v: number;
  until?: number;
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('InvalidatingCache', () => {
  let loads: string[];
  let value: number;
  const make = (): InvalidatingCache<Row> =>
    new InvalidatingCache<Row>(
      async (key) => {
        loads.push(key);
        return key.startsWith('missing') ? null : { v: value };
      },
      { max: 10, ttlMs: 60_000, expiresAt: (row) => row.until },
    );

  beforeEach(() => {
    loads = [];
    value = 1;
  });

  it('caches nothing until caching starts, then serves hits and misses from memory', async () => {
    const cache = make();
    await cache.get('a');
    await cache.get('a');
    expect(loads).toEqual(['a', 'a']);
    cache.startCaching();
    await cache.get('a');
    expect(await cache.get('a')).toEqual({ v: 1 });
    await cache.get('missing-1');
    expect(await cache.get('missing-1')).toBeNull();
    expect(loads).toEqual(['a', 'a', 'a', 'missing-1']);
  });

  it('shares one load between concurrent misses', async () => {
    const cache = make();
    cache.startCaching();
    await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')]);
    expect(loads).toEqual(['a']);
  });

  it('never caches a load that overlapped an invalidation of its key', async () => {
    const gate = deferred<Row>();
    const cache = new InvalidatingCache<Row>(
      async (key) => {
        loads.push(key);
        return loads.length === 1 ? gate.promise : { v: 2 };
      },
      { max: 10, ttlMs: 60_000 },
    );
    cache.startCaching();
    const first = cache.get('a');
    cache.delete('a');
    gate.resolve({ v: 1 });
    expect(await first).toEqual({ v: 1 });
    expect(await cache.get('a')).toEqual({ v: 2 });
    expect(loads).toEqual(['a', 'a']);
  });

  it('drops entries on delete, deleteWhere and clear, and at their own expiry', async () => {
    const cache = make();
    cache.startCaching();
    await cache.get('a');
    await cache.get('b');
    cache.deleteWhere((_row, key) => key === 'a');
    value = 2;
    expect(await cache.get('a')).toEqual({ v: 2 });
    expect(await cache.get('b')).toEqual({ v: 1 });
    cache.clear();
    expect(await cache.get('b')).toEqual({ v: 2 });

    let expiringLoads = 0;
    const expiring = new InvalidatingCache<Row>(async () => ({ v: ++expiringLoads, until: 1_000 }), {
      max: 10,
      ttlMs: 60_000,
      expiresAt: (row) => row.until,
    });
    expiring.startCaching();
    expect(await expiring.get('x', 0)).toEqual({ v: 1, until: 1_000 });
    expect(await expiring.get('x', 999)).toEqual({ v: 1, until: 1_000 });
    expect(await expiring.get('x', 1_000)).toEqual({ v: 2, until: 1_000 });
  });
});

describe('InvalidatingCache refresh-ahead', () => {
  it('answers a hit near its expiry at once and reloads it in the background', async () => {
    let version = 0;
    const cache = new InvalidatingCache<Row>(async () => ({ v: ++version }), {
      max: 10,
      ttlMs: 60_000,
      refreshAheadMs: 60_000, // every hit is "near expiry"
    });
    cache.startCaching();
    expect(await cache.get('a')).toEqual({ v: 1 });
    expect(cache.get('a')).toEqual({ v: 1 }); // answered from memory, reload scheduled
    // the load starts on a timer, not inside the call that asked for it (nor in this tick)
    await new Promise((resolve) => setImmediate(resolve));
    expect(version).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(version).toBe(2);
    expect(await cache.get('a')).toEqual({ v: 2 });
  });

  it('spreads background reloads over refreshSpreadMs', async () => {
    let version = 0;
    const cache = new InvalidatingCache<Row>(async () => ({ v: ++version }), {
      max: 10,
      ttlMs: 60_000,
      refreshAheadMs: 60_000,
      refreshSpreadMs: 60,
    });
    cache.startCaching();
    await cache.get('a');
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5); // a 30 ms delay
    try {
      expect(cache.get('a')).toEqual({ v: 1 });
    } finally {
      random.mockRestore();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(version).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(version).toBe(2);
  });

  it('drops an entry whose background reload finds it gone', async () => {
    let exists = true;
    const cache = new InvalidatingCache<Row>(async () => (exists ? { v: 1 } : null), {
      max: 10,
      ttlMs: 60_000,
      refreshAheadMs: 60_000,
    });
    cache.startCaching();
    await cache.get('a');
    exists = false;
    expect(await cache.get('a')).toEqual({ v: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await cache.get('a')).toBeNull();
  });
});

describe('InvalidatingCache serve-stale', () => {
  // lru-cache reuses its clock reading for 1 ms of real time: wait past it after moving the clock
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
  let now: number;
  let version: number;
  let loads: number;
  const clock = { now: () => now };
  const make = (serveStaleMs?: number): InvalidatingCache<Row> =>
    new InvalidatingCache<Row>(
      async () => {
        loads += 1;
        return { v: ++version };
      },
      { max: 10, ttlMs: 1_000, serveStaleMs, clock },
    );

  beforeEach(() => {
    now = 10_000;
    version = 0;
    loads = 0;
  });

  it('answers an entry past its TTL at once while a background reload replaces it', async () => {
    const cache = make(1_000);
    cache.startCaching();
    expect(await cache.get('a')).toEqual({ v: 1 });
    now += 1_500;
    await tick();
    const answer = cache.get('a');
    expect(answer).toEqual({ v: 1 }); // not a promise: the call did not wait for the store
    expect(cache.get('a')).toEqual({ v: 1 }); // the reload in flight is not started twice
    await tick();
    expect(cache.get('a')).toEqual({ v: 2 });
    expect(loads).toBe(2);
  });

  /** Caches 'a', moves the clock by `ms`: the next hit must wait for the store's answer. */
  const expectWaitAfter = async (cache: InvalidatingCache<Row>, ms: number, answer: Row): Promise<void> => {
    cache.startCaching();
    await cache.get('a');
    now += ms;
    await tick();
    const hit = cache.get('a');
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toEqual(answer);
  };

  it('makes a hit past TTL + serveStaleMs, or past the TTL without serve-stale, wait for the store', async () => {
    await expectWaitAfter(make(1_000), 2_001, { v: 2 });
    await expectWaitAfter(make(), 1_001, { v: 4 });
  });

  it('never serves an invalidated entry stale', async () => {
    const cache = make(1_000);
    cache.startCaching();
    await cache.get('a');
    now += 1_500;
    await tick();
    cache.delete('a');
    const answer = cache.get('a');
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toEqual({ v: 2 });
  });
});
