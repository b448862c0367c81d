import fc from 'fast-check';
import { boundedJson, storableString } from './bounded-json';

const roomy = { maxDepth: 100, maxUnits: 1_000_000, maxStringLength: 1_000_000 };

describe('boundedJson', () => {
  it('copies JSON within the limits unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 3 }), (roots) => {
        const { values, truncated } = boundedJson(roots, roomy);
        expect(truncated).toBeNull();
        expect(JSON.stringify(values)).toBe(JSON.stringify(roots));
      }),
    );
  });

  it('cuts what is deeper than maxDepth with a marker', () => {
    const { values, truncated } = boundedJson([{ a: { b: { c: { d: 1 } } } }], { ...roomy, maxDepth: 2 });
    expect(values).toEqual([{ a: { b: { 'x-portico-truncated': 'depth' } } }]);
    expect(truncated).toBe('depth');
  });

  it('expands breadth-first within the budget, so a huge shared subtree cannot blow the copy up', () => {
    // a DAG that expands to 2^20 leaves when copied naively
    let node: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 20; i++) node = { left: node, right: node };
    const { values, truncated } = boundedJson([{ small: { a: 1 } }, node], { ...roomy, maxUnits: 200 });
    expect(truncated).toBe('size');
    expect(values[0]).toEqual({ small: { a: 1 } });
    expect(JSON.stringify(values).length).toBeLessThan(8_000);
    expect(JSON.stringify(values)).toContain('"x-portico-truncated":"size"');
  });

  it('stores only what PostgreSQL accepts: no NUL, no lone surrogate, clipped strings, a __proto__ key as data', () => {
    expect(storableString('a\u0000b\uD800c', 100)).toBe('a\uFFFDb\uFFFDc');
    expect(storableString('😀', 100)).toBe('😀');
    expect(storableString('abcdef', 4)).toBe('abc…');
    const parsed = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    const { values } = boundedJson([parsed], roomy);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(values[0] as object)).toEqual(['__proto__']);
  });
});
