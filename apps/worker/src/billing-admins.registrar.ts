import { BillingAdmins } from '@app/billing';
import { AccountsService } from '@app/identity';
import { Injectable, type OnModuleInit } from '@nestjs/common';

/** Composition: billing notifies identity's admins about disputes (billing cannot import identity). */
@Injectable()
export class BillingAdminsRegistrar implements OnModuleInit {
  constructor(
    private readonly admins: BillingAdmins,
    private readonly accounts: AccountsService,
  ) {}

  onModuleInit(): void {
    this.admins.use({ adminAccountIds: () => this.accounts.adminAccountIds() });
  }
}
