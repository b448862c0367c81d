import { AppError } from '@app/common';
import { util as undiciUtil } from 'undici';

/**
 * Header hygiene between consumer, gateway and upstream (DESIGN §3 step 5, RFC 9110 §7.6.1).
 *
 * Request (consumer → upstream):
 *  - dropped: the hop-by-hop fields (Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
 *    Transfer-Encoding, Upgrade, Proxy-Authorization, Proxy-Authenticate) and every field named in
 *    a Connection header; `Expect` (the gateway answers 100-continue itself; undici refuses it);
 *    the consumer's `Host`; every `X-Portico-*` (the key included); the client-supplied
 *    `X-Forwarded-For/-Proto/-Host`, `Forwarded` and `X-Real-IP` (never trusted); a header with
 *    the provider credential's name, whatever its case;
 *  - set: `Host` = the upstream's host[:port]; `X-Forwarded-For` = the socket's peer address only
 *    (or, from a trusted proxy, the consumer's address and the proxies: libs/common net/trusted-proxies.ts);
 *    `X-Forwarded-Proto` = the scheme the consumer used to reach the gateway (the listener's, or
 *    the operator's load balancer's as the pipeline decides); `X-Forwarded-Host` = the Host the
 *    consumer sent to the gateway (when it is a valid host[:port]);
 *    `X-Portico-Proxy-Secret`, `X-Portico-User`, `X-Portico-Subscription`, `X-Portico-Plan`,
 *    `X-Portico-Request-Id`; the provider credential when it goes in a header;
 *  - a CR, LF or NUL in any incoming name or value → 400 validation_failed; in an injected value →
 *    TypeError (a configuration bug, never sent).
 * Response (upstream → consumer):
 *  - dropped: the hop-by-hop fields and those named in Connection, `Set-Cookie`/`Set-Cookie2`
 *    (many APIs share the gateway's origin), `Alt-Svc` (it would advertise the upstream's
 *    protocols for the gateway's origin), every `X-Portico-*` (the gateway's own namespace);
 *  - `X-Portico-Billing-Units` is parsed (a non-negative integer) and returned for metering.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  'host',
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-real-ip',
]);
const RESPONSE_DROPPED: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2', 'alt-svc']);
const PORTICO_PREFIX = 'x-portico-';
export const BILLING_UNITS_HEADER = 'x-portico-billing-units';
/** Largest billing-unit count an upstream may report for one call. */
export const MAX_BILLING_UNITS = 1_000_000;

const FORBIDDEN_CHARS = /[\r\n\0]/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/** Where the provider's own upstream credential goes. */
export interface UpstreamCredential {
  in: 'header' | 'query';
  name: string;
  value: string;
}

export interface ForwardContext {
  /** `X-Forwarded-For` to send: the consumer's address and the trusted proxies it came through (libs/common net/trusted-proxies.ts). */
  forwardedFor: string | undefined;
  /** How the consumer reached the gateway. */
  proto: 'http' | 'https';
  /** host[:port] of the upstream origin (what its Host header must say). */
  upstreamHost: string;
  proxySecret: string;
  userId: string;
  subscriptionId: string;
  planId: string;
  requestId: string;
  credential?: UpstreamCredential;
}

/** Adds the lower-cased names listed in a Connection header value to `listed` (created when needed). */
function addConnectionTokens(value: string, listed: Set<string> | null): Set<string> | null {
  // hop-by-hop fields are dropped anyway: a Connection header naming only those (the usual
  // `keep-alive`) costs no second pass over the headers
  if (HOP_BY_HOP_HEADERS.has(value) || HOP_BY_HOP_HEADERS.has(value.toLowerCase())) return listed;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name && !HOP_BY_HOP_HEADERS.has(name)) (listed ??= new Set()).add(name);
  }
  return listed;
}

function checkInjectedValue(name: string, value: string): void {
  if (FORBIDDEN_CHARS.test(value))
    throw new TypeError(`refusing to send header ${JSON.stringify(name)}: CR/LF/NUL in its value`);
}

/**
 * The headers to send upstream, as a flat [name, value, …] list (undici's and node's raw form,
 * duplicates and order of the end-to-end fields preserved). `rawHeaders` is req.rawHeaders.
 * One pass; only a Connection header naming an end-to-end field costs a second one.
 */
