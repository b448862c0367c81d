export * from './catalog.env';
export * from './catalog.module';
export type { PayoutStatus, ProviderEntity } from './providers/provider.entity';
export type { PayoutState } from './providers/provider.repository';
