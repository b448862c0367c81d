import { Type } from 'class-transformer';
import { BillingEnv } from '@app/billing';
import { CoreEnv, EncryptionEnv } from '@app/common';
import { IdentityEnv } from '@app/identity';
import { SearchEnv } from '@app/search';
import { IntersectionType } from '@nestjs/mapped-types';
import { IsInt, Max, Min } from 'class-validator';

export class WorkerHttpEnv {
  /** Port of the worker's /health and /ready endpoints. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_PORT = 3001;

  /** Jobs processed in parallel per queue. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  WORKER_CONCURRENCY = 4;

  /**
   * Jobs processed in parallel on the metering queue. Usage batches that arrive while one group
   * is being written are applied together by the next statement (libs/metering "Group commit"),
   * so this bounds a group's size: more in parallel, fewer rollup rows and commits per call
   * (32: docs/benchmarks.md, the tenth machine).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  WORKER_METERING_CONCURRENCY = 32;
}

export class WorkerEnv extends IntersectionType(CoreEnv, IdentityEnv, WorkerHttpEnv, BillingEnv, EncryptionEnv, SearchEnv) {}
