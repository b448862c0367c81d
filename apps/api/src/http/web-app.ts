import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/** Paths the api answers itself; everything else that asks for HTML is a page of the web UI. */
const API_PATHS = /^\/(?:v1|docs|openapi\.json|health|ready)(?:\/|$)/;

/**
 * The marketplace UI of apps/web sets nothing inline, so the page can forbid every script, style and
 * frame that is not its own. Images may come from anywhere over https (providers' logos).
 */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

export interface WebAppOptions {
  /** The Vite build of apps/web (index.html and assets/); relative paths are read from the working directory. */
  dir: string;
  /** Written into the page's `portico-gateway-url` meta tag: the address the UI shows in snippets. */
  gatewayUrl: string;
}

/**
 * Serves the web UI from the api's own origin (DESIGN §1), so the session cookie and CSRF token work
 * as they do for any same-origin client: the hashed assets with a year's cache, and index.html for
 * every other GET that accepts HTML outside the api's own paths (the UI routes in the browser).
 * Answers false when the UI is not built; the api then runs without it.
 */
export function serveWebApp(app: NestExpressApplication, options: WebAppOptions): boolean {
  if (!webBuildIn(options.dir)) return false;
  const dir = path.resolve(options.dir);
  const indexFile = path.join(dir, 'index.html');
  const page = readFileSync(indexFile, 'utf8').replace(
    /(<meta name="portico-gateway-url" content=")[^"]*(")/,
    (_match, before: string, after: string) => `${before}${escapeAttribute(options.gatewayUrl)}${after}`,
  );

  app.useStaticAssets(path.join(dir, 'assets'), {
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    fallthrough: false,
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PATHS.test(req.path) || !req.accepts('html'))
      return next();
    res.set(PAGE_HEADERS).type('html').send(page);
  });
  return true;
}

/** Whether `dir` holds a build of the web UI (what serveWebApp serves; the one-process start says so). */
export function webBuildIn(dir: string): boolean {
  return existsSync(path.join(path.resolve(dir), 'index.html'));
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
