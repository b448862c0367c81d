import { Injectable } from '@nestjs/common';

/** Answers the accounts holding the admin role (libs/identity owns accounts; billing cannot read them). */
export interface BillingAdminsHandler {
  adminAccountIds(): Promise<string[]>;
}

/**
 * Who billing notifies about platform matters (disputes). The app that applies Stripe events
 * registers identity's answer at boot (apps/worker `BillingAdminsRegistrar`); with none registered,
 * admins are not notified (logged), the rest of the effect still applies.
 */
@Injectable()
export class BillingAdmins {
  private handler: BillingAdminsHandler | null = null;

  use(handler: BillingAdminsHandler): void {
    this.handler = handler;
  }

  get registered(): boolean {
    return this.handler !== null;
  }

  accountIds(): Promise<string[]> {
    return this.handler ? this.handler.adminAccountIds() : Promise.resolve([]);
  }
}
