import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiApp } from '../apps/api/src/bootstrap';
import { buildOpenApiDocument, serializeOpenApi } from '../apps/api/src/openapi';

/** Writes openapi/portico.json from the api's controllers. CI fails when the committed file differs. */
async function main(): Promise<void> {
  // the document comes from the controllers alone; any reachable database and throwaway secrets do
  const app = await createApiApp({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    SESSION_SECRET: 'openapi-generation-only-secret-0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    ...process.env,
    LOG_LEVEL: 'silent',
  });
  const target = join(__dirname, '..', 'openapi', 'portico.json');
  writeFileSync(target, serializeOpenApi(buildOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${target}\n`);
}

void main();
