import { CoreEnv } from '@app/common';
import { Injectable } from '@nestjs/common';
import { BillingEnv } from '../billing.env';

/** Whether test clocks may be used (README "Test clocks"): never in production. */
export function testClocksEnabled(nodeEnv: CoreEnv['NODE_ENV'], billing: BillingEnv): boolean {
  if (nodeEnv === 'production') return false;
  return billing.BILLING_TEST_CLOCKS ?? billing.PAYMENTS === 'local';
}

/** The switch libs/subscriptions checks before moving a subscription's timeline. */
@Injectable()
export class TestClocks {
  constructor(
    private readonly core: CoreEnv,
    private readonly billing: BillingEnv,
  ) {}

  get enabled(): boolean {
    return testClocksEnabled(this.core.NODE_ENV, this.billing);
  }
}
