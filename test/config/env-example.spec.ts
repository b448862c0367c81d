import { CoreEnv, loadEnv } from '@app/common';
import { IdentityEnv } from '@app/identity';
import { getMetadataStorage } from 'class-validator';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** STYLE.md: `.env.example` documents every variable. These tests fail when one is added without it. */

const ROOT = join(__dirname, '..', '..');
const VARIABLE_LINE = /^([A-Z][A-Z0-9_]*)=(.*)$/;

interface ExampleVariable {
  name: string;
  value: string;
  line: number;
  commented: boolean;
}

/** Parses `.env.example`: `NAME=value` lines, each documented by the comment block above it (a group of variables may share one). */
function parseEnvExample(): ExampleVariable[] {
  const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
  const variables: ExampleVariable[] = [];
  lines.forEach((text, index) => {
    const match = VARIABLE_LINE.exec(text);
    if (!match) return;
    let above = index - 1;
    while (above >= 0 && VARIABLE_LINE.test(lines[above])) above -= 1;
    variables.push({
      name: match[1],
      value: match[2],
      line: index + 1,
      commented: above >= 0 && lines[above].startsWith('#'),
    });
  });
  return variables;
}

/** Every property of an env class: the ones with defaults (instance keys) and the decorated ones (SESSION_SECRET!, GITHUB_CLIENT_ID?). */
function envClassKeys(cls: new () => object): string[] {
  const decorated = getMetadataStorage()
    .getTargetValidationMetadatas(cls, '', true, false)
    .map((metadata) => metadata.propertyName);
  return [...new Set([...Object.keys(new cls()), ...decorated])].sort();
}

function envSourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : envSourceFiles(path);
    return entry.name.endsWith('.env.ts') ? [path] : [];
  });
}

/** UPPER_CASE property declarations in every `*.env.ts` under apps/ and libs/ (the apps' env classes too). */
function declaredInEnvSources(): Map<string, string> {
  const declared = new Map<string, string>();
  for (const file of [...envSourceFiles(join(ROOT, 'apps')), ...envSourceFiles(join(ROOT, 'libs'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(
      /^\s+(?:readonly\s+)?([A-Z][A-Z0-9_]*)[!?]?\s*[:=]/gm,
    )) {
      declared.set(match[1], relative(ROOT, file));
    }
  }
  return declared;
}

describe('.env.example', () => {
  const variables = parseEnvExample();
  const names = new Set(variables.map((v) => v.name));

  it('lists every property of CoreEnv', () => {
    const keys = envClassKeys(CoreEnv);
    expect(keys).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'REDIS_PREFIX']));
    expect(keys.filter((key) => !names.has(key))).toEqual([]);
  });

  it('lists every property of IdentityEnv, including the ones without a default', () => {
    const keys = envClassKeys(IdentityEnv);
    expect(keys).toEqual(
      expect.arrayContaining(['SESSION_SECRET', 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET']),
    );
    expect(keys.filter((key) => !names.has(key))).toEqual([]);
  });

  it('lists every variable declared in an apps/ or libs/ *.env.ts file', () => {
    const missing = [...declaredInEnvSources()]
      .filter(([name]) => !names.has(name))
      .map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
  });

  it('lists the process ports, URLs, seed and later-issue placeholders of DESIGN.md §7', () => {
    const expected = [
      'API_PORT',
      'GATEWAY_PORT',
      'WORKER_PORT',
      'PUBLIC_URL',
      'GATEWAY_URL',
      'GATEWAY_ALLOW_PRIVATE_UPSTREAMS',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
      'SEARCH_ENGINE',
      'MEILI_URL',
      'MEILI_KEY',
      'PAYMENTS',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'PLATFORM_FEE_BPS',
      'EMAIL',
      'SMTP_URL',
    ];
    expect(expected.filter((name) => !names.has(name))).toEqual([]);
  });

  it('documents every variable with a comment above it', () => {
    expect(variables.filter((v) => !v.commented).map((v) => `${v.name} (line ${v.line})`)).toEqual([]);
  });

  it('lists each variable once', () => {
    const seen = variables.map((v) => v.name);
    expect(seen.filter((name, i) => seen.indexOf(name) !== i)).toEqual([]);
  });

  it('holds values that CoreEnv and IdentityEnv accept (as a fresh .env from `npm run up`)', () => {
    const raw: Record<string, string> = Object.fromEntries(variables.map((v) => [v.name, v.value]));
    raw.SESSION_SECRET = 'generated-by-up-sh-0123456789abcdef0123456789';
    expect(() => loadEnv(CoreEnv, raw)).not.toThrow();
    expect(() => loadEnv(IdentityEnv, raw)).not.toThrow();
  });

  it('ships no secret: SESSION_SECRET, ADMIN_PASSWORD and the Stripe keys are empty', () => {
    const secrets = [
      'SESSION_SECRET',
      'ADMIN_PASSWORD',
      'GITHUB_CLIENT_SECRET',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'MEILI_KEY',
    ];
    expect(variables.filter((v) => secrets.includes(v.name) && v.value !== '').map((v) => v.name)).toEqual(
      [],
    );
  });
});
