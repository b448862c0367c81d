import 'reflect-metadata';
import { preflightEnv } from '@app/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { GatewayEnv } from './gateway.env';
import { GatewayModule } from './gateway.module';
import { GatewayServer } from './gateway.server';

export interface GatewayApp {
  context: INestApplicationContext;
  server: GatewayServer;
  /** Drains in-flight calls first, then closes the context (which flushes the usage buffer). */
  close(): Promise<void>;
}

/** Builds the gateway (used by main.ts, the standalone process and the tests). */
export async function createGatewayApp(rawEnv?: Record<string, unknown>): Promise<GatewayApp> {
  preflightEnv(GatewayEnv, rawEnv);
  const context = await NestFactory.createApplicationContext(GatewayModule.forRoot(rawEnv), { bufferLogs: true });
  context.useLogger(context.get(Logger));
  const server = context.get(GatewayServer);
  return {
    context,
    server,
    close: async () => {
      await server.drain();
      await context.close();
    },
  };
}
