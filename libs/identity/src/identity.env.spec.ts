import { loadEnv } from '@app/common';
import { envProblems } from '@app/common/testing';
import { githubLoginEnabled } from './github/github-login.service';
import { IdentityEnv } from './identity.env';

const SESSION_SECRET = 'a-session-secret-that-is-long-enough-0123456789';

const problems = (raw: Record<string, string>): string[] =>
  envProblems(IdentityEnv, { SESSION_SECRET, ...raw });

describe('IdentityEnv', () => {
  it('turns GitHub sign-in on only when both GitHub credentials are set', () => {
    expect(githubLoginEnabled(loadEnv(IdentityEnv, { SESSION_SECRET }))).toBe(false);
    expect(
      githubLoginEnabled(
        loadEnv(IdentityEnv, { SESSION_SECRET, GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'secret' }),
      ),
    ).toBe(true);
    // an empty value in .env means "not set"
    expect(
      githubLoginEnabled(
        loadEnv(IdentityEnv, { SESSION_SECRET, GITHUB_CLIENT_ID: '', GITHUB_CLIENT_SECRET: '' }),
      ),
    ).toBe(false);
  });

  it('refuses half a GitHub configuration, naming the missing variable', () => {
    expect(problems({ GITHUB_CLIENT_ID: 'id' })).toEqual([
      'GITHUB_CLIENT_SECRET must be set when GITHUB_CLIENT_ID is (set both or neither)',
    ]);
    expect(problems({ GITHUB_CLIENT_SECRET: 'secret' })).toEqual([
      'GITHUB_CLIENT_ID must be set when GITHUB_CLIENT_SECRET is (set both or neither)',
    ]);
  });

  it('accepts an unset admin, and validates ADMIN_EMAIL and ADMIN_PASSWORD when given', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'long enough password' })).toEqual([]);
    expect(problems({ ADMIN_EMAIL: 'not an email' })).toEqual(['ADMIN_EMAIL must be an email address']);
    expect(problems({ ADMIN_PASSWORD: 'short' })).toEqual(['ADMIN_PASSWORD must be at least 10 characters']);
  });
});
