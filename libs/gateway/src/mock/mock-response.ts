import { LRUCache } from 'lru-cache';
import { sample } from 'openapi-sampler';

/**
 * Sandbox mocks (DESIGN §3 step 5): an `mp_test_` call to an API without a sandbox URL is answered
 * from the endpoint's stored OpenAPI responses (libs/catalog endpoint-extraction: dereferenced,
 * Swagger 2.0 converted to 3.0, bounded, circular references left as `$ref`, cut parts replaced by
 * `{"x-portico-truncated": …}`).
 *
 *   - status: the lowest explicit 2xx, else `2XX`, else `default` (as 200), else 200 with no body;
 *     204, 205 and 304 never carry a body;
 *   - media type: the best match for `Accept` (q-values; an exact range over `type/*` over the
 *     any-type range; ties go to JSON-like, then document order), else the first JSON-like one,
 *     else the first;
 *   - body: the media type's `example`, else the first of its `examples` with a `value` (never an
 *     `externalValue`: nothing is fetched), else openapi-sampler's sample of its `schema` (read-only
 *     properties skipped; XML for XML media types); none of them → no body;
 *   - JSON media types get JSON; a string example that is itself JSON text (`"{…}"`, `"[…]"`, as
 *     Swagger 2.0 documents often write them) is sent as is; other media types get strings as is
 *     and anything else as JSON.
 * Never throws: a document that gives nothing usable (a body over 256 KiB, a schema whose sample
 * would be too large, anything that throws) answers 200 `{}` with `fallback` saying why.
 */
export interface MockableEndpoint {
  method: string;
  path: string;
  /** The stored `responses` object: status code → response object (`content` → media type → example/examples/schema). */
  responses: Record<string, unknown>;
}

export interface MockResponse {
  status: number;
  /** Null when there is no body. */
  contentType: string | null;
  body: Buffer;
  /** Where the body came from (always set by buildMockResponse). */
  source?: MockSource;
  /** Set when the generic fallback was answered instead of what the document describes. */
  fallback?: MockFallbackReason;
}

export type MockSource = 'example' | 'examples' | 'schema' | 'empty' | 'fallback';
/** `too_large`: over MAX_MOCK_BODY_BYTES (or a sample that would be); `unusable`: anything else went wrong. */
export type MockFallbackReason = 'too_large' | 'unusable';

/** The response and media type a call gets: what a cache of built mocks is keyed by (with the endpoint id). */
export interface MockVariant {
  status: number;
  /** The key in `responses` (`200`, `2XX`, `default`), null when none applies. */
  statusKey: string | null;
  /** The key in the response's `content`, null when there is no content. */
  mediaTypeKey: string | null;
}

export const MAX_MOCK_BODY_BYTES = 256 * 1024;

/** Where libs/catalog's bounded copy cut the stored JSON (its TRUNCATED_MARKER_KEY). */
const TRUNCATED_MARKER = 'x-portico-truncated';
const NO_BODY_STATUSES = new Set([204, 205, 304]);
const EMPTY = Buffer.alloc(0);

/** The sampler's options: read-only properties are not in responses; warnings off; depth bounded. */
const SAMPLE_DEPTH = 10;
/** Bounds of the schema copy handed to the sampler, and of the sample it may produce. */
const SCHEMA_LIMITS = {
  maxDepth: 40,
  maxNodes: 20_000,
  maxMinItems: 3,
  maxMinLength: 1024,
  maxSampleValues: 50_000,
};

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class MockTooLarge extends Error {}

export function buildMockResponse(endpoint: MockableEndpoint, accept?: string): MockResponse {
  try {
    const variant = selectMockVariant(endpoint, accept);
    return build(endpoint, variant);
  } catch (error) {
    return fallbackResponse(error instanceof MockTooLarge ? 'too_large' : 'unusable');
  }
}

/** The generic answer when the document gives nothing usable. */
export function fallbackResponse(reason: MockFallbackReason): MockResponse {
  return {
    status: 200,
    contentType: 'application/json',
    body: Buffer.from('{}'),
    source: 'fallback',
    fallback: reason,
  };
}

