import { freePort, spawnApp, waitForHttp } from './support/spawn-app';

/**
 * Each process boots from its own entry point, logs structured lines, answers /health and /ready,
 * and stops cleanly on SIGTERM; a bad environment stops boot with a message naming the variable.
 */
const APPS = [
  { name: 'api', portVar: 'API_PORT' },
  { name: 'gateway', portVar: 'GATEWAY_PORT' },
  { name: 'worker', portVar: 'WORKER_PORT' },
] as const;

describe('process lifecycle', () => {
  jest.setTimeout(120_000);

  it.each(APPS)('$name boots, is ready, and exits 0 on SIGTERM', async ({ name, portVar }) => {
    const port = await freePort();
    const app = spawnApp(name, { [portVar]: String(port), LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, app);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).toBe(200);
      const secrets: string[] = [];
      if (name === 'api') {
        // a real sign-up goes through the request logger: neither the password, the key nor the cookie may reach a log line
        const password = `pw-${Date.now()}-long-enough`;
        const signup = await fetch(`http://127.0.0.1:${port}/v1/auth/signup`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: `lifecycle-${Date.now()}@example.com`, password }),
        });
        expect(signup.status).toBe(201);
        const body = (await signup.json()) as { key: { secret: string } };
        const cookie = signup.headers.get('set-cookie')!.split(';')[0].split('=')[1];
        secrets.push(password, body.key.secret, cookie);
      }
      app.child.kill('SIGTERM');
      const { code } = await app.exited;
      expect(code).toBe(0);
      expect(app.stdout()).toContain(`${name}: stopped`);
      for (const secret of secrets) expect(app.stdout() + app.stderr()).not.toContain(secret);
      const jsonLines = app
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      expect(jsonLines.length).toBeGreaterThan(0);
      expect(JSON.parse(jsonLines[0])).toMatchObject({ app: name });
    } finally {
      app.child.kill('SIGKILL');
    }
  });

  it('runs all three apps in one process: lines outside a request name the process, request lines their app', async () => {
    const [api, gateway, worker] = [await freePort(), await freePort(), await freePort()];
    const app = spawnApp('standalone', {
      API_PORT: String(api),
      GATEWAY_PORT: String(gateway),
      WORKER_PORT: String(worker),
      DEMO: 'false',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    try {
      for (const port of [api, gateway, worker]) await waitForHttp(`http://127.0.0.1:${port}/health`, app);
      expect((await fetch(`http://127.0.0.1:${api}/v1/apis`)).status).toBe(200);
      app.child.kill('SIGTERM');
      expect((await app.exited).code).toBe(0);
      const lines = app
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { app: string; msg: string; req?: { url: string } });
      // the api's routes are mapped while it boots, after the worker's
      expect(lines.find((line) => line.msg === 'Mapped {/v1/apis, GET} route')?.app).toBe('portico');
      expect(lines.find((line) => line.req?.url === '/v1/apis')?.app).toBe('api');
      expect(lines.some((line) => line.app === 'worker' && !line.req)).toBe(false);
    } finally {
      app.child.kill('SIGKILL');
    }
  });

  it('refuses to boot on a malformed environment, naming each bad variable and never echoing a secret', async () => {
    const secret = 'short-secret';
    const app = spawnApp('api', { DATABASE_URL: 'mysql://nope', SESSION_SECRET: secret, API_PORT: 'eighty' });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.stderr()).toContain('DATABASE_URL');
    expect(app.stderr()).toContain('SESSION_SECRET');
    expect(app.stderr()).toContain('API_PORT');
    expect(app.stderr()).not.toContain(secret);
    expect(app.stderr()).not.toMatch(/\n\s+at /);
  });
});
