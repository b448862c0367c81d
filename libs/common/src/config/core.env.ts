import { IsIn, IsNotEmpty, IsString, Matches } from 'class-validator';

/** Variables every Portico process needs: where PostgreSQL and Redis are, and how to log. */
export class CoreEnv {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** `pretty` for humans, `json` for log shippers; defaults to json in production. */
  @IsIn(['pretty', 'json', 'auto'])
  LOG_FORMAT: 'pretty' | 'json' | 'auto' = 'auto';

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/portico';

  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every Redis key, BullMQ queue and pub/sub channel, so installs (and test runs) can share a server. */
  @IsString()
  @IsNotEmpty()
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'REDIS_PREFIX may hold letters, digits, "_", "." and "-" only' })
  REDIS_PREFIX = 'portico';
}
