import { Clock, SecretBox } from '@app/common';
import { Injectable } from '@nestjs/common';
import type { CredentialLocation, ListingStatus, ListingVisibility } from './api-listing.entity';
import { ApiListingRepository } from './api-listing.repository';
import { isLive } from './listing-lifecycle';
import { credentialAad } from './listing.rules';
import { ProxySecretsService } from './proxy-secrets.service';

/** Everything the gateway needs to forward a call to an API, secrets decrypted. Never leaves the process. */
export interface GatewayApi {
  apiId: string;
  slug: string;
  providerId: string;
  status: ListingStatus;
  visibility: ListingVisibility;
  /** Base URLs without a trailing slash (checked on save; the gateway re-checks the resolved address on connect). */
  liveUrl: string;
  /** Null: `mp_test_` calls are answered from the OpenAPI examples. */
  sandboxUrl: string | null;
  timeoutMs: number;
  /** The provider's credential to inject (the consumer cannot override it), or null. */
  credential: { location: CredentialLocation; name: string; value: string } | null;
  /** Sent as X-Portico-Proxy-Secret. */
  proxySecret: string;
  /** The previous secret during a rotation grace (providers accept both; the gateway sends the current one). */
  previousProxySecret: { secret: string; expiresAt: Date } | null;
  /** Deprecated listings: the sunset (RFC 8594 `Sunset` header) and the provider's message. */
  sunsetAt: Date | null;
  deprecationMessage: string | null;
  /** A cache entry must not outlive this instant (sunset, end of a secret's grace), null: no limit. */
  cacheUntil: Date | null;
}

/**
 * The system read of the gateway (issue 4): resolves `{GATEWAY_URL}/{slug}` to its upstream.
 * Only live listings resolve: published, deprecated before its sunset, or live and under review.
 * Drafts, listings waiting for their first approval, retired and sunset listings answer null.
 * Visibility and subscriptions are the gateway's business (a private API is called with a key of a
 * consumer subscribed to it).
 */
@Injectable()
export class GatewayCatalogService {
  constructor(
    private readonly listings: ApiListingRepository,
    private readonly proxySecrets: ProxySecretsService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  async resolveForGateway(slug: string): Promise<GatewayApi | null> {
    if (slug.length === 0 || slug.length > 64) return null;
    const listing = await this.listings.findForGateway(slug);
    const now = this.clock.now();
    if (!listing || !isLive(listing, now)) return null;
    const [current, previous] = await this.proxySecrets.liveSecrets(listing.id);
    if (!current || current.expiresAt !== null) return null;
    const credential =
      listing.credentialLocation && listing.credentialName && listing.credentialCiphertext
        ? {
            location: listing.credentialLocation,
            name: listing.credentialName,
            value: this.box.openText(listing.credentialCiphertext, credentialAad(listing.id)),
          }
        : null;
    const limits = [
      listing.status === 'deprecated' ? listing.sunsetAt : null,
      previous?.expiresAt ?? null,
    ].filter((d): d is Date => d !== null);
    return {
      apiId: listing.id,
      slug: listing.slug,
      providerId: listing.providerId,
      status: listing.status,
      visibility: listing.visibility,
      liveUrl: listing.upstreamLiveUrl,
      sandboxUrl: listing.upstreamSandboxUrl,
      timeoutMs: listing.upstreamTimeoutMs,
      credential,
      proxySecret: current.secret,
      previousProxySecret: previous?.expiresAt
        ? { secret: previous.secret, expiresAt: previous.expiresAt }
        : null,
      sunsetAt: listing.sunsetAt,
      deprecationMessage: listing.deprecationMessage,
      cacheUntil: limits.length > 0 ? new Date(Math.min(...limits.map((d) => d.getTime()))) : null,
    };
  }
}
