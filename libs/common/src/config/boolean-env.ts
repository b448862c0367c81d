import { Transform } from 'class-transformer';

/** Parses "true"/"false"/"1"/"0" env strings into booleans; anything else stays as is and fails @IsBoolean. */
export function BooleanEnv(): PropertyDecorator {
  return Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const raw = obj[key];
    if (typeof raw !== 'string') return raw;
    const text = raw.toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    return raw;
  });
}
