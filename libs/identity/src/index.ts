export * from './identity.env';
export * from './identity.module';
export * from './keys/api-key.format';
export type { Role } from './accounts/account.entity';
export type { ApiKeyKind, ApiKeyMode } from './keys/api-key.entity';
