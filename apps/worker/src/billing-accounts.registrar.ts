import { BillingAccounts } from '@app/billing';
import { AppError } from '@app/common';
import { AccountsService } from '@app/identity';
import { Injectable, type OnModuleInit } from '@nestjs/common';

/** Composition: billing reads identity's admins (disputes) and consumers' names and emails (invoices); billing cannot import identity. */
@Injectable()
export class BillingAccountsRegistrar implements OnModuleInit {
  constructor(
    private readonly billingAccounts: BillingAccounts,
    private readonly accounts: AccountsService,
  ) {}

  onModuleInit(): void {
    this.billingAccounts.use({
      adminAccountIds: () => this.accounts.adminAccountIds(),
      contactOf: async (accountId) => {
        try {
          const { displayName, email } = await this.accounts.get(accountId);
          return { displayName, email };
        } catch (error) {
          if (error instanceof AppError && error.code === 'not_found') return null;
          throw error;
        }
      },
    });
  }
}
