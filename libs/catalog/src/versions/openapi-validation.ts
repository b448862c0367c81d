import type { DocumentProblem } from './openapi-import.errors';
import { cloneJson, dereferenceAsValidated, validateWithParser } from './openapi-parser.adapter';
import { escapePointerToken, isPlainObject, parsePointer, toPointer, valueAt } from './json-pointer';

export interface ValidationOutcome {
  /** Empty when the document is valid. */
  problems: DocumentProblem[];
  /** Errors the parser counted but did not detail (it caps very large invalid documents at 20). */
  additionalErrors: number;
  warnings: string[];
}

/**
 * Validates with @readme/openapi-parser (the JSON Schema of the specification plus its own checks:
 * duplicate operationIds, path parameters, …) and locates every error with a JSON pointer into
 * the document as uploaded.
 *
 * The parser reports messages only. Schema errors carry a code frame of the document it validated
 * (dereferenced, named schemas kept as `$ref`s) printed with two-space indentation; the line it
 * marks is mapped back to a pointer by walking that same document the way JSON.stringify lays it
 * out, then the pointer is rewritten through the `$ref`s of the original (an error inside a shared
 * parameter or response is reported once, where it is defined). The parser's own checks name their location in the message (`/paths/pets/{id}/get`).
 */
export async function validateDocument(document: Record<string, unknown>): Promise<ValidationOutcome> {
  let result;
  try {
    result = await validateWithParser(cloneJson(document));
  } catch (error) {
    return { problems: [{ pointer: '', message: parserFailure(error) }], additionalErrors: 0, warnings: [] };
  }
  const warnings = result.warnings.map((w) => w.message);
  if (result.valid) return { problems: [], additionalErrors: 0, warnings };

  const parsed = result.errors.map((error) => parseMessage(error.message));
  const lines = new Set(parsed.flatMap((p) => (p.line === undefined ? [] : [p.line])));
  let lineTokens = new Map<number, string[]>();
  if (lines.size > 0) {
    try {
      lineTokens = tokensAtLines(await dereferenceAsValidated(cloneJson(document)), lines);
    } catch {
      // the pointers fall back to the document root; the messages still say what is wrong
    }
  }
  const problems: DocumentProblem[] = [];
  for (const p of parsed) {
    if (p.line !== undefined) {
      const tokens = lineTokens.get(p.line);
      const base = tokens ? toDocumentPointer(document, tokens) : '';
      problems.push({
        pointer: p.missingProperty ? `${base}/${escapePointerToken(p.missingProperty)}` : base,
        message: p.message,
      });
    } else {
      for (const pointer of locateSpecMessage(document, p.message))
        problems.push({ pointer, message: p.message });
    }
  }
  return { problems: dedupe(problems), additionalErrors: result.additionalErrors, warnings };
}

function parserFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'TimeoutError')
    return `the document took too long to process (${message})`;
  if (error instanceof RangeError) return 'the document is nested too deeply to process';
  return `the document could not be processed: ${message}`;
}

interface ParsedMessage {
  message: string;
  /** Line of the error in the parser's code frame (two-space JSON of the dereferenced document). */
  line?: number;
  missingProperty?: string;
}

/** `REQUIRED must have required property 'responses'\n\n  8 | …\n> 9 | …\n    | ^ responses is missing here!` */
export function parseMessage(raw: string): ParsedMessage {
  const frame = /^>\s*(\d+)\s*\|/m.exec(raw);
  if (!frame) return { message: raw.trim() };
  const headline = raw
    .slice(0, raw.indexOf('\n\n') >= 0 ? raw.indexOf('\n\n') : raw.length)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  let message = headline.replace(/^[A-Z][A-Z ]*[A-Z] (?=[a-z])/, '');
  const hint = /^\s*\|\s*\^+\s*(Did you mean .*?)(?: here\?)?\s*$/m.exec(raw.slice(frame.index));
  if (hint) message += `; d${hint[1].slice(1)}?`;
  const required = /must have required property '([^']+)'/.exec(headline);
  return { message, line: Number(frame[1]), ...(required ? { missingProperty: required[1] } : {}) };
}

/**
 * Maps line numbers of `JSON.stringify(root, null, 2)` to the pointer tokens of the value that
 * starts on that line, without building the (possibly very large) string. Stops after the last
 * wanted line.
 */
export function tokensAtLines(root: unknown, wanted: ReadonlySet<number>): Map<number, string[]> {
  const found = new Map<number, string[]>();
  const last = Math.max(...wanted);
  const tokens: string[] = [];
  let line = 1;
  const visit = (value: unknown): boolean => {
    if (wanted.has(line) && !found.has(line)) found.set(line, [...tokens]);
    if (line > last) return false;
    if (Array.isArray(value)) {
      if (value.length === 0) return true;
      for (let i = 0; i < value.length; i++) {
        line += 1;
        tokens.push(String(i));
        const more = visit(value[i]);
        tokens.pop();
        if (!more) return false;
      }
      line += 1;
      return true;
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value).filter((key) => isSerialized(value[key]));
      if (keys.length === 0) return true;
      for (const key of keys) {
        line += 1;
        tokens.push(key);
        const more = visit(value[key]);
        tokens.pop();
        if (!more) return false;
      }
      line += 1;
    }
    return true;
  };
  visit(root);
  return found;
}

