import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Max, Min, MinLength, ValidateIf } from 'class-validator';

/** Variables owned by libs/identity: sessions, GitHub sign-in and the seeded admin. */
export class IdentityEnv {
  /** Public URL of the web UI / api (https turns on Secure cookies). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_URL = 'http://localhost:3000';

  /** Signs session cookies and CSRF tokens; at least 32 characters. */
  @IsString()
  @MinLength(32, { message: 'SESSION_SECRET must be at least 32 characters (run: openssl rand -base64 48)' })
  SESSION_SECRET!: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 90)
  SESSION_TTL_HOURS = 24 * 14;

  /** GitHub OAuth app credentials: "Sign in with GitHub" is offered when both are set (set both or neither). */
  @ValidateIf((env: IdentityEnv) => env.GITHUB_CLIENT_ID !== undefined || env.GITHUB_CLIENT_SECRET !== undefined)
  @IsNotEmpty({ message: 'GITHUB_CLIENT_ID must be set when GITHUB_CLIENT_SECRET is (set both or neither)' })
  GITHUB_CLIENT_ID?: string;

  @ValidateIf((env: IdentityEnv) => env.GITHUB_CLIENT_ID !== undefined || env.GITHUB_CLIENT_SECRET !== undefined)
  @IsNotEmpty({ message: 'GITHUB_CLIENT_SECRET must be set when GITHUB_CLIENT_ID is (set both or neither)' })
  GITHUB_CLIENT_SECRET?: string;

  /** Override for GitHub Enterprise (and the test fake). */
  @IsUrl({ require_tld: false, require_protocol: true })
  GITHUB_AUTHORIZE_URL = 'https://github.com/login/oauth/authorize';

  @IsUrl({ require_tld: false, require_protocol: true })
  GITHUB_TOKEN_URL = 'https://github.com/login/oauth/access_token';

  /** Base of GitHub's REST API: `/user` and `/user/emails` are read from here. */
  @IsUrl({ require_tld: false, require_protocol: true })
  GITHUB_API_URL = 'https://api.github.com';

  /** Sign-ups accepted from one IP address per hour (login and sign-up throttles are per IP and per email). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_SIGNUPS_PER_IP_PER_HOUR = 20;

  /** Login attempts accepted from one IP address per 15 minutes. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_LOGINS_PER_IP_PER_15_MIN = 100;

  /** Grace period (seconds) a rotated key stays valid when the caller does not choose one. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(30 * 24 * 3600)
  KEY_ROTATION_DEFAULT_GRACE_SECONDS = 24 * 3600;

  /** The admin account `portico seed-admin` creates or updates. */
  @IsOptional()
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an email address' })
  ADMIN_EMAIL?: string;

  /** Password `seed-admin` sets; unset: a new admin gets a generated one (printed once), an existing admin keeps theirs. */
  @IsOptional()
  @IsString()
  @MinLength(10, { message: 'ADMIN_PASSWORD must be at least 10 characters' })
  ADMIN_PASSWORD?: string;
}
