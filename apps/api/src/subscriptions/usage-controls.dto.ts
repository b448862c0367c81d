import { USAGE_CONTROL_LIMITS, type SpendCapView, type UsageAlertsView } from '@app/subscriptions';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, Max, Min, ValidateIf } from 'class-validator';

const L = USAGE_CONTROL_LIMITS;

export class PutUsageAlertsDto {
  @ApiProperty({
    type: [Number],
    maxItems: L.alertsMax,
    example: [50, 80, 100],
    description: `Alert when the period's billing units reach these percentages of the plan's quota (integers ${L.quotaPercentMin}–${L.quotaPercentMax}; above 100 for soft quotas). Plans without a quota never fire them. [] for none.`,
  })
  @IsArray({ message: 'quotaPercents must be an array of integers' })
  @ArrayMaxSize(L.alertsMax, { message: `quotaPercents holds at most ${L.alertsMax} values` })
  @IsInt({ each: true, message: 'quotaPercents must hold integers' })
  @Min(L.quotaPercentMin, { each: true, message: `quotaPercents must be at least ${L.quotaPercentMin}` })
  @Max(L.quotaPercentMax, { each: true, message: `quotaPercents must be at most ${L.quotaPercentMax}` })
  quotaPercents!: number[];

  @ApiProperty({
    type: [Number],
    maxItems: L.alertsMax,
    example: [500],
    description: `Alert when the period's overage cost (overage units × the plan's unit price, rounded half-up) reaches these amounts, in minor units of the plan's currency (integers 1–${L.amountMinorMax}). [] for none.`,
  })
  @IsArray({ message: 'overageAmountsMinor must be an array of integers' })
  @ArrayMaxSize(L.alertsMax, { message: `overageAmountsMinor holds at most ${L.alertsMax} values` })
  @IsInt({ each: true, message: 'overageAmountsMinor must hold integers' })
  @Min(1, { each: true, message: 'overageAmountsMinor must be at least 1' })
  @Max(L.amountMinorMax, { each: true, message: `overageAmountsMinor must be at most ${L.amountMinorMax}` })
  overageAmountsMinor!: number[];
}

export class UsageAlertsDto {
  @ApiProperty({ format: 'uuid' }) subscriptionId!: string;
  @ApiProperty({ type: [Number], description: 'Ascending, distinct.' }) quotaPercents!: number[];
  @ApiProperty({ type: [Number], description: 'Ascending, distinct, minor units of `currency`.' })
  overageAmountsMinor!: number[];
  @ApiProperty({ description: "The plan's ISO currency." }) currency!: string;
  @ApiProperty({
    type: [String],
    example: ['quota:50', 'quota:80'],
    description:
      'Alerts that fired in the current period (`quota:<percent>`, `overage:<amountMinor>`, `spend_cap:<amountMinor>`): each fires at most once per period, as a notification (GET /v1/notifications).',
  })
  firedThisPeriod!: string[];

  static from(view: UsageAlertsView): UsageAlertsDto {
    return { ...view };
  }
}

export class PutSpendCapDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: L.amountMinorMax,
    description:
      "The most overage to pay per period, in minor units of the plan's currency (0: no overage at all); null removes the cap. Setting, raising or removing it lifts a reached cap at once.",
  })
  @ValidateIf((body: PutSpendCapDto) => body.amountMinor !== null)
  @IsInt({ message: 'amountMinor must be an integer (minor units) or null' })
  @Min(0, { message: 'amountMinor must be at least 0' })
  @Max(L.amountMinorMax, { message: `amountMinor must be at most ${L.amountMinorMax}` })
  amountMinor!: number | null;
}

export class SpendCapDto {
  @ApiProperty({ format: 'uuid' }) subscriptionId!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Minor units of `currency`; null: no cap.' })
  amountMinor!: number | null;
  @ApiProperty() currency!: string;
  @ApiProperty({
    description:
      'True while live calls answer 429 spend_cap_reached: until the period ends, or the cap is raised or removed.',
  })
  reached!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) currentPeriodStart!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) currentPeriodEnd!: string | null;
  @ApiProperty({ description: 'Overage units metered so far this period (seconds behind the gateway).' })
  overageUnits!: number;
  @ApiProperty({ description: 'Their cost so far (minor units, rounded half-up).' })
  overageCostMinor!: number;

  static from(view: SpendCapView): SpendCapDto {
    return {
      ...view,
      currentPeriodStart: view.currentPeriodStart?.toISOString() ?? null,
      currentPeriodEnd: view.currentPeriodEnd?.toISOString() ?? null,
    };
  }
}
