import { compareCodeUnits } from '@app/common';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { documentTooLarge, invalidDocument, type DocumentProblem } from './openapi-import.errors';
import { formatMegabytes, OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';
import { isPlainObject, toPointer } from './json-pointer';

/** What an upload hands the importer: an already-parsed JSON body, or text (YAML or JSON). */
export type DocumentInput =
  { kind: 'object'; value: unknown } | { kind: 'text'; text: string; syntax: 'json' | 'yaml' | 'auto' };

export type SourceFormat = 'swagger-2.0' | 'openapi-3.0' | 'openapi-3.1';

export interface ReadDocument {
  document: Record<string, unknown>;
  sourceFormat: SourceFormat;
}

/**
 * Turns the upload into a plain object and checks what must hold before any parser sees it: it is
 * Swagger 2.0 or OpenAPI 3.0/3.1, it is not nested deeper than the parsers can recurse, and every
 * `$ref` is internal (`#/…`). External references (files, URLs) are refused, never fetched (SSRF).
 */
export function readDocument(input: DocumentInput): ReadDocument {
  const value = input.kind === 'object' ? input.value : parseText(input.text, input.syntax);
  if (!isPlainObject(value)) {
    throw invalidDocument([
      { pointer: '', message: 'must be an object: an OpenAPI 3.0/3.1 or Swagger 2.0 document' },
    ]);
  }
  const sourceFormat = detectFormat(value);
  const problems = scanDocument(value);
  if (problems.length > 0) throw invalidDocument(problems);
  return { document: value, sourceFormat };
}

function parseText(raw: string, syntax: 'json' | 'yaml' | 'auto'): unknown {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > OPENAPI_IMPORT_LIMITS.maxDocumentBytes)
    throw documentTooLarge(OPENAPI_IMPORT_LIMITS.maxDocumentBytes);
  if (text.trim() === '') throw invalidDocument([{ pointer: '', message: 'the document is empty' }]);
  const looksLikeJson = /^\s*[{[]/.test(text);
  if (syntax === 'json' || (syntax === 'auto' && looksLikeJson)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      if (syntax === 'json')
        throw invalidDocument([{ pointer: '', message: `not valid JSON: ${(error as Error).message}` }]);
      // `{a: 1}` is YAML flow syntax, not JSON: let the YAML parser have it
    }
  }
  if (bytes > OPENAPI_IMPORT_LIMITS.maxYamlBytes) {
    throw documentTooLarge(
      OPENAPI_IMPORT_LIMITS.maxYamlBytes,
      'YAML documents',
      `Convert it to JSON (limited to ${formatMegabytes(OPENAPI_IMPORT_LIMITS.maxDocumentBytes)}), which parses far faster.`,
    );
  }
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); duplicate keys: the last wins, as in JSON.parse
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: false, prettyErrors: true }) as unknown;
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const position = error.linePos?.[0];
      const firstLine = error.message.split('\n')[0] ?? error.message;
      throw invalidDocument([
        {
          pointer: '',
          message: `not valid YAML: ${firstLine}`,
          ...(position ? { line: position.line, column: position.col } : {}),
        },
      ]);
    }
    if (error instanceof Error)
      throw invalidDocument([{ pointer: '', message: `not valid YAML: ${error.message}` }]);
    throw error;
  }
}

function detectFormat(document: Record<string, unknown>): SourceFormat {
  const { swagger, openapi } = document;
  if (swagger !== undefined) {
    if (swagger === '2.0') return 'swagger-2.0';
    throw invalidDocument([
      { pointer: '/swagger', message: 'only Swagger "2.0" is supported (or OpenAPI 3.0 / 3.1)' },
    ]);
  }
  if (typeof openapi === 'string' && /^3\.0\.\d+$/.test(openapi)) return 'openapi-3.0';
  if (typeof openapi === 'string' && /^3\.1\.\d+$/.test(openapi)) return 'openapi-3.1';
  if (openapi === undefined) {
    throw invalidDocument([
      {
        pointer: '',
        message:
          'not an OpenAPI document: it has neither an `openapi` (3.0 / 3.1) nor a `swagger` ("2.0") field',
      },
    ]);
  }
  throw invalidDocument([
    {
      pointer: '/openapi',
      message: `OpenAPI ${JSON.stringify(openapi)} is not supported: upload OpenAPI 3.0.x or 3.1.x, or Swagger 2.0`,
    },
  ]);
}

/** Keys whose values are data, not schema: a `$ref` inside them is not a reference. */
const DATA_KEYS = new Set(['example', 'default', 'const', 'enum']);
const MAX_REPORTED = 50;

interface ScanEntry {
  node: unknown;
  key: string;
  parent: ScanEntry | null;
  depth: number;
  /** Inside example/default/enum data: a `$ref` there is not a reference. */
  data: boolean;
}

function pathOf(entry: ScanEntry): string[] {
  const path: string[] = [];
  for (let at: ScanEntry | null = entry; at?.parent; at = at.parent) path.push(at.key);
  return path.reverse();
}

/** Iterative walk (no recursion: the document may be deep): nesting depth and external `$ref`s. */
export function scanDocument(document: Record<string, unknown>): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const stack: ScanEntry[] = [{ node: document, key: '', parent: null, depth: 0, data: false }];
  while (stack.length > 0 && problems.length < MAX_REPORTED) {
    const entry = stack.pop()!;
    const { node, depth, data } = entry;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > OPENAPI_IMPORT_LIMITS.maxNestingDepth) {
      problems.push({
        pointer: toPointer(pathOf(entry)),
        message: `nested deeper than ${OPENAPI_IMPORT_LIMITS.maxNestingDepth} levels; flatten it with $ref components`,
      });
      continue;
    }
    if (Array.isArray(node)) {
      for (let index = node.length - 1; index >= 0; index--) {
        stack.push({ node: node[index], key: String(index), parent: entry, depth: depth + 1, data });
      }
      continue;
    }
    const record = node as Record<string, unknown>;
    const ref = data ? undefined : record.$ref;
    if (typeof ref === 'string' && !ref.startsWith('#')) {
      problems.push({
        pointer: toPointer([...pathOf(entry), '$ref']),
        message: `external reference "${ref.slice(0, 200)}" is not allowed: only references inside the document (#/…) are resolved; bundle the document into one file first`,
      });
    }
    const inExamples = entry.parent?.key === 'examples';
    for (const key of Object.keys(record)) {
      const child = record[key];
      // a named Example Object may itself be a $ref, but its `value` is data (as is a JSON Schema `examples` array)
      const childIsData =
        data ||
        DATA_KEYS.has(key) ||
        key.startsWith('x-') ||
        (key === 'value' && inExamples) ||
        (key === 'examples' && Array.isArray(child));
      stack.push({ node: child, key, parent: entry, depth: depth + 1, data: childIsData });
    }
  }
  return problems.sort((a, b) => compareCodeUnits(a.pointer, b.pointer));
}
