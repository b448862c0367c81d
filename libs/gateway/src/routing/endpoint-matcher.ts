/**
 * Request → endpoint matching for the gateway (which operation of the API's current version a call
 * is, for plan checks, endpoint limits and weights, usage and mocks).
 *
 * The endpoints' OpenAPI path templates are compiled once into a segment trie; a match walks it
 * segment by segment. Rules:
 *   - a literal segment beats a mixed one (`{name}.json`), which beats a bare parameter (`{id}`):
 *     `/pets/mine` wins over `/pets/{id}` (OpenAPI: concrete paths match before templated ones);
 *   - a parameter matches exactly one non-empty segment; in a mixed segment each parameter matches
 *     at least one character (never a `/`);
 *   - the method decides too: when the preferred branch has no operation for the method, the next
 *     branch is tried (`GET /pets/mine` reaches `GET /pets/{id}` when `/pets/mine` has only POST);
 *   - a trailing slash is tolerated on either side (`/pets/` ≡ `/pets`);
 *   - HEAD falls back to GET when no HEAD operation matches the path; methods compare case-insensitively;
 *   - literals compare on the form the gateway normalises requests to (`routing/path.ts`:
 *     non-ASCII percent-encoded), with `%XX` of printable ASCII read as the character itself on
 *     both sides (`%7E` ≡ `~`); an encoded `%2F` is an ordinary character inside one segment.
 * A match costs O(segments) in practice: each step is one Map lookup for the literal, then the
 * few templated children of that node. Falling back to a templated branch after a literal dead
 * end (the method or a deeper segment did not match) backtracks, but a trie node sits at one
 * depth and is reached by one edge, so a walk visits each node at most once: the worst case is
 * bounded by the trie's size, never exponential.
 */
export interface EndpointRoute {
  id: string;
  /** Upper-case HTTP method. */
  method: string;
  /** OpenAPI path template, e.g. `/pets/{petId}`. */
  path: string;
}

interface MixedEdge<T> {
  /** The literal texts around the parameters (canonical), e.g. `['', '.json']` for `{name}.json`. */
  literals: string[];
  /** `literals` joined with `{}`: two templates with the same shape share the edge. */
  key: string;
  /** Literal characters in the segment: more literal text is more specific and tried first. */
  literalLength: number;
  node: TrieNode<T>;
}

class TrieNode<T> {
  /** Canonical literal segment → child. */
  literal: Map<string, TrieNode<T>> | null = null;
  /** Segments mixing literal text and parameters, most specific first. */
  mixed: MixedEdge<T>[] | null = null;
  /** A bare `{param}` segment. */
  param: TrieNode<T> | null = null;
  /** Upper-case method → route, for templates ending here. */
  routes: Map<string, T> | null = null;
}

const PARAM = /\{[^{}/]+\}/g;
const BARE_PARAM = /^\{[^{}/]+\}$/;
const PERCENT = /%([0-9A-Fa-f]{2})/g;

/**
 * The form segments are compared in: `%XX` of a printable ASCII character other than `%` and `/`
 * decoded (`%7E` → `~`, `%7B` → `{`), every other `%XX` upper-cased. Requests arrive with
 * non-ASCII bytes already percent-encoded (routing/path.ts). No allocation without a `%`.
 */
function canonicalSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  return segment.replace(PERCENT, (_match, hex: string) => {
    const byte = parseInt(hex, 16);
    return byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x2f
      ? String.fromCharCode(byte)
      : `%${hex.toUpperCase()}`;
  });
}

/** A template's literal text as a client sends it, canonical: non-ASCII and control characters UTF-8 percent-encoded. */
function canonicalTemplateLiteral(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f) out += ch;
    else
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return canonicalSegment(out);
}

/**
 * Whether `segment` reads as `literals[0] {p} literals[1] {p} … literals[n]`, each parameter at
 * least one character. Leftmost placement of each middle literal is optimal (it leaves the most
 * room to the right), so this is linear in the segment per literal: no regular expression, no
 * backtracking blow-up on hostile templates like `{a}-{b}-{c}-{d}`.
 */
