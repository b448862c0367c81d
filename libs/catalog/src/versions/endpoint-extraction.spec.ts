import { extractEndpoints } from './endpoint-extraction';

describe('extractEndpoints', () => {
  it('takes every operation with merged parameters (the operation wins), tags and the deprecated flag', () => {
    const { endpoints, problems } = extractEndpoints({
      openapi: '3.0.3',
      paths: {
        '/pets/{id}': {
          summary: 'Path summary',
          parameters: [
            { name: 'id', in: 'path', required: true, description: 'path level' },
            { name: 'trace', in: 'header' },
          ],
          get: {
            operationId: 'getPet',
            tags: ['pets', 'pets', 7],
            parameters: [
              { name: 'id', in: 'path', required: true, description: 'operation level' },
              { name: 'fields', in: 'query' },
            ],
            responses: { '200': { description: 'ok' } },
          },
          delete: { deprecated: true, responses: { '204': { description: 'gone' } } },
          'x-internal': { get: {} },
        },
      },
    });
    expect(problems).toEqual([]);
    expect(endpoints.map((e) => `${e.method} ${e.path}`)).toEqual(['GET /pets/{id}', 'DELETE /pets/{id}']);
    expect(endpoints[0]).toMatchObject({
      operationId: 'getPet',
      summary: 'Path summary',
      tags: ['pets'],
      deprecated: false,
      parameters: [
        { name: 'id', in: 'path', required: true, description: 'operation level' },
        { name: 'fields', in: 'query' },
        { name: 'trace', in: 'header' },
      ],
      requestBody: null,
      responses: { '200': { description: 'ok' } },
    });
    expect(endpoints[1]).toMatchObject({ operationId: null, deprecated: true });
  });

  it('refuses a path template longer than the column holds', () => {
    const path = `/${'a'.repeat(1100)}`;
    const { problems } = extractEndpoints({ paths: { [path]: { get: { responses: {} } } } });
    expect(problems).toEqual([
      { pointer: `/paths/~1${'a'.repeat(1100)}`, message: expect.stringContaining('1024') },
    ]);
  });
});
