import fc from 'fast-check';
import { valueAt } from './json-pointer';
import {
  locateSpecMessage,
  parseMessage,
  resolveLooseLocation,
  tokensAtLines,
  toDocumentPointer,
  validateDocument,
} from './openapi-validation';

describe('locating parser errors', () => {
  it('maps every line of JSON.stringify(value, null, 2) to the value that starts on it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const lines = JSON.stringify(value, null, 2).split('\n');
        const wanted = new Set(lines.map((_, i) => i + 1));
        const found = tokensAtLines(value, wanted);
        lines.forEach((text, i) => {
          const trimmed = text.trim().replace(/,$/, '');
          if (trimmed === '}' || trimmed === ']') return;
          const tokens = found.get(i + 1);
          expect(tokens).toBeDefined();
          const target = valueAt(value, tokens!);
          const key = /^("(?:[^"\\]|\\.)*"): /.exec(trimmed);
          if (key) expect(tokens![tokens!.length - 1]).toBe(JSON.parse(key[1]));
          const rest = key ? trimmed.slice(key[0].length) : trimmed;
          if (rest !== '{' && rest !== '[') expect(rest).toBe(JSON.stringify(target));
        });
      }),
    );
  });

  it("reads the parser's code-frame messages: the marked line, the missing property, a suggestion", () => {
    const required =
      'REQUIRED must have required property \'responses\'\n\n   7 |   "paths": {\n>  9 |       "get": {\n     |              ^ responses is missing here!';
    expect(parseMessage(required)).toEqual({
      message: "must have required property 'responses'",
      line: 9,
      missingProperty: 'responses',
    });
    const enumError =
      'ENUM must be equal to one of the allowed values\n(array, boolean)\n\n> 19 |   "type": "strin"\n     |           ^^^^^^^ Did you mean string here?';
    expect(parseMessage(enumError)).toEqual({
      message: 'must be equal to one of the allowed values (array, boolean); did you mean string?',
      line: 19,
    });
    expect(parseMessage('The operationId `a` is duplicated and must be made unique.')).toEqual({
      message: 'The operationId `a` is duplicated and must be made unique.',
    });
  });

  const document = {
    openapi: '3.1.0',
    paths: {
      '/pets/{id}': {
        parameters: [{ $ref: '#/components/parameters/Id' }],
        get: {
          responses: {
            '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } },
          },
        },
      },
    },
    components: {
      parameters: { Id: { name: 'id', in: 'path', schema: { type: 'string' } } },
      schemas: {
        Pet: { $ref: '#/components/schemas/Animal', description: 'a pet' },
        Animal: { type: 'object', properties: { name: { type: 'strin' } } },
      },
    },
  };

  it('rewrites a pointer into the dereferenced document through the $refs of the original', () => {
    const deep = [
      'paths',
      '/pets/{id}',
      'get',
      'responses',
      '200',
      'content',
      'application/json',
      'schema',
      'properties',
      'name',
      'type',
    ];
    expect(toDocumentPointer(document, deep)).toBe('/components/schemas/Animal/properties/name/type');
    // a sibling of $ref (OpenAPI 3.1) stays where it is
    expect(toDocumentPointer(document, ['components', 'schemas', 'Pet', 'description'])).toBe(
      '/components/schemas/Pet/description',
    );
    expect(toDocumentPointer(document, ['paths', '/pets/{id}', 'parameters', '0', 'schema'])).toBe(
      '/components/parameters/Id/schema',
    );
  });

  it("resolves the parser's unescaped locations: path keys with slashes, parameters by name", () => {
    expect(resolveLooseLocation(document, '/paths/pets/{id}/get')).toBe('/paths/~1pets~1{id}/get');
    // a location that ends on a $ref points at the use, not at the component
    expect(resolveLooseLocation(document, '/paths/pets/{id}/parameters/id')).toBe(
      '/paths/~1pets~1{id}/parameters/0',
    );
    expect(
      resolveLooseLocation(document, '/paths/pets/{id}/get/responses/200/content/application/json/schema'),
    ).toBe('/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema');
    expect(resolveLooseLocation(document, '/paths/pets/{id}/parameters/id/schema')).toBe(
      '/components/parameters/Id/schema',
    );
    expect(
      locateSpecMessage(document, 'Entries in the OpenAPI `paths` object must begin with a leading slash.'),
    ).toEqual(['/paths']);
  });

  it('validates a document and points at each problem in the document as uploaded', async () => {
    const outcome = await validateDocument({
      openapi: '3.0.3',
      info: { title: 'x', version: '1' },
      paths: {
        '/pets': {
          get: { operationId: 'list', summary: 'x' },
          post: { operationId: 'list', responses: { '201': { description: 'made' } } },
        },
        '/pets/{id}': { get: { responses: { '200': { description: 'ok' } } } },
      },
    });
    expect(outcome.problems).toEqual([
      { pointer: '/paths/~1pets/get/responses', message: "must have required property 'responses'" },
    ]);
    const second = await validateDocument({
      openapi: '3.0.3',
      info: { title: 'x', version: '1' },
      paths: {
        '/pets/{id}': {
          get: { operationId: 'a', responses: { '200': { description: 'ok' } } },
          put: {
            operationId: 'a',
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    });
    expect(second.problems).toEqual(
      expect.arrayContaining([
        {
          pointer: '/paths/~1pets~1{id}/put/operationId',
          message: 'The operationId `a` is duplicated and must be made unique.',
        },
        { pointer: '/paths/~1pets~1{id}/get', message: expect.stringContaining('missing path parameter') },
      ]),
    );
  });
});
