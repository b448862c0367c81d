import { formatIpv4, formatIpv6, parseIpAddress, type IpAddress } from './ip-address';

/**
 * What kind of host an IP address is, for the SSRF policy of upstream URLs (DESIGN §3). Only
 * `public` is a unicast address on the internet; every other class is refused as an upstream (see
 * `upstreamAddressVerdict` for which ones GATEWAY_ALLOW_PRIVATE_UPSTREAMS lets through).
 */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'metadata';

/** How an IPv6 address carries the IPv4 address that decided its class. */
export type Ipv4Embedding =
  'ipv4-mapped' | 'ipv4-translated' | 'ipv4-compatible' | 'nat64' | '6to4' | 'teredo';

export interface AddressInspection {
  class: AddressClass;
  /** The canonical address (dotted quad or RFC 5952 IPv6). */
  address: string;
  /** Set when an IPv4 address embedded in an IPv6 one decided the class. */
  embedded?: { via: Ipv4Embedding; address: string; class: AddressClass };
}

interface Range {
  prefix: Uint8Array;
  bits: number;
  class: AddressClass;
}

function v4(cidr: string, cls: AddressClass): Range {
  const [address, bits] = cidr.split('/');
  return { prefix: Uint8Array.from(address.split('.').map(Number)), bits: Number(bits), class: cls };
}

function v6(cidr: string, cls: AddressClass): Range {
  const [address, bits] = cidr.split('/');
  const parsed = parseIpAddress(address);
  if (!parsed || parsed.version !== 6) throw new Error(`bad range ${cidr}`);
  return { prefix: parsed.bytes, bits: Number(bits), class: cls };
}

function inRange(bytes: Uint8Array, range: Range): boolean {
  const full = range.bits >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== range.prefix[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full] & mask) === (range.prefix[full] & mask);
}

/** First match wins: the specific ranges (metadata hosts) come before the blocks that contain them. */
const IPV4_RANGES: Range[] = [
  v4('169.254.169.254/32', 'metadata'), // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle … instance metadata
  v4('169.254.170.2/32', 'metadata'), // AWS ECS task metadata and credentials
  v4('100.100.100.200/32', 'metadata'), // Alibaba Cloud metadata
  v4('192.0.0.192/32', 'metadata'), // Oracle Cloud (legacy) metadata
  v4('0.0.0.0/32', 'unspecified'),
  v4('0.0.0.0/8', 'reserved'), // "this network"
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'cgnat'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', 'reserved'), // deprecated 6to4 relay anycast
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('240.0.0.0/4', 'reserved'),
];

const IPV6_RANGES: Range[] = [
  v6('fd00:ec2::254/128', 'metadata'), // AWS instance metadata over IPv6
  v6('100::/64', 'reserved'), // discard-only
  v6('2001:2::/48', 'benchmarking'),
  v6('2001:db8::/32', 'documentation'),
  v6('2001::/23', 'reserved'), // IETF protocol assignments (Teredo is handled before)
  v6('3fff::/20', 'documentation'),
  v6('5f00::/16', 'reserved'), // SRv6 SIDs
  v6('fc00::/7', 'private'), // unique local
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'private'), // deprecated site-local
  v6('ff00::/8', 'multicast'),
];

const GLOBAL_UNICAST_V6 = v6('2000::/3', 'public');
const IPV4_MAPPED = v6('::ffff:0:0/96', 'public');
const IPV4_TRANSLATED = v6('::ffff:0:0:0/96', 'public');
const IPV4_COMPATIBLE = v6('::/96', 'public');
const NAT64_WELL_KNOWN = v6('64:ff9b::/96', 'public');
const NAT64_LOCAL_USE = v6('64:ff9b:1::/48', 'public');
const SIX_TO_FOUR = v6('2002::/16', 'public');
const TEREDO = v6('2001::/32', 'public');

function classifyV4(bytes: Uint8Array): AddressClass {
  for (const range of IPV4_RANGES) if (inRange(bytes, range)) return range.class;
  return 'public';
}

