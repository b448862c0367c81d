import { Clock, InvalidatingCache } from '@app/common';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { hash as oneShotHash } from 'node:crypto';
import type { ApiKeyKind, ApiKeyMode } from './api-key.entity';
import { isWellFormedApiKey } from './api-key.format';
import { ApiKeyRepository } from './api-key.repository';
import { keyRejection } from './api-key.rules';
import { KeyInvalidationService } from './key-invalidation.service';

/** What the gateway needs to know about a usable key. */
export interface ResolvedApiKey {
  keyId: string;
  accountId: string;
  applicationId: string;
  /** Display form (`mp_live_…9xYz`: prefix and last four), for logs and the request log; never the secret. */
  display: string;
  kind: ApiKeyKind;
  mode: ApiKeyMode;
  scopes: string[];
  ipAllowlist: string[];
  allowedOrigins: string[];
  expiresAt: Date | null;
}

export type KeyRejectionCode = 'invalid_api_key' | 'key_revoked' | 'key_expired';

export type KeyResolution = { ok: true; key: ResolvedApiKey } | { ok: false; code: KeyRejectionCode };

export interface KeyResolverOptions {
  /**
   * How long an answer is reused without asking Postgres; then, for as long again, it still
   * answers while a background reload replaces it. Twice this bounds staleness when an
   * invalidation is lost.
   */
  ttlMs: number;
  maxKnown: number;
  /** Unknown hashes are kept in their own, smaller cache so a flood of made-up keys cannot evict real ones. */
  maxUnknown: number;
}

export const DEFAULT_KEY_RESOLVER_OPTIONS: KeyResolverOptions = {
  ttlMs: 30_000,
  maxKnown: 50_000,
  maxUnknown: 10_000,
};

/** A cached key record: lifecycle fields are kept raw so revocation/expiry are decided at read time. */
interface KnownKey {
  key: ResolvedApiKey;
  revokedAt: Date | null;
  applicationDeleted: boolean;
}

/**
 * Resolves a raw key for the gateway (DESIGN §3 steps 1–2).
 *
 * 1. Malformed or bad checksum → `invalid_api_key`, decided offline: no cache, no store.
 * 2. Otherwise by SHA-256 of the key from an in-process LRU (TTL 30 s, then served for up to 30 s
 *    more while it reloads in the background; negative entries too, without that), filled from
 *    Postgres. Revocation (including the end of a rotation grace period) and expiry
 *    are evaluated against `now` on every call, so time passing needs no message.
 * 3. Revoke, rotate, update and application deletion publish the affected hashes on Redis; every
 *    instance drops them on receipt. When the subscriber reconnects (messages may have been lost)
 *    the whole cache is dropped. A lookup that overlaps an invalidation is answered but not cached,
 *    and nothing is cached before the subscription is confirmed.
 */
@Injectable()
export class KeyResolver implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeyResolver.name);
  private readonly options: KeyResolverOptions = DEFAULT_KEY_RESOLVER_OPTIONS;
  /** Known hashes and, in a smaller LRU, unknown ones (so made-up keys cannot evict real ones). */
  private readonly cache = new InvalidatingCache<KnownKey>((hash) => this.load(hash), {
    max: this.options.maxKnown,
    maxMissing: this.options.maxUnknown,
    ttlMs: this.options.ttlMs,
    // hot keys reload in the background before they expire, and a key idle past its TTL answers
    // its next calls while it reloads: no burst of calls waits on PostgreSQL
    refreshAheadMs: this.options.ttlMs / 6,
    serveStaleMs: this.options.ttlMs,
    // background reloads spread over a quarter second: keys that come due together (all of them
    // after a quiet spell) do not reload in one burst that holds up the calls of that moment
    refreshSpreadMs: 250,
  });
  private unsubscribe?: () => void;
  private destroyed = false;
  /** Nothing is cached until the invalidation subscription is confirmed: before that, every call reads Postgres. */
  private subscribed?: Promise<void>;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly invalidations: KeyInvalidationService,
    private readonly clock: Clock,
  ) {}

  /**
   * Subscribes in the background: a process whose Redis is not up yet still boots and resolves keys
   * (from Postgres on every call) until the subscription is confirmed.
   */
  onModuleInit(): void {
    this.invalidations.onReconnect(() => this.clear());
    this.subscribed = this.invalidations
      .subscribe((hashes) => this.drop(hashes))
      .then((unsubscribe) => {
        if (this.destroyed) return unsubscribe();
        this.unsubscribe = unsubscribe;
        this.cache.startCaching();
      })
      .catch((error: unknown) =>
        this.logger.error({ err: error }, 'could not subscribe to key invalidations; keys are read uncached'),
      );
  }

  /** Resolves once invalidations are being received (and answers are cached). */
  async whenListening(): Promise<void> {
    await this.subscribed;
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    this.unsubscribe?.();
    this.cache.stopCaching();
  }

  async resolve(rawKey: string, now: Date = this.clock.now()): Promise<KeyResolution> {
    return this.resolveCached(rawKey, now);
  }

  /**
   * `resolve` without a promise hop when the answer is known now: a malformed key, or a hash the
   * cache holds (known or unknown; the same entries, TTL and invalidations as `resolve`, which is
   * this lookup awaited). A miss answers the promise of the load, shared with concurrent callers.
   */
  resolveCached(rawKey: string, now: Date = this.clock.now()): KeyResolution | Promise<KeyResolution> {
    if (!isWellFormedApiKey(rawKey)) return { ok: false, code: 'invalid_api_key' };
    // one-shot digest (node ≥ 20.12, engines says ≥ 20.19): no Hash object per call; the same hex
    // as sha256Hex, which stored the key hashes
    const record = this.cache.get(oneShotHash('sha256', rawKey, 'hex'));
    return record instanceof Promise
      ? record.then((loaded) => resolution(loaded, now))
      : resolution(record, now);
  }

  /** Drops these hashes (an invalidation message). */
  drop(hashes: readonly string[]): void {
    for (const hash of hashes) this.cache.delete(hash);
  }

  /** Drops everything (the subscriber reconnected, so invalidations may have been missed). */
  clear(): void {
    this.cache.clear();
  }

  private async load(hash: string): Promise<KnownKey | null> {
    const found = await this.keys.findByHash(hash);
    return (
      found && {
        key: {
          keyId: found.key.id,
          accountId: found.key.accountId,
          applicationId: found.key.applicationId,
          display: `${found.key.prefix}…${found.key.lastFour}`,
          kind: found.key.kind,
          mode: found.key.mode,
          scopes: found.key.scopes,
          ipAllowlist: found.key.ipAllowlist,
          allowedOrigins: found.key.allowedOrigins,
          expiresAt: found.key.expiresAt,
        },
        revokedAt: found.key.revokedAt,
        applicationDeleted: found.applicationDeleted,
      }
    );
  }
}

/** Revocation and expiry are decided against `now` on every call, cached record or not. */
function resolution(record: KnownKey | null, now: Date): KeyResolution {
  if (!record) return { ok: false, code: 'invalid_api_key' };
  const rejection = keyRejection(
    { revokedAt: record.revokedAt, expiresAt: record.key.expiresAt },
    now,
    record.applicationDeleted,
  );
  return rejection ? { ok: false, code: rejection } : { ok: true, key: record.key };
}
