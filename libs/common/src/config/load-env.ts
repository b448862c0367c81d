import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid environment configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Fix these variables (see .env.example for every variable and its meaning) and start again.',
    );
    this.name = 'EnvValidationError';
  }
}

type EnvClass<T> = new () => T;

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      // class-validator puts the property name first in its messages; make sure it is there
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
}

/**
 * Validates raw variables (process.env by default) into a typed env object. Unknown variables are
 * ignored; missing ones take the class's defaults; anything malformed throws EnvValidationError
 * naming each bad variable (never echoing its value, which may be a secret).
 */
export function loadEnv<T extends object>(cls: EnvClass<T>, raw: Record<string, unknown> = process.env): T {
  const cleaned: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    // an empty string in a .env file means "not set"
    if (value !== '' && value !== undefined) cleaned[key] = value;
  }
  const env = plainToInstance(cls, cleaned, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: false, validationError: { target: false, value: false } });
  if (errors.length > 0) throw new EnvValidationError(describe(errors));
  return env;
}
