import { closeOnSignals, runMain } from '@app/common';
import { Logger } from 'nestjs-pino';
import { createGatewayApp } from './bootstrap';

async function main(): Promise<void> {
  const { context, server } = await createGatewayApp();
  closeOnSignals('gateway', () => context.close());
  const port = await server.listen();
  context.get(Logger).log(`gateway listening on http://localhost:${port}`);
}

runMain(main);
