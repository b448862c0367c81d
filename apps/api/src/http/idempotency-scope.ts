import type { IdempotencyModuleAsyncOptions } from '@app/common';
import { IdentityEnv } from '@app/identity';
import type { SessionRequest } from './current-session.decorator';

/**
 * Idempotency-Key settings of the api: keys are scoped to the signed-in account, and stored
 * responses are encrypted with a key derived from SESSION_SECRET (ADR 0003).
 */
export const API_IDEMPOTENCY: IdempotencyModuleAsyncOptions = {
  inject: [IdentityEnv],
  useFactory: (env: IdentityEnv) => ({
    secret: env.SESSION_SECRET,
    scope: (req) => (req as SessionRequest).session?.account.id,
  }),
};
