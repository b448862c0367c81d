import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { serveWebApp, webBuildIn } from './web-app';

@Module({})
class EmptyModule {}

const PAGE = `<!doctype html><html><head><meta name="portico-gateway-url" content="http://localhost:8080" /></head><body><div id="root"></div></body></html>`;

describe('serveWebApp', () => {
  let dir: string;
  let app: NestExpressApplication;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), PAGE);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("ui")');
    app = await NestFactory.create<NestExpressApplication>(EmptyModule, { logger: false });
    expect(serveWebApp(app, { dir, gatewayUrl: 'https://gw.example.com/"><script>' })).toBe(true);
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, accept = 'text/html') =>
    request(app.getHttpServer()).get(path).set('Accept', accept);

  it.each(['/', '/apis/weather-now', '/dashboard', '/subscriptions/5f0c?checkout=success'])(
    'answers %s with the page, the gateway URL written in as an attribute value',
    async (path) => {
      const res = await get(path).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('content="https://gw.example.com/&quot;>&lt;script>"');
      expect(res.text).not.toContain('<script>');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['cache-control']).toBe('no-cache');
    },
  );

  it('leaves the api its own paths, whatever the Accept header', async () => {
    for (const path of ['/v1/apis', '/v1', '/docs', '/openapi.json', '/health', '/ready']) {
      const res = await get(path).expect(404);
      expect(res.text).not.toContain('portico-gateway-url');
    }
  });

  it('answers only browser navigations: not JSON clients, not other methods', async () => {
    await get('/anything', 'application/json').expect(404);
    await request(app.getHttpServer()).post('/').set('Accept', 'text/html').expect(404);
  });

  it('serves the hashed assets for a year, and a missing one as 404 rather than the page', async () => {
    const res = await get('/assets/index-abc123.js', '*/*').expect(200);
    expect(res.text).toBe('console.log("ui")');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await get('/assets/index-old999.js', '*/*').expect(404);
    expect(missing.text).not.toContain('portico-gateway-url');
  });

  it('serves nothing when the UI is not built (bootstrap logs it)', async () => {
    const bare = await NestFactory.create<NestExpressApplication>(EmptyModule, { logger: false });
    expect(webBuildIn(dir)).toBe(true);
    expect(webBuildIn(join(dir, 'missing'))).toBe(false);
    expect(serveWebApp(bare, { dir: join(dir, 'missing'), gatewayUrl: 'http://localhost:8080' })).toBe(false);
    await bare.init();
    await request(bare.getHttpServer()).get('/').set('Accept', 'text/html').expect(404);
    await bare.close();
  });
});
