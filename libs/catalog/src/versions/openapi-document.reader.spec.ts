import type { AppError } from '@app/common';
import { readDocument } from './openapi-document.reader';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';

function problemsOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return { code: (error as AppError).code, errors: (error as AppError).extensions.errors };
  }
  throw new Error('expected readDocument to throw');
}

describe('readDocument', () => {
  const minimal = { openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: {} };

  it('reads JSON and YAML text and detects the format', () => {
    expect(readDocument({ kind: 'text', text: JSON.stringify(minimal), syntax: 'auto' }).sourceFormat).toBe(
      'openapi-3.0',
    );
    expect(
      readDocument({
        kind: 'text',
        text: '\uFEFFopenapi: 3.1.0\ninfo: {title: x, version: "1"}\npaths: {}\n',
        syntax: 'auto',
      }),
    ).toEqual({
      document: { openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: {} },
      sourceFormat: 'openapi-3.1',
    });
    expect(
      readDocument({ kind: 'object', value: { swagger: '2.0', info: {}, paths: {} } }).sourceFormat,
    ).toBe('swagger-2.0');
  });

  it('refuses what is not OpenAPI 3.0 / 3.1 or Swagger 2.0, saying where', () => {
    expect(problemsOf(() => readDocument({ kind: 'object', value: [1] }))).toEqual({
      code: 'validation_failed',
      errors: [expect.objectContaining({ pointer: '' })],
    });
    expect(problemsOf(() => readDocument({ kind: 'object', value: { openapi: '3.2.0' } }))).toEqual({
      code: 'validation_failed',
      errors: [expect.objectContaining({ pointer: '/openapi' })],
    });
    expect(problemsOf(() => readDocument({ kind: 'object', value: { swagger: '1.2' } }))).toEqual({
      code: 'validation_failed',
      errors: [expect.objectContaining({ pointer: '/swagger' })],
    });
    expect(problemsOf(() => readDocument({ kind: 'text', text: 'openapi: [', syntax: 'yaml' }))).toEqual({
      code: 'validation_failed',
      errors: [
        expect.objectContaining({ pointer: '', message: expect.stringContaining('not valid YAML'), line: 1 }),
      ],
    });
    expect(problemsOf(() => readDocument({ kind: 'text', text: '{"openapi": ', syntax: 'json' }))).toEqual({
      code: 'validation_failed',
      errors: [expect.objectContaining({ message: expect.stringContaining('not valid JSON') })],
    });
  });

  it('refuses external $refs with their pointers, but not $ref-shaped data in examples', () => {
    const document = {
      ...minimal,
      paths: {
        '/a': {
          get: {
            parameters: [{ $ref: 'https://example.com/params.json#/Id' }],
            responses: {
              '200': {
                description: 'ok',
                content: {
                  'application/json': {
                    example: { $ref: 'https://example.com/not-a-ref' },
                    schema: { $ref: '#/components/schemas/A' },
                  },
                },
              },
            },
          },
        },
      },
      components: {
        schemas: { A: { $ref: 'other.yaml#/A' } },
        examples: { E: { value: { $ref: 'data.json' } } },
      },
    };
    expect(problemsOf(() => readDocument({ kind: 'object', value: document }))).toEqual({
      code: 'validation_failed',
      errors: [
        {
          pointer: '/components/schemas/A/$ref',
          message: expect.stringContaining('external reference "other.yaml#/A"'),
        },
        {
          pointer: '/paths/~1a/get/parameters/0/$ref',
          message: expect.stringContaining('external reference'),
        },
      ],
    });
  });

  it('refuses documents nested deeper than the parsers can take, and YAML over its limit with 413', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < OPENAPI_IMPORT_LIMITS.maxNestingDepth + 5; i++) deep = { d: deep };
    expect(problemsOf(() => readDocument({ kind: 'object', value: { ...minimal, 'x-deep': deep } }))).toEqual(
      {
        code: 'validation_failed',
        errors: [expect.objectContaining({ message: expect.stringContaining('nested deeper than') })],
      },
    );
    const yaml = `openapi: 3.0.3\nx-pad: "${'a'.repeat(OPENAPI_IMPORT_LIMITS.maxYamlBytes)}"\n`;
    expect(problemsOf(() => readDocument({ kind: 'text', text: yaml, syntax: 'auto' }))).toEqual({
      code: 'payload_too_large',
      errors: undefined,
    });
  });
});