export function buildUpstreamRequestHeaders(rawHeaders: readonly string[], ctx: ForwardContext): string[] {
  const credential = ctx.credential?.in === 'header' ? ctx.credential : undefined;
  if (credential && !TOKEN.test(credential.name))
    throw new TypeError(`refusing to send header ${JSON.stringify(credential.name)}: invalid name`);
  const credentialHeader = credential?.name.toLowerCase();
  let out: string[] = [];
  let listed: Set<string> | null = null;
  let consumerHost: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const value = rawHeaders[i + 1];
    if (FORBIDDEN_CHARS.test(name) || FORBIDDEN_CHARS.test(value)) {
      throw new AppError(
        'validation_failed',
        `The request header ${JSON.stringify(name.slice(0, 64))} contains a CR, LF or NUL character.`,
      );
    }
    const lower = name.toLowerCase();
    if (lower === 'connection') listed = addConnectionTokens(value, listed);
    else if (lower === 'host') consumerHost ??= value.trim();
    if (
      HOP_BY_HOP_HEADERS.has(lower) ||
      REQUEST_DROPPED.has(lower) ||
      lower.startsWith(PORTICO_PREFIX) ||
      lower === credentialHeader
    ) {
      continue;
    }
    out.push(name, value);
  }
  if (listed) out = withoutListed(out, listed);
  const add = (name: string, value: string): void => {
    checkInjectedValue(name, value);
    out.push(name, value);
  };
  add('host', ctx.upstreamHost);
  if (ctx.forwardedFor) add('x-forwarded-for', ctx.forwardedFor);
  add('x-forwarded-proto', ctx.proto);
  if (consumerHost && HOST_HEADER.test(consumerHost)) add('x-forwarded-host', consumerHost);
  add('x-portico-proxy-secret', ctx.proxySecret);
  add('x-portico-user', ctx.userId);
  add('x-portico-subscription', ctx.subscriptionId);
  add('x-portico-plan', ctx.planId);
  add('x-portico-request-id', ctx.requestId);
  if (credential) add(credential.name, credential.value);
  return out;
}

/** A flat [name, value, …] list without the fields named in `listed` (lower-cased). */
function withoutListed(headers: readonly string[], listed: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2)
    if (!listed.has(headers[i].toLowerCase())) kept.push(headers[i], headers[i + 1]);
  return kept;
}

function decodeQueryName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * The query string with the provider's credential parameter: every parameter of the same
 * (decoded) name is removed, the rest is kept byte for byte, and `name=value` is appended.
 * `query` is without "?" (null = none).
 */
export function applyQueryCredential(query: string | null, credential: UpstreamCredential): string {
  if (FORBIDDEN_CHARS.test(credential.name) || FORBIDDEN_CHARS.test(credential.value))
    throw new TypeError('refusing a query credential with CR/LF/NUL');
  const kept =
    query === null || query === ''
      ? []
      : query.split('&').filter((pair) => decodeQueryName(pair.split('=', 1)[0]) !== credential.name);
  kept.push(`${encodeURIComponent(credential.name)}=${encodeURIComponent(credential.value)}`);
  return kept.join('&');
}

export interface FilteredResponseHeaders {
  /** The headers to send, as a flat [name, value, …] list: names lower-cased, order and duplicates kept. */
  headers: string[];
  /** X-Portico-Billing-Units as reported by the upstream (its first one), or null when absent or not a valid count. */
  billingUnits: number | null;
  /** The upstream's Content-Length (its last one), or undefined when it sent none. */
  contentLength: number | undefined;
  /** The upstream closes its connection after this response (`Connection: close`). */
  closes: boolean;
}

const CLOSE_TOKEN = /(?:^|,)\s*close\s*(?:,|$)/i;

/**
 * Upstream response headers made fit for the consumer (see the module comment), read straight from
 * undici's raw [name, value, …] buffers: one pass, no header object built (the list goes to
 * `writeHead` as it is).
 */
export function filterResponseHeaders(rawHeaders: readonly Buffer[]): FilteredResponseHeaders {
  let headers: string[] = [];
  let listed: Set<string> | null = null;
  let billingUnits: number | null | undefined;
  let contentLength: number | undefined;
  let closes = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    // lower-cased; well-known names come back as interned strings, without a copy
    const name = undiciUtil.headerNameToString(rawHeaders[i]);
    const value = rawHeaders[i + 1].toString('latin1');
    if (name === 'connection') {
      listed = addConnectionTokens(value, listed);
      closes ||= CLOSE_TOKEN.test(value);
      continue;
    }
    if (name === BILLING_UNITS_HEADER) {
      if (billingUnits === undefined) billingUnits = parseBillingUnits(value);
      continue;
    }
    if (HOP_BY_HOP_HEADERS.has(name) || RESPONSE_DROPPED.has(name) || name.startsWith(PORTICO_PREFIX))
      continue;
    if (name === 'content-length') contentLength = Number(value);
    headers.push(name, value);
  }
  if (listed) headers = withoutListed(headers, listed);
  return { headers, billingUnits: billingUnits ?? null, contentLength, closes };
}

function parseBillingUnits(value: string): number | null {
  const text = value.trim();
  if (!/^\d{1,7}$/.test(text)) return null;
  const units = Number(text);
  return units <= MAX_BILLING_UNITS ? units : null;
}