function embeddedV4(
  bytes: Uint8Array,
  offset: number,
  via: Ipv4Embedding,
  invert = false,
): NonNullable<AddressInspection['embedded']> {
  const v4Bytes = Uint8Array.from(bytes.subarray(offset, offset + 4), (b) => (invert ? ~b & 0xff : b));
  return { via, address: formatIpv4(v4Bytes), class: classifyV4(v4Bytes) };
}

function inspectV6(bytes: Uint8Array): AddressInspection {
  const address = formatIpv6(bytes);
  const isZeroUpTo = (end: number): boolean => bytes.subarray(0, end).every((b) => b === 0);
  if (isZeroUpTo(16)) return { class: 'unspecified', address };
  if (isZeroUpTo(15) && bytes[15] === 1) return { class: 'loopback', address };

  // IPv6 forms that carry an IPv4 address: a non-public IPv4 inside makes the whole address that class
  const carried = (
    embedded: NonNullable<AddressInspection['embedded']>,
    whenPublic: AddressClass,
  ): AddressInspection => ({
    class: embedded.class === 'public' ? whenPublic : embedded.class,
    address,
    embedded,
  });
  if (inRange(bytes, IPV4_MAPPED)) return carried(embeddedV4(bytes, 12, 'ipv4-mapped'), 'public');
  if (inRange(bytes, IPV4_TRANSLATED)) return carried(embeddedV4(bytes, 12, 'ipv4-translated'), 'reserved');
  if (inRange(bytes, IPV4_COMPATIBLE)) return carried(embeddedV4(bytes, 12, 'ipv4-compatible'), 'reserved');
  if (inRange(bytes, NAT64_WELL_KNOWN)) return carried(embeddedV4(bytes, 12, 'nat64'), 'public');
  // local-use NAT64 prefixes (RFC 8215) translate inside one network: never a public upstream
  if (inRange(bytes, NAT64_LOCAL_USE)) return carried(embeddedV4(bytes, 12, 'nat64'), 'private');
  if (inRange(bytes, SIX_TO_FOUR)) return carried(embeddedV4(bytes, 2, '6to4'), 'public');
  if (inRange(bytes, TEREDO)) {
    // 2001:0:<server v4>:<flags>:<port>:<client v4 inverted>; a tunnel endpoint is not an upstream
    const client = embeddedV4(bytes, 12, 'teredo', true);
    if (client.class !== 'public') return carried(client, 'reserved');
    return carried(embeddedV4(bytes, 4, 'teredo'), 'reserved');
  }

  for (const range of IPV6_RANGES) if (inRange(bytes, range)) return { class: range.class, address };
  if (inRange(bytes, GLOBAL_UNICAST_V6)) return { class: 'public', address };
  return { class: 'reserved', address };
}

/** Class and canonical form of an address in any spelling, or null when the text is not an IP address. */
export function inspectAddress(ip: string | IpAddress): AddressInspection | null {
  const parsed = typeof ip === 'string' ? parseIpAddress(ip) : ip;
  if (!parsed) return null;
  if (parsed.version === 4) return { class: classifyV4(parsed.bytes), address: parsed.text };
  return inspectV6(parsed.bytes);
}

/**
 * The class of an IP address written in any spelling a URL parser or inet_aton accepts (decimal,
 * hex, octal, short forms, IPv4-mapped/compatible/NAT64/6to4/Teredo IPv6, brackets, zone ids).
 * Throws a TypeError when the text is not an IP address at all.
 */
export function classifyAddress(ip: string): AddressClass {
  const inspection = inspectAddress(ip);
  if (!inspection) throw new TypeError(`"${ip.slice(0, 100)}" is not an IP address`);
  return inspection.class;
}

/** True only for a unicast address on the public internet; false for anything else, including non-addresses. */
export function isPublicUnicast(ip: string): boolean {
  return inspectAddress(ip)?.class === 'public';
}

/** Host names that are a class by themselves, whatever DNS says (`localhost`, cloud metadata names). */
export function classifyHostname(hostname: string): AddressClass | null {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  if (METADATA_HOSTNAMES.has(name)) return 'metadata';
  return null;
}

const METADATA_HOSTNAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.platformequinix.com',
]);

