import { PlansService, ProvidersService, PublicCatalogService } from '@app/catalog';
import { Injectable } from '@nestjs/common';
import { BillingAccounts, type BillingContact } from '../notify/billing-accounts.port';
import type { InvoiceParties } from './invoice.entity';

/** Whom the invoice is addressed to as it kept them at drafting; null when it kept the account id only (older invoices). */
export function billedTo({ consumer }: InvoiceParties): BillingContact | null {
  return consumer.displayName !== undefined && consumer.email !== undefined
    ? { displayName: consumer.displayName, email: consumer.email }
    : null;
}

/** The records an invoice is about. */
export interface InvoiceSubject {
  consumerAccountId: string;
  providerId: string;
  apiId: string;
  planId: string;
}

/**
 * Both parties and what was sold, as they are when an invoice is drafted: the invoice keeps this
 * copy (`invoices.parties`), so a renamed provider, API, plan or consumer does not rewrite an issued
 * invoice. Used by local rating and by the mirror of Stripe's invoices alike.
 */
@Injectable()
export class InvoicePartiesService {
  constructor(
    private readonly providers: ProvidersService,
    private readonly catalog: PublicCatalogService,
    private readonly plans: PlansService,
    private readonly accounts: BillingAccounts,
  ) {}

  async of(subject: InvoiceSubject): Promise<InvoiceParties> {
    const [provider, api, plan, consumer] = await Promise.all([
      this.providers.findById(subject.providerId),
      this.catalog.nameOf(subject.apiId),
      this.plans.findById(subject.planId),
      this.accounts.contactOf(subject.consumerAccountId),
    ]);
    return {
      provider: {
        id: subject.providerId,
        displayName: provider?.displayName ?? 'Unknown provider',
        slug: provider?.slug ?? '',
        supportEmail: provider?.supportEmail ?? '',
      },
      consumer: { accountId: subject.consumerAccountId, ...consumer },
      api: { id: subject.apiId, name: api?.name ?? 'Unknown API', slug: api?.slug ?? null },
      plan: { id: subject.planId, name: plan?.name ?? 'Unknown plan' },
    };
  }
}
