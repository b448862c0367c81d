import { closeOnSignals, runMain } from '@app/common';
import { ApiHttpEnv } from '../../api/src/api.env';
import { createApiApp } from '../../api/src/bootstrap';
import { createGatewayApp } from '../../gateway/src/bootstrap';
import { createWorkerApp } from '../../worker/src/bootstrap';
import { WorkerHttpEnv } from '../../worker/src/worker.env';

/**
 * The embedded default: api, gateway and worker in one process (a laptop or a small install).
 * Production runs them as separate processes (`npm run start:api|start:gateway|start:worker`).
 */
async function main(): Promise<void> {
  const worker = await createWorkerApp();
  const api = await createApiApp();
  const gateway = await createGatewayApp();
  const apiEnv = api.get(ApiHttpEnv);
  await worker.listen(worker.get(WorkerHttpEnv).WORKER_PORT);
  await api.listen(apiEnv.API_PORT);
  const gatewayPort = await gateway.server.listen();

  // gateway first (in-flight calls finish, usage is flushed), the worker last (it applies that usage)
  closeOnSignals('portico', async () => {
    await gateway.context.close();
    await api.close();
    await worker.close();
  });

  const lines = [
    '',
    'Portico is running:',
    `  marketplace api   http://localhost:${apiEnv.API_PORT}        (API reference: http://localhost:${apiEnv.API_PORT}/docs)`,
    `  gateway           http://localhost:${gatewayPort}        (send X-Portico-Key)`,
    `  worker health     http://localhost:${worker.get(WorkerHttpEnv).WORKER_PORT}/health`,
    '',
    `Sign up: curl -X POST http://localhost:${apiEnv.API_PORT}/v1/auth/signup -H 'Content-Type: application/json' -d '{"email":"you@example.com","password":"a long password"}'`,
    'Stop with Ctrl-C.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

runMain(main);