function isSerialized(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

const MAX_REF_HOPS = 32;

/** Follows internal `$ref`s of `node` unless `nextToken` is a sibling of the `$ref` (OpenAPI 3.1). */
function followRefs(
  document: Record<string, unknown>,
  node: unknown,
  base: string[],
  nextToken: string | undefined,
): { node: unknown; base: string[] } {
  let current = node;
  let at = base;
  for (let hop = 0; hop < MAX_REF_HOPS; hop++) {
    if (!isPlainObject(current) || typeof current.$ref !== 'string' || !current.$ref.startsWith('#')) break;
    if (
      nextToken !== undefined &&
      nextToken !== '$ref' &&
      Object.prototype.hasOwnProperty.call(current, nextToken)
    )
      break;
    if (nextToken === '$ref') break;
    const target = parsePointer(current.$ref);
    const resolved = valueAt(document, target);
    if (resolved === undefined) break;
    current = resolved;
    at = target;
  }
  return { node: current, base: at };
}

/**
 * Rewrites a pointer into the dereferenced document as a pointer into the document as uploaded,
 * following its `$ref`s: `/paths/~1pets/get/responses/200/content/application~1json/schema/type`
 * becomes `/components/schemas/Pet/type` when that schema is a `$ref` to Pet.
 */
export function toDocumentPointer(document: Record<string, unknown>, tokens: readonly string[]): string {
  let node: unknown = document;
  let base: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    ({ node, base } = followRefs(document, node, base, token));
    const child: unknown = Array.isArray(node)
      ? (node as unknown[])[Number(token)]
      : isPlainObject(node) && Object.prototype.hasOwnProperty.call(node, token)
        ? node[token]
        : undefined;
    if (child === undefined) return toPointer([...base, ...tokens.slice(i)]);
    base = [...base, token];
    node = child;
  }
  return toPointer(base);
}

/**
 * Resolves a location the parser prints unescaped (`/paths/pets/{id}/get/parameters/id`) against
 * the document: path keys contain slashes, and parameters are named rather than indexed. Returns
 * the pointer of the deepest part that exists.
 */
export function resolveLooseLocation(document: Record<string, unknown>, location: string): string {
  const segments = location.split('/').slice(1);
  let node: unknown = document;
  let base: string[] = [];
  let i = 0;
  outer: while (i < segments.length) {
    ({ node, base } = followRefs(document, node, base, undefined));
    if (Array.isArray(node)) {
      const segment = segments[i];
      let index = /^\d+$/.test(segment) ? Number(segment) : -1;
      if (index < 0) {
        index = node.findIndex((item) => {
          const resolved = followRefs(document, item, [], undefined).node;
          return isPlainObject(resolved) && resolved.name === segment;
        });
      }
      if (index < 0 || index >= node.length) break;
      base = [...base, String(index)];
      node = node[index];
      i += 1;
      continue;
    }
    if (!isPlainObject(node)) break;
    for (let j = segments.length; j > i; j--) {
      const joined = segments.slice(i, j).join('/');
      for (const key of [joined, `/${joined}`]) {
        if (Object.prototype.hasOwnProperty.call(node, key)) {
          base = [...base, key];
          node = node[key];
          i = j;
          continue outer;
        }
      }
    }
    break;
  }
  return toPointer(base);
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Pointers for one of the parser's own (non-schema) messages. */
export function locateSpecMessage(document: Record<string, unknown>, message: string): string[] {
  const duplicateId = /The operationId `([^`]*)` is duplicated/.exec(message);
  if (duplicateId) {
    const holders = operations(document).filter((op) => op.operation.operationId === duplicateId[1]);
    return [
      holders.length > 1 ? `${toPointer(['paths', holders[1].path, holders[1].method])}/operationId` : '',
    ];
  }
  if (/`paths` object must begin with a leading slash/.test(message)) {
    const paths = isPlainObject(document.paths) ? Object.keys(document.paths) : [];
    const bad = paths.find((key) => !key.startsWith('/'));
    return [bad === undefined ? '/paths' : toPointer(['paths', bad])];
  }
  const missing = /Missing \$ref pointer "([^"]*)"/.exec(message);
  if (missing) {
    const holders = refHolders(document, missing[1]);
    return holders.length > 0 ? holders.slice(0, 20) : [''];
  }
  const location =
    /`(\/(?:paths|components|definitions|parameters|responses|securityDefinitions|webhooks)\/[^`]*)`/.exec(
      message,
    );
  if (location) return [resolveLooseLocation(document, location[1])];
  return [''];
}

function operations(
  document: Record<string, unknown>,
): { path: string; method: string; operation: Record<string, unknown> }[] {
  const out: { path: string; method: string; operation: Record<string, unknown> }[] = [];
  if (!isPlainObject(document.paths)) return out;
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isPlainObject(item)) continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (isPlainObject(operation)) out.push({ path, method, operation });
    }
  }
  return out;
}

/** Pointers of the `$ref` members whose value is `ref` (iterative walk). */
function refHolders(document: Record<string, unknown>, ref: string): string[] {
  const out: string[] = [];
  const stack: { node: unknown; path: string[] }[] = [{ node: document, path: [] }];
  while (stack.length > 0 && out.length < 20) {
    const { node, path } = stack.pop()!;
    if (Array.isArray(node))
      node.forEach((child, i) => stack.push({ node: child, path: [...path, String(i)] }));
    else if (isPlainObject(node)) {
      if (node.$ref === ref) out.push(toPointer([...path, '$ref']));
      for (const [key, child] of Object.entries(node))
        if (typeof child === 'object' && child !== null) stack.push({ node: child, path: [...path, key] });
    }
  }
  return out.sort();
}

function dedupe(problems: DocumentProblem[]): DocumentProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
