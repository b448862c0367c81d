import { ValidateBy } from 'class-validator';
import { decodeEncryptionKey } from './secret-box';

export const ENCRYPTION_KEY_RULE =
  'ENCRYPTION_KEY must be 32 random bytes in base64 (generate one with: openssl rand -base64 32)';

/**
 * The key that encrypts secrets at rest (upstream credentials, proxy secrets). Required by the
 * api, the gateway and the worker; losing it makes those secrets unreadable, so back it up with
 * the database, and never change it without re-encrypting.
 */
export class EncryptionEnv {
  @ValidateBy({
    name: 'isEncryptionKey',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && decodeEncryptionKey(value) !== null,
      defaultMessage: () => ENCRYPTION_KEY_RULE,
    },
  })
  ENCRYPTION_KEY!: string;
}
