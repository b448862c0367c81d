import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { upstreamAddressVerdict, type AddressPolicyOptions } from './address-policy';
import { parseIpAddress } from './ip-address';
import type { HostLookup } from './upstream-url';

/** The error a guarded lookup fails the connection with: `code` `EUPSTREAMREFUSED`, `message` the reason. */
export class UpstreamAddressRefusedError extends Error {
  readonly code = 'EUPSTREAMREFUSED';

  constructor(
    readonly hostname: string,
    readonly reason: string,
  ) {
    super(`upstream ${hostname} ${reason}`);
    this.name = 'UpstreamAddressRefusedError';
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The signature `net.connect({ lookup })`, `tls.connect` and undici's `connect: { lookup }` call. */
export type GuardedLookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: LookupCallback,
) => void;

/**
 * A `lookup` for outgoing upstream connections that applies the SSRF policy to the addresses the
 * socket will actually connect to (DESIGN §3: checked at connect time, DNS-rebinding safe): the
 * name is resolved once, and if ANY address is refused the connection fails with
 * UpstreamAddressRefusedError; otherwise the socket gets exactly the addresses that were checked.
 */
export function guardedLookup(
  options: AddressPolicyOptions & { resolve: HostLookup },
): GuardedLookupFunction {
  return (hostname, lookupOptions, callback) => {
    void (async () => {
      const literal = parseIpAddress(hostname);
      const addresses = literal ? [literal.text] : await options.resolve(hostname);
      if (addresses.length === 0)
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      for (const address of addresses) {
        const verdict = upstreamAddressVerdict(address, options, literal ? 'points at' : 'resolves to');
        if (!verdict.allowed) throw new UpstreamAddressRefusedError(hostname, verdict.reason);
      }
      const family =
        lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family;
      const usable = addresses
        .map((address) => ({ address, family: isIP(address) }))
        .filter((entry) => entry.family !== 0 && (!family || entry.family === family));
      if (usable.length === 0)
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      if (lookupOptions.all) callback(null, usable);
      else callback(null, usable[0].address, usable[0].family);
    })().catch((error: NodeJS.ErrnoException) => callback(error, lookupOptions.all ? [] : ''));
  };
}
