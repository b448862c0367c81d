import { AppError } from '@app/common';
import { AdminSeedService, type AdminGrantResult, type AdminSeedResult } from '@app/identity';
import { NestFactory } from '@nestjs/core';
import { CliEnv } from './cli.env';
import { CliModule } from './cli.module';

export type AdminCommand = 'seed-admin' | 'grant-admin';

export const ADMIN_USAGE = `  seed-admin               create or update the admin account from ADMIN_EMAIL / ADMIN_PASSWORD
                           (no ADMIN_PASSWORD: a new admin gets a generated password, printed once)
  grant-admin <email>      give an existing account the admin role
`;

interface Output {
  write(text: string): unknown;
}

/** `portico seed-admin` and `portico grant-admin <email>`; the rules live in libs/identity (AdminSeedService). */
export async function runAdminCommand(
  command: AdminCommand,
  arg: string | undefined,
  out: Output = process.stdout,
  err: Output = process.stderr,
): Promise<number> {
  if (command === 'grant-admin' && !arg) {
    err.write('grant-admin needs the email of an existing account: portico grant-admin <email>\n');
    return 2;
  }
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(), { logger: ['error', 'warn'] });
  try {
    const seeder = app.get(AdminSeedService);
    if (command === 'seed-admin') {
      out.write(describeSeed(await seeder.seedFromEnv(), app.get(CliEnv).ADMIN_PASSWORD !== undefined));
    } else {
      out.write(describeGrant(await seeder.grantAdmin(arg!)));
    }
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      err.write(`${command}: ${error.detail}\n`);
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}

/** What seed-admin prints. The only password it ever prints is one it just generated. */
export function describeSeed(result: AdminSeedResult, passwordGiven: boolean): string {
  const email = result.account.email;
  if (result.created && result.generatedPassword !== null) {
    return [
      `Created the admin account ${email}.`,
      '',
      '  Generated password (shown only this once; Portico keeps only its hash):',
      '',
      `      ${result.generatedPassword}`,
      '',
      '  Store it in a password manager now. Change it after logging in, or run seed-admin again',
      '  with ADMIN_PASSWORD set to replace it.',
      '',
    ].join('\n');
  }
  if (result.created) return `Created the admin account ${email} with the password from ADMIN_PASSWORD.\n`;
  const role = result.roleGranted ? 'granted it the admin role' : 'it already has the admin role';
  const password = result.passwordChanged
    ? 'its password was replaced with ADMIN_PASSWORD and its sessions were ended'
    : passwordGiven
      ? 'its password already is ADMIN_PASSWORD'
      : 'its password was left unchanged (set ADMIN_PASSWORD to reset it)';
  return `The admin account ${email} already exists: ${role}; ${password}.\n`;
}

export function describeGrant(result: AdminGrantResult): string {
  return result.roleGranted
    ? `Granted the admin role to ${result.account.email}.\n`
    : `${result.account.email} already has the admin role; nothing changed.\n`;
}
