import { EnvValidationError } from '@app/common';
import { Logger } from 'nestjs-pino';
import { ApiEnv } from './api.env';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const app = await createApiApp();
  const env = app.get(ApiEnv);
  await app.listen(env.API_PORT);
  app.get(Logger).log(`api listening on http://localhost:${env.API_PORT} (OpenAPI at /docs)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof EnvValidationError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
