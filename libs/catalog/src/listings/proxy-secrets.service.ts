import { AppError, Clock, newId, randomToken, SecretBox, validationFailed } from '@app/common';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProvidersService } from '../providers/providers.service';
import { ApiListingRepository } from './api-listing.repository';
import { ListingEventsService } from './listing-events.service';
import { LISTING_LIMITS } from './listing.rules';
import type { ProxySecretEntity } from './proxy-secret.entity';
import { ProxySecretRepository } from './proxy-secret.repository';

/** 32 random bytes = 256 bits, base64url (43 characters). */
export const PROXY_SECRET_BYTES = 32;

export interface ProxySecretView {
  current: { secret: string; createdAt: Date };
  /** The secret replaced by the last rotation while it is still accepted (its grace period), else null. */
  previous: { secret: string; createdAt: Date; expiresAt: Date } | null;
}

/** A live secret as the gateway needs it: the first is the current one (expiresAt null). */
export interface LiveProxySecret {
  secret: string;
  expiresAt: Date | null;
}

function apiNotFound(): AppError {
  return new AppError('not_found', 'API not found: no API with this id belongs to your provider account.');
}

const aad = (apiId: string, secretId: string): string => `api_proxy_secrets:${apiId}:${secretId}`;

/**
 * The per-API secret the gateway sends as X-Portico-Proxy-Secret, so a provider can refuse calls
 * that did not come through Portico. Stored encrypted (the owner may view it); rotation keeps the
 * previous secret valid for a grace period the owner picks, so the provider can deploy the new one
 * without dropping calls. At most two secrets are valid at once.
 */
@Injectable()
export class ProxySecretsService {
  constructor(
    private readonly secrets: ProxySecretRepository,
    private readonly listings: ApiListingRepository,
    private readonly providers: ProvidersService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly events: ListingEventsService,
  ) {}

  /** A fresh current secret; inside the transaction that created (or locked) the owned listing. */
  async issue(manager: EntityManager, apiId: string): Promise<void> {
    const id = newId();
    await this.secrets.insert(manager, {
      id,
      apiId,
      secretCiphertext: this.box.seal(randomToken(PROXY_SECRET_BYTES), aad(apiId, id)),
    });
  }

  async show(accountId: string, apiId: string): Promise<ProxySecretView> {
    const provider = await this.providers.getForOwner(accountId);
    let live = await this.secrets.listLiveOwned(provider.id, apiId, this.clock.now());
    if (live.length === 0 || live[0].expiresAt !== null) {
      // a listing without a current secret (created before secrets existed, or by a test factory) gets one now
      await this.listings.transaction(async (manager) => {
        if (!(await this.listings.lockOwned(manager, provider.id, apiId))) throw apiNotFound();
        if (!(await this.secrets.hasCurrent(manager, apiId))) await this.issue(manager, apiId);
      });
      live = await this.secrets.listLiveOwned(provider.id, apiId, this.clock.now());
    }
    return this.view(live);
  }

  /**
   * Makes a new current secret. The old one stays valid for `gracePeriodSeconds` (0: it stops
   * working now); a secret from an earlier rotation that was still in its grace stops now.
   */
  async rotate(
    accountId: string,
    apiId: string,
    gracePeriodSeconds: number = LISTING_LIMITS.proxySecretGraceDefaultSeconds,
  ): Promise<ProxySecretView> {
    if (
      !Number.isInteger(gracePeriodSeconds) ||
      gracePeriodSeconds < 0 ||
      gracePeriodSeconds > LISTING_LIMITS.proxySecretGraceMaxSeconds
    ) {
      throw validationFailed(
        'gracePeriodSeconds',
        `must be a whole number of seconds from 0 to ${LISTING_LIMITS.proxySecretGraceMaxSeconds} (30 days)`,
      );
    }
    const provider = await this.providers.getForOwner(accountId);
    const slug = await this.listings.transaction(async (manager) => {
      const listing = await this.listings.lockOwned(manager, provider.id, apiId);
      if (!listing) throw apiNotFound();
      const now = this.clock.now();
      await this.secrets.retireOwned(
        manager,
        provider.id,
        apiId,
        now,
        new Date(now.getTime() + gracePeriodSeconds * 1000),
      );
      await this.issue(manager, apiId);
      return listing.slug;
    });
    await this.events.apiChanged({ apiId, slug });
    return this.view(await this.secrets.listLiveOwned(provider.id, apiId, this.clock.now()));
  }

  /**
   * System read for the gateway: the live secrets of an API, the current one first. A listing that
   * has none (inserted before secrets existed, or by a test factory) gets its first one here.
   */
  async liveSecrets(apiId: string): Promise<LiveProxySecret[]> {
    let rows = await this.secrets.listLive(apiId, this.clock.now());
    if (rows.length === 0 || rows[0].expiresAt !== null) {
      await this.listings.transaction(async (manager) => {
        if (!(await this.listings.lockById(manager, apiId))) return;
        if (!(await this.secrets.hasCurrent(manager, apiId))) await this.issue(manager, apiId);
      });
      rows = await this.secrets.listLive(apiId, this.clock.now());
    }
    return rows.map((row) => ({ secret: this.open(row), expiresAt: row.expiresAt }));
  }

  private view(live: ProxySecretEntity[]): ProxySecretView {
    const [current, previous] = live;
    if (!current || current.expiresAt !== null) throw new Error('listing has no current proxy secret');
    return {
      current: { secret: this.open(current), createdAt: current.createdAt },
      previous: previous?.expiresAt
        ? { secret: this.open(previous), createdAt: previous.createdAt, expiresAt: previous.expiresAt }
        : null,
    };
  }

  private open(row: ProxySecretEntity): string {
    return this.box.openText(row.secretCiphertext, aad(row.apiId, row.id));
  }
}
