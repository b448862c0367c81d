import { isPlainObject, parsePointer, valueAt } from './json-pointer';

/**
 * How many values the document holds once every internal `$ref` is replaced by its target, the
 * way the parser's validator then walks it, computed on the original without expanding anything.
 * Shared references make this exponential in the worst case: 30 schemas each referencing the
 * previous one twice are a few KB and expand to 2^30 values, which would keep the (synchronous)
 * validator busy for days. Circular references count once (they stay `$ref`s).
 *
 * Stops counting once past `limit`, so the answer is exact up to it and `> limit` beyond.
 */
export function expandedSize(document: Record<string, unknown>, limit: number): number {
  const sizeByRef = new Map<string, number>();
  const inProgress = new Set<string>();

  const refSize = (ref: string): number => {
    const known = sizeByRef.get(ref);
    if (known !== undefined) return known;
    if (inProgress.has(ref)) return 1; // circular: left as a $ref
    const target = valueAt(document, parsePointer(ref));
    if (target === undefined) return 1; // missing: the validator reports it
    inProgress.add(ref);
    const size = walk(target);
    inProgress.delete(ref);
    sizeByRef.set(ref, size);
    return size;
  };

  const walk = (node: unknown): number => {
    if (typeof node !== 'object' || node === null) return 1;
    if (isPlainObject(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#')) {
      let size = refSize(node.$ref);
      // OpenAPI 3.1 keeps `summary`/`description` beside a $ref
      for (const key of Object.keys(node)) if (key !== '$ref') size += 1;
      return size;
    }
    let size = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      size += walk(child);
      if (size > limit) return size;
    }
    return size;
  };

  return walk(document);
}
