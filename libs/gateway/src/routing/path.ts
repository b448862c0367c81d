import { AppError } from '@app/common';

/**
 * Request-target hygiene for the gateway (DESIGN §3, issue 4 "paths never escape the API's
 * mount"). The upstream origin is fixed by the listing; this module makes sure the path part of
 * the call can only name something under the provider's base path.
 *
 * Rejected with 400 `invalid_path` (ambiguous: different servers read them differently):
 *   - anything but origin-form (`/…`): absolute-form `http://evil/…`, authority-form, `*`;
 *   - control characters (raw or `%00`–`%1F`, `%7F`), spaces, `#`, non-Latin-1 characters;
 *   - backslashes, raw or `%5C`;
 *   - encoded slashes `%2F` (unless `allowEncodedSlash`, for GitLab-style ids, and then never
 *     where a piece between decoded slashes is a dot segment);
 *   - double encoding of `.`, `/`, `\` or `%` (`%252e`, `%252f`, `%255c`, `%2525`);
 *   - malformed percent-encoding (`%zz`, `%4`);
 *   - targets longer than `maxLength` (default 8 KiB).
 * Normalised:
 *   - dot segments `.` and `..`, raw or percent-encoded in any case (`%2e%2E`, `.%2E`), are
 *     resolved as RFC 3986 §5.2.4 does, clamped at the API's mount: `/a/../../b` → `/b`;
 *   - repeated slashes collapse (`//host/x` → `/host/x`), so no segment can read as an authority;
 *   - bytes above 0x7E (Latin-1 as node's parser hands them over) are percent-encoded.
 * The query string is kept byte for byte (only control characters and `#` refuse it).
 */
export interface PathOptions {
  /** Longest accepted request target after the API slug, in characters. Default 8192. */
  maxLength?: number;
  /** Keep `%2F` inside segments (an upstream that identifies resources by encoded paths). Default false. */
  allowEncodedSlash?: boolean;
}

export interface UpstreamTarget {
  /** The path to send upstream: the base path joined with the normalised path, always under the base. */
  path: string;
  /** The query string without `?`, exactly as received; null when there was no `?`. */
  query: string | null;
  /** `path` plus `?query` when there was one: the request target for the upstream. */
  target: string;
}

export const DEFAULT_MAX_TARGET_LENGTH = 8192;

function invalid(detail: string): AppError {
  return new AppError(
    'invalid_path',
    `${detail} Send the path as plain /segments under the API, e.g. /users/42?limit=10.`,
  );
}

const HEX = /^[0-9A-Fa-f]{2}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Normalises the raw request target that follows `/{api-slug}` (e.g. `/users/42?x=1`, `?x=1` or
 * ``) and joins it with the provider's base path (`/v1`, `` for none). Throws AppError
 * `invalid_path` for the rejected forms above.
 */
export function resolveUpstreamPath(
  rawTarget: string,
  basePath: string,
  options: PathOptions = {},
): UpstreamTarget {
  const maxLength = options.maxLength ?? DEFAULT_MAX_TARGET_LENGTH;
  if (rawTarget.length > maxLength) throw invalid(`The request path is longer than ${maxLength} characters.`);
  const questionMark = rawTarget.indexOf('?');
  const rawPath = questionMark === -1 ? rawTarget : rawTarget.slice(0, questionMark);
  const query = questionMark === -1 ? null : rawTarget.slice(questionMark + 1);
  if (query !== null && (CONTROL.test(query) || query.includes('#'))) {
    throw invalid('The query string contains a control character (CR, LF, NUL …) or a fragment (#).');
  }
  if (rawPath !== '' && !rawPath.startsWith('/')) {
    throw invalid(
      'The request target must be a path starting with "/" (absolute-form and authority-form targets are refused).',
    );
  }
  const base = normaliseBase(basePath);
  const tail = PLAIN_PATH.test(rawPath)
    ? rawPath
    : joinSegments(normaliseSegments(rawPath, options.allowEncodedSlash === true));
  const path = base + tail || '/';
  return { path, query, target: query === null ? path : `${path}?${query}` };
}

