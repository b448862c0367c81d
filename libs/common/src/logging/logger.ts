import pino, { type Logger, type LoggerOptions } from 'pino';
import type { CoreEnv } from '../config/core.env';
import { REDACT_PATHS } from './redaction';

export function pinoOptions(env: CoreEnv, app: string): LoggerOptions {
  const pretty = env.LOG_FORMAT === 'pretty' || (env.LOG_FORMAT === 'auto' && env.NODE_ENV === 'development');
  return {
    level: env.LOG_LEVEL,
    base: { app },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  };
}

/** A plain pino logger for code outside Nest's request scope (the gateway's hot path, scripts). */
export function createLogger(env: CoreEnv, app: string): Logger {
  return pino(pinoOptions(env, app));
}
