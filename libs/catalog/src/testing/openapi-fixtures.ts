import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Real-world OpenAPI documents shipped by dev dependencies (offline), for tests and benchmarks. */
const ROOT = join(__dirname, '..', '..', '..', '..');

/** A file of @readme/oas-examples, e.g. `3.0/json/petstore.json`. */
export function oasExamplePath(relative: string): string {
  return join(ROOT, 'node_modules', '@readme', 'oas-examples', relative);
}

export function readOasExample(relative: string): string {
  return readFileSync(oasExamplePath(relative), 'utf8');
}

/** GitHub's REST description (~12 MB, ~1,200 operations), read by path: the package is never `require`d. */
export const GITHUB_REST_DESCRIPTION = join(
  ROOT,
  'node_modules',
  '@octokit',
  'openapi',
  'generated',
  'api.github.com.json',
);

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * `METHOD /path` of every operation in a raw document, counted straight from the JSON (no parser,
 * no dereferencing): what an import must find.
 */
export function operationKeys(document: { paths?: Record<string, Record<string, unknown>> }): string[] {
  const keys: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of Object.keys(item))
      if (METHODS.has(method)) keys.push(`${method.toUpperCase()} ${path}`);
  }
  return keys.sort();
}
