import { expandedSize } from './reference-expansion';

function doublingSchemas(levels: number): Record<string, unknown> {
  const schemas: Record<string, unknown> = { S0: { type: 'string' } };
  for (let i = 1; i <= levels; i++) {
    schemas[`S${i}`] = {
      properties: {
        a: { $ref: `#/components/schemas/S${i - 1}` },
        b: { $ref: `#/components/schemas/S${i - 1}` },
      },
    };
  }
  return { components: { schemas } };
}

describe('expandedSize', () => {
  it('counts values as if every $ref were replaced by its target', () => {
    const document = { a: { $ref: '#/b' }, b: { x: 1, y: [1, 2] }, c: [{ $ref: '#/b/y' }] };
    // root 1 + a→b (1 + 1 + 3) + b (5) + c (1 + y 3)
    expect(expandedSize(document, 1_000)).toBe(1 + 5 + 5 + 4);
  });

  it('counts a circular reference once, as the dereferencer leaves it', () => {
    const document = { definitions: { Node: { properties: { next: { $ref: '#/definitions/Node' } } } } };
    expect(expandedSize(document, 1_000)).toBeLessThan(20);
  });

  it('sees an exponential expansion without performing it, and stops past the limit', () => {
    // 2^60 values: only a walk that never expands can answer within the test's timeout
    expect(expandedSize(doublingSchemas(60), 1_000_000)).toBeGreaterThan(1_000_000);
    expect(expandedSize(doublingSchemas(3), 1_000_000)).toBeLessThan(200);
  });
});
