import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Not, type Repository } from 'typeorm';
import { SessionEntity } from './session.entity';

@Injectable()
export class SessionRepository {
  constructor(@InjectRepository(SessionEntity) private readonly repo: Repository<SessionEntity>) {}

  create(values: Pick<SessionEntity, 'accountId' | 'tokenHash' | 'csrfToken' | 'expiresAt' | 'ip' | 'userAgent'>): Promise<SessionEntity> {
    return this.repo.save(this.repo.create({ ...values, revokedAt: null }));
  }

  /** A live session by token hash, with its account. */
  findLiveByTokenHash(tokenHash: string, now: Date): Promise<SessionEntity | null> {
    return this.repo.findOne({
      where: { tokenHash, revokedAt: IsNull(), expiresAt: MoreThan(now) },
      relations: { account: true },
    });
  }

  async revoke(accountId: string, sessionId: string, now: Date): Promise<void> {
    await this.repo.update({ id: sessionId, accountId, revokedAt: IsNull() }, { revokedAt: now });
  }

  async revokeAllForAccount(accountId: string, now: Date, exceptSessionId?: string): Promise<void> {
    await this.repo.update(
      { accountId, revokedAt: IsNull(), ...(exceptSessionId ? { id: Not(exceptSessionId) } : {}) },
      { revokedAt: now },
    );
  }
}
