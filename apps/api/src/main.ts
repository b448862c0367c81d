import { closeOnSignals, runMain } from '@app/common';
import { Logger } from 'nestjs-pino';
import { ApiEnv } from './api.env';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const app = await createApiApp();
  closeOnSignals('api', () => app.close());
  const env = app.get(ApiEnv);
  await app.listen(env.API_PORT);
  app.get(Logger).log(`api listening on http://localhost:${env.API_PORT} (OpenAPI at /docs)`);
}

runMain(main);
