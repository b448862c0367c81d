import { preflightEnv, runMain } from '@app/common';
import { DEMO_APIS } from './apis';
import { createDemoUpstream } from './demo-upstream';
import { DemoUpstreamEnv } from './demo-upstream.env';

/** `npm run start:demo-upstream`: the demo APIs on 127.0.0.1:DEMO_UPSTREAM_PORT (default 4010). */
async function main(): Promise<void> {
  const env = preflightEnv(DemoUpstreamEnv);
  const upstream = createDemoUpstream({ proxySecret: env.DEMO_PROXY_SECRET });
  const port = await upstream.listen(env.DEMO_UPSTREAM_PORT);
  const stop = (): void => {
    upstream.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(
    `demo upstream on http://127.0.0.1:${port}: ${DEMO_APIS.map((api) => `/${api.base} (/${api.base}/openapi.json)`).join(', ')}\n`,
  );
}

runMain(main);
