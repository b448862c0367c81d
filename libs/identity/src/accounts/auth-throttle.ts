import { FixedWindowLimiter, rateLimited, sha256Hex } from '@app/common';
import { Injectable } from '@nestjs/common';
import { IdentityEnv } from '../identity.env';

/** Per-email limits. Tuned for people, not scripts: a typo-prone human never meets them. */
export const AUTH_LIMITS = {
  loginPerEmail: { limit: 10, windowSeconds: 15 * 60 },
  signupPerEmail: { limit: 5, windowSeconds: 60 * 60 },
} as const;

/** Throttles sign-up and login attempts per IP and per email (Redis fixed windows). */
@Injectable()
export class AuthThrottle {
  constructor(
    private readonly limiter: FixedWindowLimiter,
    private readonly env: IdentityEnv,
  ) {}

  async login(ip: string, email: string): Promise<void> {
    await this.check(`login:email:${sha256Hex(email.toLowerCase())}`, AUTH_LIMITS.loginPerEmail, 'login attempts for this email');
    await this.check(`login:ip:${ip}`, { limit: this.env.AUTH_LOGINS_PER_IP_PER_15_MIN, windowSeconds: 15 * 60 }, 'login attempts from your address');
  }

  async signup(ip: string, email: string): Promise<void> {
    await this.check(`signup:email:${sha256Hex(email.toLowerCase())}`, AUTH_LIMITS.signupPerEmail, 'sign-up attempts for this email');
    await this.check(`signup:ip:${ip}`, { limit: this.env.AUTH_SIGNUPS_PER_IP_PER_HOUR, windowSeconds: 60 * 60 }, 'sign-ups from your address');
  }

  /** A successful login clears the per-email counter so a user's own typos do not lock them out later. */
  async loginSucceeded(email: string): Promise<void> {
    await this.limiter.reset(`login:email:${sha256Hex(email.toLowerCase())}`);
  }

  private async check(bucket: string, rule: { limit: number; windowSeconds: number }, what: string): Promise<void> {
    const decision = await this.limiter.hit(bucket, rule.limit, rule.windowSeconds);
    if (!decision.allowed) {
      throw rateLimited(
        `Too many ${what}. Try again in ${decision.retryAfterSeconds} seconds.`,
        decision.retryAfterSeconds,
      );
    }
  }
}
