import { existsSync } from 'node:fs';
import { loadEnv } from './load-env';

/**
 * Validates the environment before Nest starts, so a bad variable stops boot with a plain list of
 * problems (EnvValidationError) rather than a framework stack trace. Reads `.env` from the working
 * directory when present; variables already set in the environment win.
 */
export function preflightEnv<T extends object>(cls: new () => T, raw?: Record<string, unknown>): T {
  if (raw === undefined && existsSync('.env')) process.loadEnvFile('.env');
  return loadEnv(cls, raw ?? process.env);
}
