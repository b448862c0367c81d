import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StripeEventEntity } from './inbox/stripe-event.entity';

@Module({
  imports: [TypeOrmModule.forFeature([StripeEventEntity])],
  providers: [],
  exports: [],
})
export class BillingModule {}
