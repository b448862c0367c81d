import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency.service';

/**
 * Marks a route as accepting `Idempotency-Key` (STYLE: money-moving and key-creating endpoints).
 * The app must import `IdempotencyModule.forRootAsync(...)`.
 */
export function Idempotent(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description:
        'A unique value (e.g. a UUID) per operation. Retrying with the same key and body within 24 h returns the first ' +
        'successful response (header Idempotent-Replayed: true) instead of doing the work again; the same key with a ' +
        'different request answers 409 idempotency_conflict.',
      schema: { type: 'string', maxLength: 255 },
    }),
  );
}
