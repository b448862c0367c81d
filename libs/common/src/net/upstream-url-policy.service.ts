import { Injectable, Optional } from '@nestjs/common';
import { validationFailed } from '../errors/app-error';
import { upstreamAddressVerdict, type AddressVerdict } from './address-policy';
import { guardedLookup, type GuardedLookupFunction } from './guarded-lookup';
import { HostResolver } from './host-resolver';
import { UpstreamPolicyEnv } from './upstream-policy.env';
import { validateUpstreamUrl, type UpstreamUrlVerdict } from './upstream-url';

/**
 * The upstream SSRF policy with this process's settings: GATEWAY_ALLOW_PRIVATE_UPSTREAMS (false
 * when the app does not include UpstreamPolicyEnv) and the HostResolver.
 */
@Injectable()
export class UpstreamUrlPolicy {
  readonly allowPrivate: boolean;

  /**
   * A `lookup` for upstream sockets (undici `connect: { lookup }`): resolves through the
   * HostResolver and refuses the connection when any address breaks the policy.
   */
  readonly lookup: GuardedLookupFunction;

  constructor(
    private readonly resolver: HostResolver,
    @Optional() env?: UpstreamPolicyEnv,
  ) {
    this.allowPrivate = env?.GATEWAY_ALLOW_PRIVATE_UPSTREAMS ?? false;
    this.lookup = guardedLookup({
      allowPrivate: this.allowPrivate,
      resolve: (host) => this.resolver.lookup(host),
    });
  }

  check(raw: unknown): Promise<UpstreamUrlVerdict> {
    return validateUpstreamUrl(raw, {
      allowPrivate: this.allowPrivate,
      resolve: (host) => this.resolver.lookup(host),
    });
  }

  /** The normalised URL, or `validation_failed` naming `field` and the reason. */
  async assert(field: string, raw: unknown): Promise<string> {
    const verdict = await this.check(raw);
    if (!verdict.ok) throw validationFailed(field, verdict.reason);
    return verdict.url;
  }

  /** Connect-time check of one resolved address. */
  checkAddress(ip: string): AddressVerdict {
    return upstreamAddressVerdict(ip, { allowPrivate: this.allowPrivate }, 'resolves to');
  }
}
