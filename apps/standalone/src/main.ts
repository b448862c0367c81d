import { closeOnSignals, CoreEnv, loadEnv, pinoOptions, preflightEnv, runMain } from '@app/common';
import { PinoLogger } from 'nestjs-pino';
import { ApiHttpEnv } from '../../api/src/api.env';
import { createApiApp } from '../../api/src/bootstrap';
import { webBuildIn } from '../../api/src/http/web-app';
import { createGatewayApp } from '../../gateway/src/bootstrap';
import { createDemoUpstream, type DemoUpstream } from '../../demo-upstream/src/demo-upstream';
import { DemoUpstreamEnv } from '../../demo-upstream/src/demo-upstream.env';
import { createWorkerApp } from '../../worker/src/bootstrap';
import { WorkerHttpEnv } from '../../worker/src/worker.env';

/**
 * The embedded default: api, gateway and worker in one process (a laptop or a small install).
 * Production runs them as separate processes (`npm run start:api|start:gateway|start:worker`).
 * With DEMO=true (the .env.example default) it also serves the demo upstream (apps/demo-upstream)
 * on 127.0.0.1:DEMO_UPSTREAM_PORT, the upstream of the listings `portico seed-demo` creates.
 */
async function main(): Promise<void> {
  // Nest's logger and nestjs-pino's logger for lines outside a request are one per process, and
  // nestjs-pino takes the first one built: built here, they say "portico" (the process) rather
  // than the first app's name. Request lines still name their app.
  new PinoLogger({ pinoHttp: pinoOptions(preflightEnv(CoreEnv), 'portico') });
  const worker = await createWorkerApp();
  const api = await createApiApp();
  const gateway = await createGatewayApp();
  const apiEnv = api.get(ApiHttpEnv);
  await worker.listen(worker.get(WorkerHttpEnv).WORKER_PORT);
  await api.listen(apiEnv.API_PORT);
  const gatewayPort = await gateway.server.listen();
  // the apps above loaded .env into process.env
  const demoEnv = loadEnv(DemoUpstreamEnv);
  let demo: DemoUpstream | null = null;
  let demoPort: number | null = null;
  if (demoEnv.DEMO) {
    demo = createDemoUpstream({ proxySecret: demoEnv.DEMO_PROXY_SECRET });
    demoPort = await demo.listen(demoEnv.DEMO_UPSTREAM_PORT);
  }

  // gateway first (in-flight calls finish, usage is flushed), the worker last (it applies that usage)
  closeOnSignals('portico', async () => {
    await gateway.close();
    await api.close();
    await worker.close();
    await demo?.close();
  });

  const webUi = webBuildIn(apiEnv.WEB_DIST_DIR);
  const lines = [
    '',
    'Portico is running:',
    ...(webUi
      ? [`  marketplace UI    http://localhost:${apiEnv.API_PORT}        (open it in a browser)`]
      : []),
    `  marketplace api   http://localhost:${apiEnv.API_PORT}        (API reference: http://localhost:${apiEnv.API_PORT}/docs)`,
    `  gateway           http://localhost:${gatewayPort}        (send X-Portico-Key)`,
    `  worker health     http://localhost:${worker.get(WorkerHttpEnv).WORKER_PORT}/health`,
    ...(demoPort === null
      ? []
      : [
          `  demo upstream     http://127.0.0.1:${demoPort}/health   (DEMO=true; the demo listings' upstream)`,
        ]),
    '',
    ...(webUi ? [`Browse and sign up at http://localhost:${apiEnv.API_PORT}, or from a shell:`] : []),
    `Sign up: curl -X POST http://localhost:${apiEnv.API_PORT}/v1/auth/signup -H 'Content-Type: application/json' -d '{"email":"you@example.com","password":"a long password"}'`,
    'Stop with Ctrl-C.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

runMain(main);
