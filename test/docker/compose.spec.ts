import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * No Docker engine runs here (STACK.md), so docker/docker-compose.yml and docker/Dockerfile are
 * checked by reading them: the services exist, the apps run from the one image after `migrate`,
 * Redis keeps BullMQ's jobs (noeviction), and every `${VAR}` is documented in .env.example.
 */

const ROOT = join(__dirname, '..', '..');
const COMPOSE_TEXT = readFileSync(join(ROOT, 'docker', 'docker-compose.yml'), 'utf8');
const DOCKERFILE = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8');
const ENV_EXAMPLE_NAMES = new Set(
  readFileSync(join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined),
);
const APPS = ['api', 'gateway', 'worker'] as const;

interface DependsOn {
  condition: string;
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  depends_on?: Record<string, DependsOn>;
  healthcheck?: { test?: string[]; disable?: boolean };
  profiles?: string[];
  restart?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const compose = parse(COMPOSE_TEXT) as ComposeFile;
const packageScripts = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const services = compose.services;
const nestProjects = (
  JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as { projects: Record<string, unknown> }
).projects;

describe('docker/docker-compose.yml', () => {
  it('defines postgres, redis, meilisearch, migrate, api, gateway and worker', () => {
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining(['api', 'gateway', 'meilisearch', 'migrate', 'postgres', 'redis', 'worker']),
    );
    expect(services.postgres.image).toMatch(/^postgres:15/);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.meilisearch.image).toMatch(/^getmeili\/meilisearch:/);
  });

  it('runs api, gateway, worker and migrate from the one image built by docker/Dockerfile', () => {
    const image = services.migrate.image;
    expect(image).toBeTruthy();
    for (const name of [...APPS, 'migrate']) {
      expect({ name, image: services[name].image }).toEqual({ name, image });
      expect({ name, build: services[name].build }).toEqual({
        name,
        build: { context: '..', dockerfile: 'docker/Dockerfile' },
      });
    }
  });

  it.each(APPS)(
    'starts %s exactly as `npm run start:<app>` does (node [flags] dist/apps/<app>/main.js), a nest-cli project',
    (app) => {
      const start = packageScripts[`start:${app}`];
      expect(start).toMatch(new RegExp(`^node( --[^ ]+)* dist/apps/${app}/main\\.js$`));
      expect(services[app].command).toEqual(start.split(' '));
      expect(nestProjects[app]).toBeDefined();
    },
  );

  it('migrates with the cli one-shot, after postgres and redis are healthy', () => {
    expect(services.migrate.command).toEqual(['node', 'dist/apps/cli/main.js', 'migrate', 'run']);
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(nestProjects.cli).toBeDefined();
  });

  it.each(APPS)('starts %s only after migrate completed successfully and the stores are healthy', (app) => {
    expect(services[app].depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('gives every long-running service a healthcheck', () => {
    for (const name of ['postgres', 'redis', 'meilisearch', ...APPS]) {
      expect({ name, test: services[name].healthcheck?.test?.length }).toEqual({
        name,
        test: expect.any(Number),
      });
    }
  });

  it('runs redis with maxmemory-policy noeviction (BullMQ) and keeps persistence on', () => {
    const command = services.redis.command;
    expect(Array.isArray(command)).toBe(true);
    const args = command as string[];
    expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
    expect(args.join(' ')).not.toMatch(/--save\s+""|--save\s+''|--appendonly\s+no/);
  });

  it('points the apps at the compose stores and requires SESSION_SECRET', () => {
    for (const name of [...APPS, 'migrate']) {
      const env = services[name].environment ?? {};
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(env.SESSION_SECRET).toMatch(/^\$\{SESSION_SECRET:\?/);
    }
  });

  it('passes every .env.example variable to the apps (a setting in .env is never silently ignored)', () => {
    // compose-only variables, and the ports: the containers listen on the defaults, these publish them
    const notForApps = new Set([
      'POSTGRES_PASSWORD',
      'PORTICO_IMAGE',
      'API_PORT',
      'GATEWAY_PORT',
      'WORKER_PORT',
    ]);
    for (const name of [...APPS, 'migrate']) {
      const passed = new Set(Object.keys(services[name].environment ?? {}));
      const dropped = [...ENV_EXAMPLE_NAMES].filter((v) => !notForApps.has(v) && !passed.has(v));
      expect({ name, dropped }).toEqual({ name, dropped: [] });
    }
  });

  it('documents every ${VAR} it references in .env.example', () => {
    const referenced = [...COMPOSE_TEXT.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    expect(referenced.length).toBeGreaterThan(10);
    expect([...new Set(referenced)].filter((name) => !ENV_EXAMPLE_NAMES.has(name))).toEqual([]);
  });
});

describe('docker/Dockerfile', () => {
  it('builds in stages with npm ci and npm run build, and runs node:20-slim with production dependencies only', () => {
    expect(DOCKERFILE).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    expect(DOCKERFILE).toMatch(/^RUN npm ci\b/m);
    expect(DOCKERFILE).toMatch(/^RUN npm run build$/m);
    expect(DOCKERFILE).toMatch(/npm ci --omit=dev/);
    expect(DOCKERFILE.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
  });

  it('copies the build configuration nest-cli.json names into the build stage (the webpack hook adds the import thread)', () => {
    const nestCli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
      compilerOptions: { webpackConfigPath?: string };
    };
    const copied = DOCKERFILE.match(/^COPY (?!--from)(.+) \.\/$/gm)?.flatMap((line) =>
      line.split(' ').slice(1, -1),
    );
    expect(nestCli.compilerOptions.webpackConfigPath).toBe('webpack.config.js');
    expect(copied).toEqual(
      expect.arrayContaining(['nest-cli.json', 'tsconfig.build.json', 'webpack.config.js']),
    );
  });

  it('runs as a non-root user with a HEALTHCHECK', () => {
    expect(DOCKERFILE).toMatch(/^USER node$/m);
    expect(DOCKERFILE).toMatch(/^HEALTHCHECK .*docker\/healthcheck\.js/m);
    expect(DOCKERFILE).toMatch(/^CMD \["node", "dist\/apps\/api\/main\.js"\]$/m);
  });
});