/** Picks the status and media type for a call (cheap: no sampling, no serialisation). Never throws. */
export function selectMockVariant(endpoint: MockableEndpoint, accept?: string): MockVariant {
  try {
    const responses = isObject(endpoint.responses) ? endpoint.responses : {};
    const statusKey = pickStatusKey(responses);
    if (statusKey === null) return { status: 200, statusKey: null, mediaTypeKey: null };
    const status = /^[1-5]\d\d$/.test(statusKey) ? Number(statusKey) : 200;
    const response = responses[statusKey];
    const content = isObject(response) && isObject(response.content) ? response.content : null;
    const mediaTypeKey =
      NO_BODY_STATUSES.has(status) || content === null ? null : pickMediaType(content, accept);
    return { status, statusKey, mediaTypeKey };
  } catch {
    return { status: 200, statusKey: null, mediaTypeKey: null };
  }
}

/**
 * Memoises built mocks per (endpoint id, status, media type), LRU-bounded. Bodies are shared
 * between calls: never write into them. Endpoint ids change with every imported version, so
 * entries of replaced versions simply age out; `clear()` drops everything.
 */
export class MockResponseCache {
  private readonly cache: LRUCache<string, MockResponse>;

  constructor(maxEntries = 2_000) {
    this.cache = new LRUCache({ max: maxEntries });
  }

  get(endpointId: string, endpoint: MockableEndpoint, accept?: string): MockResponse {
    const variant = selectMockVariant(endpoint, accept);
    const key = `${endpointId}\n${variant.statusKey ?? ''}\n${variant.mediaTypeKey ?? ''}`;
    let response = this.cache.get(key);
    if (response === undefined) {
      try {
        response = build(endpoint, variant);
      } catch (error) {
        response = fallbackResponse(error instanceof MockTooLarge ? 'too_large' : 'unusable');
      }
      this.cache.set(key, response);
    }
    return response;
  }

  clear(): void {
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }
}

function build(endpoint: MockableEndpoint, variant: MockVariant): MockResponse {
  const { status, statusKey, mediaTypeKey } = variant;
  if (statusKey === null || mediaTypeKey === null) {
    return { status, contentType: null, body: EMPTY, source: 'empty' };
  }
  const response = endpoint.responses[statusKey] as Json;
  const media = (response.content as Json)[mediaTypeKey];
  const essence = mediaEssence(mediaTypeKey);
  const produced = isObject(media) ? bodyValue(media, essence) : null;
  if (produced === null) return { status, contentType: null, body: EMPTY, source: 'empty' };
  const body = serialise(produced.value, essence, produced.source === 'schema' && isXml(essence));
  if (body.length > MAX_MOCK_BODY_BYTES) throw new MockTooLarge();
  return {
    status,
    contentType: contentTypeFor(mediaTypeKey, essence, produced.value),
    body,
    source: produced.source,
  };
}

function pickStatusKey(responses: Json): string | null {
  let lowest: string | null = null;
  let range: string | null = null;
  let fallback: string | null = null;
  for (const key of Object.keys(responses)) {
    if (/^2\d\d$/.test(key)) {
      if (lowest === null || Number(key) < Number(lowest)) lowest = key;
    } else if (/^2xx$/i.test(key)) range = key;
    else if (key === 'default') fallback = key;
  }
  return lowest ?? range ?? fallback;
}

// ---- media types ---------------------------------------------------------------------------------

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(
  `^(${TOKEN})/(${TOKEN})((?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\r\\n]*"))*)[ \\t]*$`,
);

/** `type/subtype` lower-cased of a content key (`text/csv, text/x-csv` reads as its first), or null when it is not a media type. */
function mediaEssence(key: string): string | null {
  const first = key.split(',')[0].trim();
  const match = MEDIA_TYPE.exec(first);
  return match ? `${match[1]}/${match[2]}`.toLowerCase() : null;
}

