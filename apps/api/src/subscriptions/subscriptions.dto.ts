import {
  SUBSCRIPTION_STATUSES,
  type SubscribeResult,
  type SubscriptionStatus,
  type SubscriptionView,
} from '@app/subscriptions';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';

export class SubscribeDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The plan to subscribe to (an active plan of a published API you may see).',
  })
  @IsUUID('all', { message: 'planId must be a UUID' })
  planId!: string;
}

export class ChangePlanDto {
  @ApiProperty({ format: 'uuid', description: 'Another active plan of the same API.' })
  @IsUUID('all', { message: 'planId must be a UUID' })
  planId!: string;
}

export class CancelSubscriptionDto {
  @ApiProperty({
    description:
      'true: keep access until the current period ends, then cancel; false: cancel now. Subscriptions without a running period (pending approval, incomplete) are always canceled now.',
  })
  @IsBoolean({ message: 'atPeriodEnd must be a boolean' })
  atPeriodEnd!: boolean;
}

export class ProviderSubscriptionsQueryDto {
  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES, description: 'Only subscriptions in this state.' })
  @IsOptional()
  @IsIn([...SUBSCRIPTION_STATUSES], { message: `status must be one of ${SUBSCRIPTION_STATUSES.join(', ')}` })
  status?: SubscriptionStatus;
}

export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The subscribing account.' }) consumerAccountId!: string;
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty({
    format: 'uuid',
    description:
      'The plan version held: a plan changed after subscribing becomes a new version; this one stays.',
  })
  planId!: string;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES }) status!: SubscriptionStatus;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'Start of the current quota period (monthly: anchored to the subscription start; daily: the UTC day). Null while no period runs.',
  })
  currentPeriodStart!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End (exclusive) of the current period.',
  })
  currentPeriodEnd!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) trialEndsAt!: string | null;
  @ApiProperty({ description: 'Cancels when the current period ends.' }) cancelAtPeriodEnd!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) canceledAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'past_due only: calls are answered until then, then refused with subscription_inactive until the invoice is paid.',
  })
  paymentGraceEndsAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;

  static from(view: SubscriptionView): SubscriptionDto {
    const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());
    return {
      id: view.id,
      consumerAccountId: view.consumerAccountId,
      apiId: view.apiId,
      planId: view.planId,
      status: view.status,
      currentPeriodStart: iso(view.currentPeriodStart),
      currentPeriodEnd: iso(view.currentPeriodEnd),
      trialEndsAt: iso(view.trialEndsAt),
      cancelAtPeriodEnd: view.cancelAtPeriodEnd,
      canceledAt: iso(view.canceledAt),
      paymentGraceEndsAt: iso(view.paymentGraceEndsAt),
      createdAt: view.createdAt.toISOString(),
      updatedAt: view.updatedAt.toISOString(),
    };
  }
}

export class SubscribeResultDto extends SubscriptionDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Where to pay when payment is due (Stripe Checkout); null when nothing is to be paid here.',
  })
  checkoutUrl!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'What happens next (provider approval, payment), or null when the subscription is usable.',
  })
  nextStep!: string | null;

  static fromResult(result: SubscribeResult): SubscribeResultDto {
    return {
      ...SubscriptionDto.from(result.subscription),
      checkoutUrl: result.checkoutUrl,
      nextStep: result.nextStep,
    };
  }
}

export class CheckoutDto {
  @ApiProperty({ description: 'The Stripe Checkout page to send the browser to.' })
  checkoutUrl!: string;
}
