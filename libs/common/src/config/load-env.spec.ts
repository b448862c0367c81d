import { IsInt, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { CoreEnv } from './core.env';
import { EnvValidationError, loadEnv } from './load-env';

class PortEnv extends CoreEnv {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;
}

describe('loadEnv', () => {
  it('applies defaults and converts numbers', () => {
    const env = loadEnv(PortEnv, { PORT: '8081' });
    expect(env.PORT).toBe(8081);
    expect(env.REDIS_PREFIX).toBe('portico');
  });

  it('treats an empty value as unset', () => {
    expect(loadEnv(PortEnv, { PORT: '' }).PORT).toBe(3000);
  });

  it('names every bad variable without echoing values', () => {
    let error: unknown;
    try {
      loadEnv(PortEnv, { PORT: 'eighty', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvValidationError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('hunter2');
  });
});
