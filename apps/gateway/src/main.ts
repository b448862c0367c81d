import { closeOnSignals, runMain } from '@app/common';
import { Logger } from 'nestjs-pino';
import { createGatewayApp } from './bootstrap';

async function main(): Promise<void> {
  const gateway = await createGatewayApp();
  const { context, server } = gateway;
  closeOnSignals('gateway', () => gateway.close());
  const port = await server.listen();
  context.get(Logger).log(`gateway listening on http://localhost:${port}`);
}

runMain(main);
