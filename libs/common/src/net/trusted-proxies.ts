import { ValidateBy } from 'class-validator';
import { BlockList, isIP } from 'node:net';

/** Who called, as the gateway may believe it (issue 4: X-Forwarded-For from the socket, never the client's). */
export interface ClientOrigin {
  /** The consumer's address: the key's IP allowlist is checked against it. */
  address: string | undefined;
  /** `X-Forwarded-For` for the upstream: the consumer's address, then each trusted proxy it came through. */
  forwardedFor: string | undefined;
  /** The scheme the consumer used (`X-Forwarded-Proto` for the upstream). */
  proto: 'http' | 'https';
}

/** The socket's address in its plain form (IPv4-mapped IPv6 → IPv4), as allowlists store it. */
export function plainAddress(address: string | undefined): string | undefined {
  if (address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  return address;
}

/**
 * `GATEWAY_TRUSTED_PROXIES` / `API_TRUSTED_PROXIES`: the load balancers in front of the gateway or
 * the api (IPs or CIDRs). Only a connection from one of them may tell who the client is
 * (`X-Forwarded-For`, `X-Forwarded-Proto`); from anyone else those headers are dropped. Empty (the
 * default): the socket's peer is the client.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** `entries`: IPs or CIDRs, already validated (see `invalidProxyEntries`). */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
    this.size = entries.length;
  }

  static parse(setting: string): TrustedProxies {
    return new TrustedProxies(proxyEntries(setting));
  }

  has(address: string | undefined): boolean {
    const plain = plainAddress(address);
    const family = plain ? isIP(plain) : 0;
    return family !== 0 && this.list.check(plain!, family === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The consumer behind `peer`. From a trusted proxy, `X-Forwarded-For` is read right to left,
   * skipping trusted proxies: the first other address is the consumer (anything left of it was
   * written by the consumer and is ignored). A malformed entry stops the walk at the last good
   * address; no usable entry → the peer. `X-Forwarded-Proto` (http or https) is taken from a
   * trusted peer only.
   */
  clientOf(
    peer: string | undefined,
    socketProto: 'http' | 'https',
    forwardedFor: string | string[] | undefined,
    forwardedProto: string | string[] | undefined,
  ): ClientOrigin {
    const peerAddress = plainAddress(peer);
    if (this.size === 0 || !this.has(peerAddress)) {
      return { address: peerAddress, forwardedFor: peerAddress, proto: socketProto };
    }
    const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const hops: string[] = [peerAddress!];
    let address = peerAddress;
    for (let i = chain.length - 1; i >= 0; i--) {
      const entry = plainAddress(chain[i]);
      if (!entry || isIP(entry) === 0) break;
      hops.unshift(entry);
      address = entry;
      if (!this.has(entry)) break;
    }
    const proto = lastValue(forwardedProto)?.toLowerCase();
    return {
      address,
      forwardedFor: hops.join(', '),
      proto: proto === 'https' || proto === 'http' ? proto : socketProto,
    };
  }
}

function lastValue(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined?.split(',').pop()?.trim();
}

/** The entries of a `GATEWAY_TRUSTED_PROXIES` setting (comma or space separated). */
export function proxyEntries(setting: string): string[] {
  return setting
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** The entries of the setting that are not an IP or a CIDR (empty when the setting is valid). */
export function invalidProxyEntries(setting: string): string[] {
  return proxyEntries(setting).filter((entry) => {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return true;
    if (prefix === undefined) return false;
    return !/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 6 ? 128 : 32);
  });
}

/** Validates an env setting of trusted proxies: IPs or CIDRs, comma or space separated (empty: none). */
export function IsTrustedProxyList(): PropertyDecorator {
  return ValidateBy({
    name: 'isTrustedProxyList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && invalidProxyEntries(value).length === 0,
      defaultMessage: (args) =>
        `${args?.property} must list IPs or CIDRs, comma separated (e.g. 10.0.0.0/8,192.0.2.10); not: ${invalidProxyEntries(String(args?.value ?? '')).join(', ')}`,
    },
  });
}