function matchesMixed(segment: string, literals: readonly string[]): boolean {
  const first = literals[0];
  const last = literals[literals.length - 1];
  if (!segment.startsWith(first)) return false;
  const limit = segment.length - last.length;
  if (limit < first.length || !segment.endsWith(last)) return false;
  let position = first.length;
  for (let i = 1; i < literals.length - 1; i++) {
    const at = segment.indexOf(literals[i], position + 1);
    if (at === -1 || at + literals[i].length > limit) return false;
    position = at + literals[i].length;
  }
  return limit - position >= 1;
}

/** Template path → segments, without the leading slash and a trailing empty segment. */
function templateSegments(path: string): string[] {
  const segments = (path.startsWith('/') ? path.slice(1) : path).split('/');
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

/**
 * Built once per API version. `T` is whatever endpoint objects it is given (at least an
 * EndpointRoute): `match` returns the very object that was passed in.
 */
export class EndpointMatcher<T extends EndpointRoute = EndpointRoute> {
  private readonly root = new TrieNode<T>();
  /** Endpoints that were not added because an earlier one had the same method and (equivalent) template. */
  readonly duplicates: readonly T[];

  constructor(endpoints: readonly T[]) {
    const duplicates: T[] = [];
    for (const endpoint of endpoints) {
      if (!this.add(endpoint)) duplicates.push(endpoint);
    }
    this.duplicates = duplicates;
  }

  /**
   * The endpoint for a normalised request path relative to the API's mount (`/pets/42`, starting
   * with `/`, percent-encoded, no query), or null when no template matches it with this method.
   */
  match(method: string, path: string): T | null {
    const upper = method.toUpperCase();
    // "/a/b/" → walk "a/b"; "/" or "" → the root
    let end = path.length;
    if (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
    const start = path.charCodeAt(0) === 0x2f ? 1 : 0;
    const found = this.walk(this.root, path, start, end, upper);
    if (found !== null || upper !== 'HEAD') return found;
    return this.walk(this.root, path, start, end, 'GET');
  }

  private add(endpoint: T): boolean {
    let node = this.root;
    for (const segment of templateSegments(endpoint.path)) node = this.child(node, segment);
    node.routes ??= new Map();
    const method = endpoint.method.toUpperCase();
    if (node.routes.has(method)) return false;
    node.routes.set(method, endpoint);
    return true;
  }

  private child(node: TrieNode<T>, segment: string): TrieNode<T> {
    if (BARE_PARAM.test(segment)) return (node.param ??= new TrieNode<T>());
    const parts = segment.split(PARAM);
    if (parts.length === 1) {
      const literalKey = canonicalTemplateLiteral(segment);
      node.literal ??= new Map();
      let next = node.literal.get(literalKey);
      if (!next) node.literal.set(literalKey, (next = new TrieNode<T>()));
      return next;
    }
    const literals = parts.map(canonicalTemplateLiteral);
    const key = literals.join('{}');
    node.mixed ??= [];
    const existing = node.mixed.find((edge) => edge.key === key);
    if (existing) return existing.node;
    const edge: MixedEdge<T> = {
      literals,
      key,
      literalLength: literals.reduce((sum, part) => sum + part.length, 0),
      node: new TrieNode<T>(),
    };
    node.mixed.push(edge);
    node.mixed.sort((a, b) => b.literalLength - a.literalLength);
    return edge.node;
  }

  /** Depth-first, most specific edge first, backtracking on a dead end. */
  private walk(node: TrieNode<T>, path: string, start: number, end: number, method: string): T | null {
    if (start >= end) return node.routes?.get(method) ?? null;
    let slash = path.indexOf('/', start);
    if (slash === -1 || slash > end) slash = end;
    const canonical = canonicalSegment(path.slice(start, slash));
    const next = slash + 1;
    if (node.literal !== null) {
      const child = node.literal.get(canonical);
      if (child !== undefined) {
        const found = this.walk(child, path, next, end, method);
        if (found !== null) return found;
      }
    }
    if (canonical.length === 0) return null;
    if (node.mixed !== null) {
      for (const edge of node.mixed) {
        if (!matchesMixed(canonical, edge.literals)) continue;
        const found = this.walk(edge.node, path, next, end, method);
        if (found !== null) return found;
      }
    }
    if (node.param !== null) return this.walk(node.param, path, next, end, method);
    return null;
  }
}
