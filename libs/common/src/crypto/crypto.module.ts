import { Module } from '@nestjs/common';
import { EncryptionEnv } from './encryption.env';
import { SecretBox } from './secret-box';

/**
 * Provides the SecretBox keyed with ENCRYPTION_KEY. An app that does not include EncryptionEnv
 * (the cli, which only migrates and seeds accounts) gets a box that refuses to seal or open, with
 * a message saying why, instead of failing to boot.
 */
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [{ token: EncryptionEnv, optional: true }],
      useFactory: (env?: EncryptionEnv) =>
        env
          ? SecretBox.fromBase64(env.ENCRYPTION_KEY)
          : new SecretBox(
              null,
              'ENCRYPTION_KEY is not configured in this process: add EncryptionEnv to its env class to read or write encrypted secrets',
            ),
    },
  ],
  exports: [SecretBox],
})
export class CryptoModule {}
