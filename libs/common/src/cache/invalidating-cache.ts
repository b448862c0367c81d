import { LRUCache } from 'lru-cache';

export interface InvalidatingCacheOptions<V> {
  /** Most entries kept (least recently used evicted). */
  max: number;
  /** How long an answer is reused without reloading: bounds staleness when invalidations are lost. */
  ttlMs: number;
  /** Absent answers (null) are cached too, in their own smaller LRU, so made-up names cannot evict real entries. */
  maxMissing?: number;
  /** An entry must not outlive this epoch-ms instant (e.g. a period end); null or undefined = the TTL only. */
  expiresAt?: (value: V) => number | null | undefined;
  /**
   * A hit with less than this left of its TTL starts a background reload and is answered as it is
   * (refresh-ahead): hot entries never expire under load, so no burst of calls waits for the store.
   * Default 0 (off). Invalidations are unaffected: they drop the entry at once.
   */
  refreshAheadMs?: number;
  /**
   * An entry up to this long past its TTL still answers hits while a background reload replaces
   * it (stale-while-revalidate; Kong's entity cache does not expire entries at all by default,
   * `db_cache_ttl = 0`): a key, API or subscription that was idle longer than the TTL does not
   * make its next burst of calls wait for the store. Past TTL + this, a hit is a miss again.
   * Invalidations, `clear` and `expiresAt` are unaffected: they drop or end an entry at once. So
   * when an invalidation is lost, TTL + serveStaleMs bounds how long the old answer can be given.
   * Default 0 (off).
   */
  serveStaleMs?: number;
  /**
   * A background reload (refresh-ahead, serve-stale) starts after a random delay of up to this
   * long, so entries that come due together (all of them, after a quiet spell) do not reload in
   * one burst that holds up the calls of that moment. Default 0: on the next timer tick.
   */
  refreshSpreadMs?: number;
  /** The TTLs' clock (`performance` by default): tests move it. */
  clock?: { now(): number };
}

interface Pending<V> {
  promise: Promise<V | null>;
  /** An invalidation for this key arrived while the load ran: answer it, do not cache it. */
  stale: boolean;
}

const MISSING = { missing: true } as const;

/**
 * A read-through cache for data that other processes change and announce on the EventBus
 * (gateway resolution, DESIGN §3 step 2). Guarantees:
 *  - concurrent misses for one key share one load;
 *  - a load that overlaps an invalidation of its key (or a clear) is answered but not cached, so
 *    a message can never be overtaken by the stale row read just before it;
 *  - nothing is cached until `startCaching()` (call it once the invalidation subscriptions are
 *    confirmed): before that every call loads;
 *  - entries expire after the TTL, or earlier at `expiresAt(value)`.
 */
export class InvalidatingCache<V extends object> {
  private readonly found: LRUCache<string, V>;
  private readonly missing: LRUCache<string, typeof MISSING>;
  private readonly inFlight = new Map<string, Pending<V>>();
  private caching = false;
  /** A hit with less than this left before it is dropped starts a background reload (refresh-ahead, serve-stale). */
  private readonly reloadWithinMs: number;

  constructor(
    private readonly load: (key: string) => Promise<V | null>,
    private readonly options: InvalidatingCacheOptions<V>,
  ) {
    const perf = options.clock;
    // an entry is kept until TTL + serveStaleMs; its last serveStaleMs + refreshAheadMs are "reload it"
    this.found = new LRUCache<string, V>({
      max: options.max,
      ttl: options.ttlMs + (options.serveStaleMs ?? 0),
      perf,
    });
    this.reloadWithinMs = (options.refreshAheadMs ?? 0) + (options.serveStaleMs ?? 0);
    this.missing = new LRUCache<string, typeof MISSING>({
      max: options.maxMissing ?? Math.max(1, Math.floor(options.max / 5)),
      ttl: options.ttlMs,
      perf,
    });
  }

  /** The cached value, or a load (shared with concurrent callers). */
  get(key: string, now = Date.now()): Promise<V | null> | V | null {
    const hit = this.found.get(key);
    if (hit) {
      const until = this.options.expiresAt?.(hit);
      if (until === null || until === undefined || until > now) {
        const within = this.reloadWithinMs;
        if (within > 0 && !this.inFlight.has(key) && this.found.getRemainingTTL(key) < within)
          this.refresh(key);
        return hit;
      }
      this.found.delete(key);
    } else if (this.missing.has(key)) {
      return null;
    }
    const joined = this.inFlight.get(key);
    if (joined) return joined.promise;
    const pending: Pending<V> = { promise: Promise.resolve(null), stale: false };
    pending.promise = this.fill(key, pending).finally(() => {
      if (this.inFlight.get(key) === pending) this.inFlight.delete(key);
    });
    this.inFlight.set(key, pending);
    return pending.promise;
  }

  /**
   * Reloads a key in the background; the cached value keeps answering until the new one lands.
   * The load starts on a timer (`refreshSpreadMs`), not inside the hit that asked for it: building
   * its query would otherwise delay that call, and every call of the same tick.
   */
  private refresh(key: string): void {
    const pending: Pending<V> = { promise: Promise.resolve(null), stale: false };
    const delay = Math.random() * (this.options.refreshSpreadMs ?? 0);
    // unref'd: a reload still waiting for its turn does not keep a stopping process alive
    pending.promise = new Promise((resolve) => setTimeout(resolve, delay).unref())
      .then(() => (pending.stale ? null : this.fill(key, pending)))
      .catch(() => null) // the entry keeps answering until its TTL (+ serveStaleMs); the next miss reports the error
      .finally(() => {
        if (this.inFlight.get(key) === pending) this.inFlight.delete(key);
      });
    this.inFlight.set(key, pending);
  }

  startCaching(): void {
    this.clear();
    this.caching = true;
  }

  stopCaching(): void {
    this.caching = false;
    this.clear();
  }

  get size(): number {
    return this.found.size;
  }

  delete(key: string): void {
    this.found.delete(key);
    this.missing.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) pending.stale = true;
    this.inFlight.delete(key);
  }

  /** Drops every cached value the predicate selects (rare events: a plan edited, an API's endpoints republished). */
  deleteWhere(predicate: (value: V, key: string) => boolean): void {
    for (const [key, value] of this.found.entries()) if (predicate(value, key)) this.found.delete(key);
    // a load in progress may return a value the predicate would select: do not let it be cached
    for (const pending of this.inFlight.values()) pending.stale = true;
    this.inFlight.clear();
  }

  /** Drops everything (a subscriber reconnected: invalidations may have been missed). */
  clear(): void {
    this.found.clear();
    this.missing.clear();
    for (const pending of this.inFlight.values()) pending.stale = true;
    this.inFlight.clear();
  }

  private async fill(key: string, pending: Pending<V>): Promise<V | null> {
    const value = await this.load(key);
    if (this.caching && !pending.stale) {
      if (value) this.found.set(key, value);
      else {
        this.found.delete(key);
        this.missing.set(key, MISSING);
      }
    }
    return value;
  }
}
