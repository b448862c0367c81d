import { Module } from '@nestjs/common';
import { FixedWindowLimiter } from './fixed-window-limiter';

@Module({ providers: [FixedWindowLimiter], exports: [FixedWindowLimiter] })
export class ThrottleModule {}
