import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const ROOT = join(__dirname, '..', '..', '..');
const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `apps/cli/src/main.ts` the way `npm run seed:admin` does (ts-node), against this test run's database. */
async function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/ts-node/dist/bin.js'),
        '-r',
        'tsconfig-paths/register',
        '--transpile-only',
        'apps/cli/src/main.ts',
        ...args,
      ],
      { cwd: ROOT, env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '', ...env }, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function account(
  email: string,
): Promise<{ roles: string[]; password_hash: string | null } | undefined> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ roles: string[]; password_hash: string | null }>(
      'SELECT roles, password_hash FROM accounts WHERE email = $1',
      [email],
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

describe('portico seed-admin / grant-admin (the CLI process)', () => {
  jest.setTimeout(120_000);
  const adminEmail = `cli-admin-${process.pid}-${Date.now().toString(36)}@example.com`;

  it('creates the admin with a generated password printed once, then only ensures the role on later runs', async () => {
    const first = await cli(['seed-admin'], { ADMIN_EMAIL: adminEmail });
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`Created the admin account ${adminEmail}.`);
    expect(first.stdout).toContain('shown only this once');
    const password = /^ {6}(\S{24})$/m.exec(first.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const created = await account(adminEmail);
    expect(created?.roles).toEqual(['admin']);
    expect(created?.password_hash).toMatch(/^\$argon2id\$/);

    const second = await cli(['seed-admin'], { ADMIN_EMAIL: adminEmail });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(
      `The admin account ${adminEmail} already exists: it already has the admin role; its password was left unchanged (set ADMIN_PASSWORD to reset it).\n`,
    );
    expect(second.stdout).not.toContain(password);
    expect((await account(adminEmail))?.password_hash).toBe(created?.password_hash);
  });

  it('grant-admin fails clearly, exit 1, for an email without an account', async () => {
    const unknown = await cli(['grant-admin', `nobody-${Date.now()}@example.com`], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^grant-admin: An account with email nobody-\d+@example\.com was not found\.\n$/,
    );
  });
});
