import { ThrottleModule } from '@app/common';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountEntity } from './accounts/account.entity';
import { AccountRepository } from './accounts/account.repository';
import { AccountsService } from './accounts/accounts.service';
import { AuthThrottle } from './accounts/auth-throttle';
import { PasswordHasher } from './accounts/password-hasher';
import { ApplicationEntity } from './applications/application.entity';
import { ApplicationRepository } from './applications/application.repository';
import { ApplicationsService } from './applications/applications.service';
import { ApiKeyEntity } from './keys/api-key.entity';
import { ApiKeyRepository } from './keys/api-key.repository';
import { ApiKeysService } from './keys/api-keys.service';
import { SessionEntity } from './sessions/session.entity';
import { SessionRepository } from './sessions/session.repository';
import { SessionsService } from './sessions/sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([AccountEntity, SessionEntity, ApplicationEntity, ApiKeyEntity]), ThrottleModule],
  providers: [
    AccountRepository,
    SessionRepository,
    ApplicationRepository,
    ApiKeyRepository,
    PasswordHasher,
    AuthThrottle,
    AccountsService,
    SessionsService,
    ApplicationsService,
    ApiKeysService,
  ],
  exports: [AccountsService, SessionsService, ApplicationsService, ApiKeysService],
})
export class IdentityModule {}
