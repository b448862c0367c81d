import { closeOnSignals, runMain } from '@app/common';
import { Logger } from 'nestjs-pino';
import { createWorkerApp } from './bootstrap';
import { WorkerHttpEnv } from './worker.env';

async function main(): Promise<void> {
  const app = await createWorkerApp();
  closeOnSignals('worker', () => app.close());
  const env = app.get(WorkerHttpEnv);
  await app.listen(env.WORKER_PORT);
  app.get(Logger).log(`worker running; health on http://localhost:${env.WORKER_PORT}/health`);
}

runMain(main);