/** The classes GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true lets through (development, tests, on-prem). */
export const PRIVATE_UPSTREAM_CLASSES: ReadonlySet<AddressClass> = new Set<AddressClass>([
  'private',
  'loopback',
  'link-local',
  'cgnat',
  'benchmarking',
]);

const CLASS_LABELS: Record<AddressClass, string> = {
  public: 'a public address',
  unspecified: 'the unspecified address',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT address (100.64.0.0/10)',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  documentation: 'a documentation-only address',
  benchmarking: 'a benchmarking address (198.18.0.0/15, 2001:2::/48)',
  reserved: 'a reserved address',
  metadata: 'a cloud metadata service address',
};

const CLASS_NOUNS: Record<AddressClass, string> = {
  public: 'public',
  unspecified: 'unspecified',
  loopback: 'loopback',
  private: 'private',
  'link-local': 'link-local',
  cgnat: 'carrier-grade NAT',
  multicast: 'multicast',
  broadcast: 'broadcast',
  documentation: 'documentation',
  benchmarking: 'benchmarking',
  reserved: 'reserved',
  metadata: 'metadata',
};

export function describeAddressClass(cls: AddressClass): string {
  return CLASS_LABELS[cls];
}

export type AddressVerdict =
  { allowed: true; class: AddressClass } | { allowed: false; class: AddressClass; reason: string };

export interface AddressPolicyOptions {
  /** GATEWAY_ALLOW_PRIVATE_UPSTREAMS: lets PRIVATE_UPSTREAM_CLASSES through. Metadata and non-unicast addresses stay refused. */
  allowPrivate: boolean;
}

/**
 * Whether an upstream may be reached at this class of address, and if not, the reason in words
 * (`a private address; the gateway refuses private upstreams unless …`). `subject` is what the
 * reason starts with, e.g. `resolves to 10.0.0.5`.
 */
export function classVerdict(
  cls: AddressClass,
  subject: string,
  options: AddressPolicyOptions,
): AddressVerdict {
  if (cls === 'public') return { allowed: true, class: cls };
  if (PRIVATE_UPSTREAM_CLASSES.has(cls)) {
    if (options.allowPrivate) return { allowed: true, class: cls };
    return {
      allowed: false,
      class: cls,
      reason: `${subject}, ${CLASS_LABELS[cls]}; the gateway refuses ${CLASS_NOUNS[cls]} upstreams unless the operator sets GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true`,
    };
  }
  if (cls === 'metadata') {
    return {
      allowed: false,
      class: cls,
      reason: `${subject}, ${CLASS_LABELS[cls]}; the gateway never calls metadata services, whatever GATEWAY_ALLOW_PRIVATE_UPSTREAMS says`,
    };
  }
  return {
    allowed: false,
    class: cls,
    reason: `${subject}, ${CLASS_LABELS[cls]}, which is not a unicast host the gateway can call`,
  };
}

/**
 * The policy for one resolved or literal address: what the gateway checks at connect time on every
 * address it is about to connect to, and the api on save. A non-address is refused.
 */
export function upstreamAddressVerdict(
  ip: string,
  options: AddressPolicyOptions,
  subjectPrefix = 'points at',
): AddressVerdict {
  const inspection = inspectAddress(ip);
  if (!inspection)
    return {
      allowed: false,
      class: 'reserved',
      reason: `${subjectPrefix} "${ip.slice(0, 100)}", which is not an IP address`,
    };
  const via =
    inspection.embedded && inspection.embedded.class !== 'public'
      ? ` (${EMBEDDING_LABELS[inspection.embedded.via]} ${inspection.embedded.address})`
      : '';
  return classVerdict(inspection.class, `${subjectPrefix} ${inspection.address}${via}`, options);
}

const EMBEDDING_LABELS: Record<Ipv4Embedding, string> = {
  'ipv4-mapped': 'IPv4-mapped',
  'ipv4-translated': 'IPv4-translated',
  'ipv4-compatible': 'IPv4-compatible',
  nat64: 'NAT64 of',
  '6to4': '6to4 of',
  teredo: 'Teredo of',
};
