import { validationFailed } from '@app/common';
import { Param, ParseUUIDPipe } from '@nestjs/common';

/**
 * A route id that must be a UUID. Anything else answers 400 `validation_failed` naming the
 * parameter; a well-formed id that does not exist, or belongs to another account, answers 404
 * `not_found` — the same answer for both, so ids of other accounts cannot be probed.
 */
export function UuidParam(name: string): ParameterDecorator {
  return Param(name, new ParseUUIDPipe({ exceptionFactory: () => validationFailed(name, 'must be a UUID') }));
}
