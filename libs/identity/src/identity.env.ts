import { IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';

/** Variables owned by libs/identity: sessions, GitHub sign-in and the seeded admin. */
export class IdentityEnv {
  /** Public URL of the web UI / api (https turns on Secure cookies). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_URL = 'http://localhost:3000';

  /** Signs session cookies and CSRF tokens; at least 32 characters. */
  @IsString()
  @MinLength(32, { message: 'SESSION_SECRET must be at least 32 characters (run: openssl rand -base64 48)' })
  SESSION_SECRET!: string;

  @IsInt()
  @Min(1)
  @Max(24 * 90)
  SESSION_TTL_HOURS = 24 * 14;

  @IsOptional()
  @IsString()
  GITHUB_CLIENT_ID?: string;

  @IsOptional()
  @IsString()
  GITHUB_CLIENT_SECRET?: string;

  /** Override for GitHub Enterprise (and the test fake). */
  @IsUrl({ require_tld: false, require_protocol: true })
  GITHUB_AUTHORIZE_URL = 'https://github.com/login/oauth/authorize';

  @IsUrl({ require_tld: false, require_protocol: true })
  GITHUB_TOKEN_URL = 'https://github.com/login/oauth/access_token';

  /** Base of GitHub's REST API: `/user` and `/user/emails` are read from here. */
  @IsUrl({ require_tld: false, require_protocol: true })
  GITHUB_API_URL = 'https://api.github.com';

  /** Grace period (seconds) a rotated key stays valid when the caller does not choose one. */
  @IsInt()
  @Min(0)
  @Max(30 * 24 * 3600)
  KEY_ROTATION_DEFAULT_GRACE_SECONDS = 24 * 3600;
}
