import { Clock, randomToken, sha256Hex } from '@app/common';
import { Injectable } from '@nestjs/common';
import type { AccountEntity } from '../accounts/account.entity';
import { IdentityEnv } from '../identity.env';
import { SessionRepository } from './session.repository';

export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
}

export interface IssuedSession {
  sessionId: string;
  /** The cookie value; shown to the browser only. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface AuthenticatedSession {
  sessionId: string;
  csrfToken: string;
  account: AccountEntity;
}

/** Server-side sessions: logout and password changes really end them. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly env: IdentityEnv,
    private readonly clock: Clock,
  ) {}

  async issue(accountId: string, meta: SessionMeta = {}): Promise<IssuedSession> {
    const token = randomToken(32);
    const csrfToken = randomToken(24);
    const expiresAt = new Date(this.clock.now().getTime() + this.env.SESSION_TTL_HOURS * 3600_000);
    const session = await this.sessions.create({
      accountId,
      tokenHash: sha256Hex(token),
      csrfToken,
      expiresAt,
      ip: meta.ip?.slice(0, 64) ?? null,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
    });
    return { sessionId: session.id, token, csrfToken, expiresAt };
  }

  async authenticate(token: string): Promise<AuthenticatedSession | null> {
    if (token.length < 20 || token.length > 100) return null;
    const session = await this.sessions.findLiveByTokenHash(sha256Hex(token), this.clock.now());
    if (!session?.account) return null;
    return { sessionId: session.id, csrfToken: session.csrfToken, account: session.account };
  }

  revoke(accountId: string, sessionId: string): Promise<void> {
    return this.sessions.revoke(accountId, sessionId, this.clock.now());
  }

  revokeAll(accountId: string, exceptSessionId?: string): Promise<void> {
    return this.sessions.revokeAllForAccount(accountId, this.clock.now(), exceptSessionId);
  }
}
