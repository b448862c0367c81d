import 'reflect-metadata';
import { preflightEnv } from '@app/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { WorkerEnv } from './worker.env';
import { WorkerModule } from './worker.module';

/** Builds the worker (processors + /health and /ready). */
export async function createWorkerApp(rawEnv?: Record<string, unknown>): Promise<NestExpressApplication> {
  preflightEnv(WorkerEnv, rawEnv);
  const app = await NestFactory.create<NestExpressApplication>(WorkerModule.forRoot(rawEnv), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  return app;
}
