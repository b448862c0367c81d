import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiApp } from '../apps/api/src/bootstrap';
import { buildOpenApiDocument, serializeOpenApi } from '../apps/api/src/openapi';

/** Writes openapi/portico.json from the api's controllers. CI fails when the committed file differs. */
async function main(): Promise<void> {
  const app = await createApiApp({ ...process.env, LOG_LEVEL: 'silent', SESSION_SECRET: process.env.SESSION_SECRET ?? 'openapi-generation-only-secret-0123456789' });
  const target = join(__dirname, '..', 'openapi', 'portico.json');
  writeFileSync(target, serializeOpenApi(buildOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${target}\n`);
}

void main();
