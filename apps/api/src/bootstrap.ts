import 'reflect-metadata';
import { preflightEnv, TrustedProxies } from '@app/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';
import { ApiEnv } from './api.env';
import { ApiModule } from './app.module';
import { useOpenApiUploadParsers } from './catalog/document-upload';
import { serveWebApp } from './http/web-app';
import { buildOpenApiDocument } from './openapi';

export const API_BODY_LIMIT = '1mb';

/** Builds the api application (used by main.ts, the standalone process and the tests). */
export async function createApiApp(rawEnv?: Record<string, unknown>): Promise<NestExpressApplication> {
  const env = preflightEnv(ApiEnv, rawEnv);
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(rawEnv), {
    bufferLogs: true,
    rawBody: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // req.ip: the first address from the right of X-Forwarded-For that is not a trusted proxy (none: the peer)
  const proxies = TrustedProxies.parse(env.API_TRUSTED_PROXIES);
  app.set('trust proxy', (address: string) => proxies.has(address));
  // POST /v1/apis/:id/versions takes OpenAPI documents (JSON or YAML) larger than the 1 MB default
  useOpenApiUploadParsers(app);
  app.useBodyParser('json', { limit: API_BODY_LIMIT });
  app.useBodyParser('urlencoded', { limit: API_BODY_LIMIT, extended: false });
  app.use(cookieParser());
  if (!serveWebApp(app, { dir: env.WEB_DIST_DIR, gatewayUrl: env.GATEWAY_URL })) {
    app.get(Logger).log(`web UI not served: ${env.WEB_DIST_DIR} holds no build (npm run build:web makes one)`);
  }
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
  return app;
}
