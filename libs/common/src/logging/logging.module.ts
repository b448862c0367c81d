import { type DynamicModule, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { CoreEnv } from '../config/core.env';
import { pinoOptions } from './logger';
import { requestIdFrom } from './request-id';

/** Structured request logging (pino) with the request id on every line; secrets redacted. */
@Module({})
export class LoggingModule {
  static forRoot(app: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [CoreEnv],
          useFactory: (env: CoreEnv) => ({
            pinoHttp: {
              ...pinoOptions(env, app),
              genReqId: (req: IncomingMessage, res: ServerResponse) => {
                const id = requestIdFrom(req.headers['x-request-id']);
                res.setHeader('X-Request-Id', id);
                return id;
              },
              customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
                err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
              autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/ready' },
              serializers: {
                req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
              },
            },
          }),
        }),
      ],
    };
  }
}