function isJson(essence: string | null): boolean {
  return (
    essence !== null &&
    (essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json'))
  );
}

function isXml(essence: string | null): boolean {
  return (
    essence !== null && (essence === 'application/xml' || essence === 'text/xml' || essence.endsWith('+xml'))
  );
}

interface AcceptRange {
  type: string;
  subtype: string;
  q: number;
}

const MAX_ACCEPT_RANGES = 32;

function parseAccept(accept: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  for (const part of accept.split(',', MAX_ACCEPT_RANGES)) {
    const [range, ...params] = part.split(';');
    const slash = range.indexOf('/');
    if (slash === -1) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=');
      if (name?.trim().toLowerCase() === 'q') {
        const parsed = Number(value?.trim());
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({
      type: range.slice(0, slash).trim().toLowerCase(),
      subtype: range
        .slice(slash + 1)
        .trim()
        .toLowerCase(),
      q,
    });
  }
  return ranges;
}

/**
 * q and specificity (3 exact, 2 `type/*`, 1 any type) of the most specific Accept range matching
 * a media type; content keys may be ranges too.
 */
function acceptance(essence: string, ranges: AcceptRange[]): { q: number; specificity: number } {
  const [type, subtype] = essence.split('/');
  let best = { q: 0, specificity: 0 };
  for (const range of ranges) {
    let specificity = 0;
    if (range.type === '*' && range.subtype === '*') specificity = 1;
    else if (range.type === type && range.subtype === '*') specificity = 2;
    else if (range.type === type && range.subtype === subtype) specificity = 3;
    else if (type === '*' || (range.type === type && subtype === '*')) specificity = 1;
    if (specificity > best.specificity) best = { q: range.q, specificity };
  }
  return best;
}

function pickMediaType(content: Json, accept: string | undefined): string | null {
  const candidates: { key: string; essence: string; json: boolean; q: number; specificity: number }[] = [];
  const ranges = accept === undefined || accept.trim() === '' ? [] : parseAccept(accept);
  for (const key of Object.keys(content)) {
    const essence = mediaEssence(key);
    if (essence === null || !isObject(content[key])) continue;
    const { q, specificity } = ranges.length > 0 ? acceptance(essence, ranges) : { q: 0, specificity: 0 };
    candidates.push({ key, essence, json: isJson(essence), q, specificity });
  }
  if (candidates.length === 0) return null;
  let best: (typeof candidates)[number] | null = null;
  for (const candidate of candidates) {
    if (candidate.q <= 0) continue;
    if (
      best === null ||
      candidate.q > best.q ||
      (candidate.q === best.q && candidate.specificity > best.specificity) ||
      (candidate.q === best.q && candidate.specificity === best.specificity && candidate.json && !best.json)
    )
      best = candidate;
  }
  return (best ?? candidates.find((c) => c.json) ?? candidates[0]).key;
}

/** The Content-Type to send: the content key as written (its first entry), made concrete when it is a range. */
function contentTypeFor(key: string, essence: string | null, value: unknown): string {
  if (essence === null) return 'application/octet-stream';
  const [type, subtype] = essence.split('/');
  if (type === '*' || subtype === '*') {
    if (typeof value !== 'string') return 'application/json';
    return type === 'text' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
  }
  return key.split(',')[0].trim();
}

// ---- body ----------------------------------------------------------------------------------------

function isMarker(value: unknown): boolean {
  return isObject(value) && Object.prototype.hasOwnProperty.call(value, TRUNCATED_MARKER);
}

function bodyValue(media: Json, essence: string | null): { value: unknown; source: MockSource } | null {
  if (
    Object.prototype.hasOwnProperty.call(media, 'example') &&
    media.example !== undefined &&
    !isMarker(media.example)
  ) {
    return { value: media.example, source: 'example' };
  }
  if (isObject(media.examples)) {
    for (const example of Object.values(media.examples)) {
      if (
        isObject(example) &&
        Object.prototype.hasOwnProperty.call(example, 'value') &&
        !isMarker(example.value)
      ) {
        return { value: example.value, source: 'examples' };
      }
    }
  }
  if (isObject(media.schema) && !isMarker(media.schema)) {
    const schema = sanitiseSchema(media.schema);
    if (estimateSample(schema) > SCHEMA_LIMITS.maxSampleValues) throw new MockTooLarge();
    const value = sample(schema as Parameters<typeof sample>[0], {
      skipReadOnly: true,
      quiet: true,
      maxSampleDepth: SAMPLE_DEPTH,
      ...(isXml(essence) ? { format: 'xml' as const } : {}),
    });
    return { value, source: 'schema' };
  }
  return null;
}

const JSON_TEXT = /^\s*[[{]/;

function serialise(value: unknown, essence: string | null, xmlSample: boolean): Buffer {
  if (typeof value === 'string') {
    if (xmlSample || !isJson(essence)) return Buffer.from(value, 'utf8');
    if (JSON_TEXT.test(value) && isJsonText(value)) return Buffer.from(value, 'utf8');
  }
  const text = JSON.stringify(value) as string | undefined;
  return Buffer.from(text ?? 'null', 'utf8');
}

function isJsonText(text: string): boolean {
  if (text.length > MAX_MOCK_BODY_BYTES) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---- schema → sampler input ----------------------------------------------------------------------

interface SanitiseState {
  nodes: number;
  path: Set<object>;
}

/**
 * A copy of a stored schema the sampler can take: `$ref`s left in place (circular ones) and cut
 * parts become `{}` (the sampler would want the whole document for a `$ref`), in-memory cycles and
 * anything deeper than maxDepth too; `minItems`/`minLength` are clamped so a hostile
 * `minItems: 1e9` cannot make a giant sample.
 */
function sanitiseSchema(schema: unknown): unknown {
  return sanitise(schema, 0, { nodes: 0, path: new Set() });
}

function sanitise(node: unknown, depth: number, state: SanitiseState): unknown {
  if (typeof node !== 'object' || node === null) return node;
  state.nodes += 1;
  if (state.nodes > SCHEMA_LIMITS.maxNodes) throw new MockTooLarge();
  if (depth > SCHEMA_LIMITS.maxDepth || state.path.has(node) || isMarker(node)) return {};
  state.path.add(node);
  let copy: unknown;
  if (Array.isArray(node)) {
    copy = node.map((item) => sanitise(item, depth + 1, state));
  } else {
    const out: Json = {};
    for (const [key, value] of Object.entries(node as Json)) {
      if (key === '$ref' && typeof value === 'string') continue;
      let next = sanitise(value, depth + 1, state);
      if (key === 'minItems' && typeof next === 'number') next = Math.min(next, SCHEMA_LIMITS.maxMinItems);
      if (key === 'minLength' && typeof next === 'number') next = Math.min(next, SCHEMA_LIMITS.maxMinLength);
      Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
    }
    copy = out;
  }
  state.path.delete(node);
  return copy;
}

/**
 * An upper bound of the values the sampler will produce for a sanitised schema (arrays of at most
 * maxMinItems items, two `additionalProperties` entries per map), stopping once over the limit,
 * so it costs at most the limit.
 */
function estimateSample(schema: unknown): number {
  const budget = { used: 0 };
  countSample(schema, 1, budget);
  return budget.used;
}

function countSample(schema: unknown, depth: number, budget: { used: number }): void {
  if (budget.used > SCHEMA_LIMITS.maxSampleValues) return;
  budget.used += 1;
  if (!isObject(schema) || depth > SAMPLE_DEPTH + 1) return;
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    if (key === 'allOf') for (const part of list) countSample(part, depth, budget);
    else if (list.length > 0) countSample(list[0], depth, budget);
  }
  if (isObject(schema.properties)) {
    for (const property of Object.values(schema.properties)) countSample(property, depth + 1, budget);
  }
  if (isObject(schema.additionalProperties)) {
    countSample(schema.additionalProperties, depth + 1, budget);
    countSample(schema.additionalProperties, depth + 1, budget);
  }
  const items = schema.prefixItems ?? schema.items ?? schema.contains;
  if (Array.isArray(items)) {
    for (const item of items) countSample(item, depth + 1, budget);
  } else if (isObject(items)) {
    const minItems = typeof schema.minItems === 'number' && schema.minItems > 1 ? schema.minItems : 1;
    for (let i = 0; i < Math.ceil(minItems); i++) countSample(items, depth + 1, budget);
  }
}
