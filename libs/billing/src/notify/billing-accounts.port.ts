import { Injectable } from '@nestjs/common';

/** Whom an invoice is addressed to, as the account reads when the invoice is drafted. */
export interface BillingContact {
  displayName: string;
  email: string;
}

/** Answers what billing needs of identity's accounts (libs/identity owns them; billing cannot read them). */
export interface BillingAccountsHandler {
  /** The accounts holding the admin role. */
  adminAccountIds(): Promise<string[]>;
  /** The account's name and email now; null for an unknown id. */
  contactOf(accountId: string): Promise<BillingContact | null>;
}

/**
 * What billing learns about accounts: who the admins are (notified about disputes) and whom an
 * invoice is addressed to (snapshotted in its parties when drafted). The app that rates periods and
 * applies Stripe events registers identity's answers at boot (apps/worker `BillingAccountsRegistrar`);
 * with none registered, admins are not notified (logged) and invoices carry the consumer's account
 * id only (their HTML then shows the reader's current name); the rest of each effect still applies.
 */
@Injectable()
export class BillingAccounts {
  private handler: BillingAccountsHandler | null = null;

  use(handler: BillingAccountsHandler): void {
    this.handler = handler;
  }

  get registered(): boolean {
    return this.handler !== null;
  }

  accountIds(): Promise<string[]> {
    return this.handler ? this.handler.adminAccountIds() : Promise.resolve([]);
  }

  contactOf(accountId: string): Promise<BillingContact | null> {
    return this.handler ? this.handler.contactOf(accountId) : Promise.resolve(null);
  }
}
