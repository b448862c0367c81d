import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, map, type Observable } from 'rxjs';
import { validationFailed } from '../errors/app-error';
import { sha256Hex } from '../ids/ids';
import { IDEMPOTENCY_OPTIONS, type IdempotencyOptions } from './idempotency.options';
import {
  canonicalJson,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_PATTERN,
  IdempotencyService,
} from './idempotency.service';

/**
 * HTTP face of IdempotencyService (apply it with `@Idempotent()`): without an Idempotency-Key
 * header the request runs as usual; with one, the first successful response is replayed for
 * 24 h to the same caller sending the same key and request, marked `Idempotent-Replayed: true`.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    @Inject(IDEMPOTENCY_OPTIONS) private readonly options: IdempotencyOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const key = req.header(IDEMPOTENCY_KEY_HEADER);
    if (key === undefined) return next.handle();
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw validationFailed(
        IDEMPOTENCY_KEY_HEADER,
        'must be 1–255 visible ASCII characters, e.g. a UUID you generate per operation',
      );
    }
    const scope = this.options.scope(req);
    if (scope === undefined) throw new Error('@Idempotent() is only for routes with an authenticated caller');
    const fingerprint = sha256Hex(
      canonicalJson({ method: req.method, path: req.originalUrl, body: (req.body as unknown) ?? null }),
    );
    const outcome = this.idempotency.execute({ scope, key, fingerprint }, async () => {
      const body = await lastValueFrom<unknown, undefined>(next.handle(), { defaultValue: undefined });
      return { status: res.statusCode, body };
    });
    return from(outcome).pipe(
      map(({ replayed, response }) => {
        if (replayed) {
          res.status(response.status);
          res.setHeader('Idempotent-Replayed', 'true');
        }
        return response.body;
      }),
    );
  }
}
