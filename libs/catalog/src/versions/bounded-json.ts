import { TRUNCATED_MARKER_KEY } from './openapi-import.limits';

export interface BoundedJsonLimits {
  /** Containers nested deeper than this (from each root) are replaced by a marker. */
  maxDepth: number;
  /** Total budget: each value costs 1 unit, a string 1 more per 64 characters. */
  maxUnits: number;
  maxStringLength: number;
}

export interface BoundedJson {
  values: unknown[];
  /** Why something was cut, if it was. */
  truncated: 'depth' | 'size' | null;
}

type Container = Record<string, unknown> | unknown[];

interface Task {
  source: Record<string, unknown> | unknown[];
  target: Container;
  key: string | number;
  depth: number;
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what PostgreSQL refuses
const SUSPECT_CHARS = /[\u0000\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- as above
const BAD_CHARS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A string PostgreSQL can store in text and jsonb: no NUL, no lone surrogate (both are rejected
 * there), at most `max` characters.
 */
export function storableString(value: string, max: number): string {
  const clipped = value.length > max ? `${value.slice(0, max - 1)}…` : value;
  return SUSPECT_CHARS.test(clipped) ? clipped.replace(BAD_CHARS, '\uFFFD') : clipped;
}

function assign(target: Container, key: string | number, value: unknown): void {
  if (Array.isArray(target)) target[key as number] = value;
  else if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key as string] = value;
}

function primitiveCost(value: unknown): number {
  return typeof value === 'string' ? 1 + Math.floor(value.length / 64) : 1;
}

function copyPrimitive(value: unknown, maxStringLength: number): unknown {
  return typeof value === 'string' ? storableString(value, maxStringLength) : value;
}

/**
 * Copies JSON values (a dereferenced document shares objects between uses, so a copy can expand
 * far beyond the document) within a budget, breadth-first: every level near the roots is kept
 * before anything deeper, and what does not fit becomes `{ "x-portico-truncated": "depth" | "size" }`.
 * A container is expanded only when all of its direct children fit the remaining budget.
 */
export function boundedJson(roots: readonly unknown[], limits: BoundedJsonLimits): BoundedJson {
  const values: unknown[] = new Array<unknown>(roots.length);
  const queue: Task[] = [];
  let units = 0;
  let truncated: BoundedJson['truncated'] = null;
  roots.forEach((root, index) => {
    if (typeof root === 'object' && root !== null) {
      queue.push({ source: root as Task['source'], target: values, key: index, depth: 0 });
    } else {
      units += primitiveCost(root);
      values[index] = copyPrimitive(root, limits.maxStringLength);
    }
  });
  for (let head = 0; head < queue.length; head++) {
    const task = queue[head];
    if (task.depth >= limits.maxDepth) {
      assign(task.target, task.key, { [TRUNCATED_MARKER_KEY]: 'depth' });
      truncated ??= 'depth';
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(task.source)
      ? task.source.map((value, index) => [index, value])
      : Object.entries(task.source);
    let cost = 1;
    for (const [key, value] of entries) {
      cost += typeof value === 'object' && value !== null ? 1 : primitiveCost(value);
      if (typeof key === 'string') cost += Math.floor(key.length / 64);
    }
    if (units + cost > limits.maxUnits) {
      assign(task.target, task.key, { [TRUNCATED_MARKER_KEY]: 'size' });
      truncated = 'size';
      continue;
    }
    units += cost;
    const copy: Container = Array.isArray(task.source) ? [] : {};
    assign(task.target, task.key, copy);
    for (const [key, value] of entries) {
      const safeKey = typeof key === 'string' ? storableString(key, limits.maxStringLength) : key;
      if (typeof value === 'object' && value !== null) {
        assign(copy, safeKey, null); // keeps the key order; replaced when the task runs
        queue.push({ source: value as Task['source'], target: copy, key: safeKey, depth: task.depth + 1 });
      } else if (value !== undefined) {
        assign(copy, safeKey, copyPrimitive(value, limits.maxStringLength));
      }
    }
  }
  return { values, truncated };
}
