import 'reflect-metadata';
import { preflightEnv } from '@app/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';
import { ApiEnv } from './api.env';
import { ApiModule } from './app.module';
import { useOpenApiUploadParsers } from './catalog/document-upload';
import { buildOpenApiDocument } from './openapi';

export const API_BODY_LIMIT = '1mb';

/** Builds the api application (used by main.ts, the standalone process and the tests). */
export async function createApiApp(rawEnv?: Record<string, unknown>): Promise<NestExpressApplication> {
  preflightEnv(ApiEnv, rawEnv);
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(rawEnv), {
    bufferLogs: true,
    rawBody: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // POST /v1/apis/:id/versions takes OpenAPI documents (JSON or YAML) larger than the 1 MB default
  useOpenApiUploadParsers(app);
  app.useBodyParser('json', { limit: API_BODY_LIMIT });
  app.useBodyParser('urlencoded', { limit: API_BODY_LIMIT, extended: false });
  app.use(cookieParser());
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
  return app;
}
