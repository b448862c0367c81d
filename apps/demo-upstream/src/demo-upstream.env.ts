import { BooleanEnv } from '@app/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

/** The demo upstream's settings (apps/demo-upstream, the standalone's DEMO switch, `portico seed-demo`). */
export class DemoUpstreamEnv {
  /** Standalone: also start the demo upstream (apps/demo-upstream) in the same process. */
  @BooleanEnv()
  @IsBoolean()
  DEMO = false;

  /** Port of the demo upstream on 127.0.0.1; the demo seed points its listings there. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  DEMO_UPSTREAM_PORT = 4010;

  /** When set, the demo upstream answers 401 unless X-Portico-Proxy-Secret equals it (constant-time check). */
  @IsOptional()
  @IsString()
  @MinLength(16)
  DEMO_PROXY_SECRET?: string;
}