/**
 * A path that normalises to itself (the common case, checked by one RegExp): "/"-separated
 * non-empty segments of unreserved and sub-delimiter characters (no "%", no backslash), none of them
 * "." or "..", maybe a trailing slash.
 */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[\w\-.~!$&'()*+,;=:@]+)*\/?$/;

function joinSegments(segments: string[] | null): string {
  return segments === null ? '' : `/${segments.join('/')}`;
}

/** The decoded-for-comparison form of a segment: `%2e`/`%2E` read as `.` (only dots matter here). */
function dotForm(segment: string): string {
  return segment.replace(/%2e/gi, '.');
}

/**
 * Segments of the normalised path (empty string entries for a trailing slash), or null for an
 * empty path. Throws for the rejected forms.
 */
function normaliseSegments(rawPath: string, allowEncodedSlash: boolean): string[] | null {
  if (rawPath === '') return null;
  const output: string[] = [];
  const pieces = rawPath.slice(1).split('/');
  for (let i = 0; i < pieces.length; i++) {
    const isLast = i === pieces.length - 1;
    const segment = canonicalSegment(pieces[i], allowEncodedSlash);
    if (segment === '' && !isLast) continue; // collapse "//"
    const dots = dotForm(segment);
    if (dots === '.') {
      if (isLast) output.push('');
      continue;
    }
    if (dots === '..') {
      output.pop();
      if (isLast) output.push('');
      continue;
    }
    output.push(segment);
  }
  return output;
}

/** Validates one raw segment and returns it with non-ASCII bytes percent-encoded. */
function canonicalSegment(raw: string, allowEncodedSlash: boolean): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    const code = raw.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) throw invalid('The path contains a control character (CR, LF, NUL …).');
    if (ch === '\\') throw invalid('The path contains a backslash.');
    if (ch === ' ' || ch === '#') throw invalid('The path contains a space or a fragment (#).');
    if (code > 0xff) throw invalid('The path contains characters that are not percent-encoded UTF-8.');
    if (ch === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex))
        throw invalid(
          'The path contains a malformed percent-encoding (a "%" not followed by two hex digits).',
        );
      const byte = parseInt(hex, 16);
      if (byte < 0x20 || byte === 0x7f)
        throw invalid('The path contains an encoded control character (%00–%1F, %7F).');
      if (byte === 0x5c) throw invalid('The path contains an encoded backslash (%5C).');
      if (byte === 0x2f && !allowEncodedSlash)
        throw invalid('The path contains an encoded slash (%2F), which upstream servers read differently.');
      if (byte === 0x25) {
        const next = raw.slice(i + 3, i + 5).toLowerCase();
        if (next === '2e' || next === '2f' || next === '5c' || next === '25') {
          throw invalid('The path contains a double percent-encoding (%252E, %252F, %255C, %2525).');
        }
      }
      out += `%${hex.toUpperCase()}`;
      i += 2;
      continue;
    }
    out += code > 0x7e ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  if (allowEncodedSlash && /%2F/.test(out)) {
    // an upstream that decodes %2F must not find a dot segment between the decoded slashes
    const parts = out.split('%2F').map(dotForm);
    if (parts.some((part) => part === '.' || part === '..'))
      throw invalid('The path hides a dot segment behind an encoded slash (%2F).');
  }
  return out;
}

/** The provider's base path as a "/a/b" prefix without trailing slash, or "" for the root. */
function normaliseBase(basePath: string): string {
  if (basePath === '' || basePath === '/') return '';
  const segments = normaliseSegments(basePath.startsWith('/') ? basePath : `/${basePath}`, false) ?? [];
  const kept = segments.filter((segment, i) => segment !== '' || i < segments.length - 1);
  return kept.length === 0 ? '' : `/${kept.join('/')}`;
}

export interface GatewayTarget {
  /** The API slug (first path segment), lower-case letters, digits and dashes. */
  slug: string;
  /** Everything after the slug, starting with "/" or "?" or empty: the input of resolveUpstreamPath. */
  rest: string;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;

/**
 * Splits a gateway request URL (`/{api-slug}/{path...}`) into the slug and the rest. Returns null
 * when the first segment is not a slug (the caller answers api_not_found); throws invalid_path
 * for a target that is not origin-form.
 */
export function splitGatewayTarget(rawUrl: string): GatewayTarget | null {
  if (!rawUrl.startsWith('/') || rawUrl.startsWith('//')) {
    throw invalid(
      'The request target must be a path starting with a single "/" (absolute-form and authority-form targets are refused).',
    );
  }
  let end = 1;
  while (end < rawUrl.length && rawUrl[end] !== '/' && rawUrl[end] !== '?') end++;
  const slug = rawUrl.slice(1, end);
  if (!SLUG.test(slug)) return null;
  return { slug, rest: rawUrl.slice(end) };
}
