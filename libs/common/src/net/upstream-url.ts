import { promises as dns } from 'node:dns';
import {
  classVerdict,
  classifyHostname,
  upstreamAddressVerdict,
  type AddressPolicyOptions,
} from './address-policy';
import { parseIpAddress } from './ip-address';

/** Every address a host name resolves to (IPv4 and IPv6). Injectable so tests never leave loopback. */
export type HostLookup = (hostname: string) => Promise<string[]>;

/** The system resolver (getaddrinfo through `dns.promises.lookup`, `/etc/hosts` included), all addresses. */
export const systemHostLookup: HostLookup = async (hostname) => {
  const answers = await dns.lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

export const UPSTREAM_URL_MAX_LENGTH = 2048;

export interface UpstreamUrlOptions extends AddressPolicyOptions {
  /** Defaults to `systemHostLookup`. */
  resolve?: HostLookup;
}

export type UpstreamUrlVerdict =
  | {
      ok: true;
      /** Normalised base URL: scheme, host (punycode, canonical IP), port, path, no trailing slash. */
      url: string;
      hostname: string;
      /** What the host is or resolved to (empty never). */
      addresses: string[];
    }
  | { ok: false; reason: string };

const fail = (reason: string): UpstreamUrlVerdict => ({ ok: false, reason });

/** The authority of an absolute URL as written (between "//" and the path), for checks the URL parser hides. */
function rawAuthority(raw: string): string {
  const afterScheme = raw.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '');
  return afterScheme.split(/[/?#]/, 1)[0];
}

/** The error code of a failed lookup (ENOTFOUND, EAI_AGAIN …), for the message. */
function lookupCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'lookup failed';
}

/**
 * Validates a provider's upstream base URL against the SSRF policy (DESIGN §3): http or https
 * only, no user name or password, no query string or fragment, a host and a port in range, no
 * whitespace, control characters or backslashes anywhere. A literal IP host (in any spelling) is
 * classified; a name is resolved and refused if ANY of its addresses is not public unicast
 * (unless `allowPrivate`, which never admits metadata or non-unicast addresses); `localhost` and
 * `*.localhost` are loopback without asking DNS. The reason is a sentence fragment meant to follow
 * the field name: `upstreamLiveUrl: resolves to 10.0.0.5, a private address; …`.
 *
 * This is the save-time check. DNS can change afterwards, so the gateway applies the same
 * `upstreamAddressVerdict` to the address it actually connects to.
 */
export async function validateUpstreamUrl(
  raw: unknown,
  options: UpstreamUrlOptions,
): Promise<UpstreamUrlVerdict> {
  if (typeof raw !== 'string' || raw.length === 0) return fail('must be an absolute http(s) URL');
  if (raw.length > UPSTREAM_URL_MAX_LENGTH)
    return fail(`must be at most ${UPSTREAM_URL_MAX_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(raw))
    return fail('must not contain spaces, line breaks (CR/LF) or other control characters');
  if (raw.includes('\\')) return fail('must not contain backslashes');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('must be an absolute http(s) URL, e.g. https://api.example.com/v1');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail(`must use http or https, not ${url.protocol.slice(0, -1)}`);
  if (!/^https?:\/\//i.test(raw))
    return fail('must be an absolute http(s) URL, e.g. https://api.example.com/v1');
  if (url.username !== '' || url.password !== '' || rawAuthority(raw).includes('@')) {
    return fail(
      "must not contain a user name or password; put the upstream credential in the listing's credential, which is stored encrypted",
    );
  }
  if (raw.includes('#')) return fail('must not contain a fragment (#…)');
  if (raw.includes('?'))
    return fail(
      "must not contain a query string; a credential sent as a query parameter goes in the listing's credential",
    );
  if (url.hostname === '') return fail('must name a host');
  if (url.port === '0') return fail('must use a port from 1 to 65535');

  const hostname = url.hostname;
  const normalised = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  const literal = parseIpAddress(hostname);
  if (literal) {
    const verdict = upstreamAddressVerdict(literal.text, options);
    return verdict.allowed
      ? { ok: true, url: normalised, hostname, addresses: [literal.text] }
      : fail(verdict.reason);
  }

  const named = classifyHostname(hostname);
  if (named) {
    // localhost is loopback by definition (RFC 6761), whatever a resolver would answer
    const verdict = classVerdict(named, `is ${hostname.replace(/\.$/, '')}`, options);
    return verdict.allowed
      ? { ok: true, url: normalised, hostname, addresses: ['127.0.0.1', '::1'] }
      : fail(verdict.reason);
  }
  let addresses: string[];
  try {
    addresses = await (options.resolve ?? systemHostLookup)(hostname);
  } catch (error) {
    return fail(
      `host "${hostname}" does not resolve (${lookupCode(error)}); check the name, or use an address`,
    );
  }
  if (addresses.length === 0) return fail(`host "${hostname}" does not resolve to any address`);
  for (const address of addresses) {
    const verdict = upstreamAddressVerdict(address, options, 'resolves to');
    if (!verdict.allowed) return fail(verdict.reason);
  }
  return { ok: true, url: normalised, hostname, addresses };
}
