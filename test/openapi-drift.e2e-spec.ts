import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { buildOpenApiDocument, serializeOpenApi } from '../apps/api/src/openapi';
import { startApi } from './support/api-client';

describe('OpenAPI document', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApi();
  });

  afterAll(async () => {
    await app.close();
  });

  it('matches the committed openapi/portico.json (run `npm run openapi:generate` after changing a route or DTO)', () => {
    const committed = readFileSync(join(__dirname, '..', 'openapi', 'portico.json'), 'utf8');
    expect(serializeOpenApi(buildOpenApiDocument(app))).toBe(committed);
  });

  it('is served at /openapi.json and the interactive reference at /docs', async () => {
    const json = await request(app.getHttpServer()).get('/openapi.json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toContain('/v1/auth/signup');
    const docs = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(docs.text).toContain('swagger-ui');
  });
});
