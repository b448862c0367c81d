import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountEntity } from './accounts/account.entity';
import { ApplicationEntity } from './applications/application.entity';
import { ApiKeyEntity } from './keys/api-key.entity';
import { SessionEntity } from './sessions/session.entity';

@Module({
  imports: [TypeOrmModule.forFeature([AccountEntity, SessionEntity, ApplicationEntity, ApiKeyEntity])],
  providers: [],
  exports: [],
})
export class IdentityModule {}
