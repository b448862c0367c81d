import { ThrottleModule } from '@app/common';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountEntity } from './accounts/account.entity';
import { AccountOpeningService } from './accounts/account-opening.service';
import { AccountRepository } from './accounts/account.repository';
import { AccountsService } from './accounts/accounts.service';
import { AuthThrottle } from './accounts/auth-throttle';
import { PasswordHasher } from './accounts/password-hasher';
import { AccountSeedService } from './admin/account-seed.service';
import { AdminSeedService } from './admin/admin-seed.service';
import { ApplicationEntity } from './applications/application.entity';
import { ApplicationRepository } from './applications/application.repository';
import { ApplicationsService } from './applications/applications.service';
import { GithubLoginService } from './github/github-login.service';
import { ApiKeyEntity } from './keys/api-key.entity';
import { ApiKeyRepository } from './keys/api-key.repository';
import { ApiKeysService } from './keys/api-keys.service';
import { KeyInvalidationService } from './keys/key-invalidation.service';
import { KeyResolver } from './keys/key-resolver.service';
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
    AccountOpeningService,
    GithubLoginService,
    AdminSeedService,
    AccountSeedService,
    SessionsService,
    ApplicationsService,
    ApiKeysService,
    KeyInvalidationService,
    KeyResolver,
  ],
  exports: [AccountsService, SessionsService, ApplicationsService, ApiKeysService, KeyResolver, GithubLoginService, AdminSeedService, AccountSeedService],
})
export class IdentityModule {}
