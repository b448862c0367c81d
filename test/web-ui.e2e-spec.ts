import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { request as undiciRequest } from 'undici';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { signUp } from './support/api-client';
import { send, SMALL_DOCUMENT } from './support/catalog-fixtures';
import {
  publishUpstreamApi,
  startGatewayStack,
  type GatewayStack,
  type PublishedApi,
} from './support/gateway-stack';
import { ROOT } from './support/spawn-app';
import { until } from './support/until';

interface AxeResults {
  passes: unknown[];
  violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
}

/**
 * The marketplace UI (apps/web) in a real browser, Debian's Chromium driven by playwright-core, against
 * the api that serves it, a gateway and a worker on this run's stores: a visitor finds an API, signs
 * up, subscribes, creates a key, calls the gateway with it, and sees the calls on the dashboard.
 * `npm test` builds the UI first (npm run build:web); `.ci/run` installs Chromium.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_DIR = join(ROOT, 'dist', 'web');
/** What the api writes into the page for the UI's snippets; never called (the test calls the real gateway). */
const PUBLIC_GATEWAY_URL = 'https://gateway.portico.test';
const PRO = {
  name: 'Pro',
  priceAmountMinor: 1999,
  currency: 'USD',
  quotaLimit: 4,
  quotaMode: 'soft',
  overageUnitPriceMinor: '0.5',
  rateLimit: { perSecond: 100, burst: 100 },
};

describe('web UI in a browser (api + gateway + worker)', () => {
  const name = `Orbit Weather ${randomBytes(3).toString('hex')}`;
  let upstream: Server;
  let stack: GatewayStack;
  let worker: INestApplication;
  let listing: PublishedApi;
  let browser: Browser;
  let page: Page;
  let site: string;
  let upstreamUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIR, 'index.html'))) {
      throw new Error(
        `${WEB_DIR} holds no build of the web UI: run npm run build:web (npm test runs it first)`,
      );
    }
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH`,
      );
    }
    upstream = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const prefix = `${process.env.REDIS_PREFIX ?? 'portico-test'}.web-${randomBytes(3).toString('hex')}`;
    stack = await startGatewayStack({
      REDIS_PREFIX: prefix,
      GATEWAY_URL: PUBLIC_GATEWAY_URL,
      WEB_DIST_DIR: WEB_DIR,
    });
    worker = await createWorkerApp(stack.env);
    await worker.init();
    await stack.api.listen(0, '127.0.0.1');
    site = `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`;
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    listing = await publishUpstreamApi(stack, {
      name,
      liveUrl: upstreamUrl,
      document: SMALL_DOCUMENT,
      plans: [PRO],
    });
    // the worker indexes a published listing within a second or two (libs/search README)
    await until(
      async () =>
        (await request(stack.api.getHttpServer()).get('/v1/search').query({ q: name })).body.total as number,
      (total) => total === 1,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 120_000);

  beforeEach(async () => {
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterEach(async () => {
    await page?.close();
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await stack?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  const text = (testId: string) => page.getByTestId(testId).innerText();

  it('a visitor finds an API, signs up, subscribes, creates a key and sees the calls made with it', async () => {
    await page.goto(`${site}/`);
    await page.getByRole('searchbox', { name: 'Search APIs' }).fill(name);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/[?&]q=/);
    await page.getByTestId('api-card').filter({ hasText: name }).click();

    // the listing: plans from the api, the endpoints of its OpenAPI document, the gateway URL the api wrote into the page
    await page.waitForURL(`${site}/apis/${listing.slug}`);
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    expect(await page.getByTestId('plan').allInnerTexts()).toEqual([
      expect.stringMatching(/^Basic\n+Free\n+1,000 calls a month, then blocked\n/),
      expect.stringMatching(
        /^Pro\n+\$19\.99 \/ month\n+4 calls a month\nthen \$0\.005 per call\n100 requests per second/,
      ),
    ]);
    expect(await page.locator('table code').allInnerTexts()).toEqual([
      '/items/{id}',
      '/items/{id}',
      '/search',
    ]);
    expect(await page.locator('pre.snippet').innerText()).toContain(
      `${PUBLIC_GATEWAY_URL}/${listing.slug}/search`,
    );

    // subscribing needs an account: sign-in first, then sign up from there
    const pro = page.getByTestId('plan').filter({ hasText: 'Pro' });
    await pro.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL(`${site}/login?next=${encodeURIComponent(`/apis/${listing.slug}`)}`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Ada Browser');
    await page.getByLabel('Email').fill(`ada-${randomBytes(4).toString('hex')}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign up' }).click();

    // the dashboard: the first key once, and empty states that say what to do
    await page.waitForURL(`${site}/dashboard`);
    expect(await text('secret')).toMatch(/^mp_test_/);
    expect(await text('signed-in-as')).toBe('Ada Browser');
    await page.getByText('No active subscription yet.').waitFor();
    await page.getByText('No calls yet.').waitFor();
    // shown once: a reload does not bring the secret back
    await page.reload();
    await page.getByText('No active subscription yet.').waitFor();
    expect(await page.getByTestId('secret').count()).toBe(0);

    await page.goto(`${site}/apis/${listing.slug}`);
    await pro.getByRole('button', { name: 'Subscribe' }).click();
    await pro.getByRole('status').filter({ hasText: 'Subscribed (active).' }).waitFor();
    expect(await text('current-subscription')).toContain('You are subscribed (active, plan Pro)');
    expect(await pro.getByRole('button', { name: 'Your plan' }).isDisabled()).toBe(true);
    const basic = page.getByTestId('plan').filter({ hasText: 'Basic' });
    expect(await basic.getByRole('button').innerText()).toBe('Switch to this plan');

    // alerts and a spend cap on the subscription's page
    await page.getByRole('link', { name: 'Manage it' }).click();
    const controls = page.getByTestId('usage-controls');
    await controls.getByLabel('Notify me at these percentages of the quota').fill('50');
    await controls.getByRole('button', { name: 'Save alerts' }).click();
    await controls.getByRole('status').filter({ hasText: 'Alerts saved.' }).waitFor();
    await controls.getByLabel('Pay at most this much overage').fill('1.5.0');
    await controls.getByRole('button', { name: 'Save cap' }).click();
    expect(await controls.getByRole('alert').innerText()).toContain('Spend cap: one amount in USD');
    await controls.getByLabel('Pay at most this much overage').fill('1.50');
    await controls.getByRole('button', { name: 'Save cap' }).click();
    await controls.getByTestId('spend-cap').filter({ hasText: 'Cap $1.50; overage so far $0.00.' }).waitFor();
    expect(await controls.getByLabel('Pay at most this much overage').inputValue()).toBe('1.50');
    await page.getByRole('heading', { name: `${name}: Pro`, level: 1 }).waitFor();

    // a live key, shown once; it calls the API through the gateway
    await page.getByRole('link', { name: 'Back to the dashboard' }).click();
    await page.getByTestId('period').filter({ hasText: name }).waitFor();
    await page.getByRole('combobox', { name: 'Key mode' }).selectOption('live');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page
      .getByRole('status')
      .filter({ hasText: 'New key' })
      .getByTestId('secret')
      .innerText();
    expect(secret).toMatch(/^mp_live_/);
    await page.getByTestId('key-row').nth(1).waitFor(); // the list reloads after the creation
    expect(await page.getByTestId('key-row').count()).toBe(2);
    const requestIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await undiciRequest(`${stack.gatewayUrl}/${listing.slug}/search?i=${i}`, {
        headers: { 'x-portico-key': secret },
      });
      expect(res.statusCode).toBe(200);
      requestIds.push(String(res.headers['x-portico-request-id']));
      await res.body.dump();
    }

    // gateway → BullMQ → worker → rollups → the dashboard
    // (the period, the chart and the request log are three requests: a reload can catch the worker
    // between them)
    await until(
      async () => {
        await page.reload();
        await page.getByTestId('period').first().waitFor();
        await page.locator('[data-testid=usage-totals], p.empty:has-text("No calls yet")').first().waitFor();
        await page.locator('[data-testid=request-row], p.empty:has-text("No requests")').first().waitFor();
        return {
          used: await text('quota-used'),
          chart: await page.getByTestId('usage-totals').count(),
          requests: await page.getByTestId('request-row').count(),
        };
      },
      ({ used, chart, requests }) => used === '3' && chart === 1 && requests === 3,
      30_000,
    );
    expect(await text('usage-totals')).toMatch(/^3 calls · 0 % errors/);
    expect(await page.locator('[data-testid=usage-bar][data-calls="3"]').count()).toBe(1);
    // the request log: the three calls, by the request ids the gateway answered with
    const rows = await page.getByTestId('request-row').allInnerTexts();
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(row).toMatch(new RegExp(`^\\S.*\\t${name}\\tGET\\t200\\t\\d+ ms\\tmp_live_`));
    expect(rows.map((row) => row.split('\t').pop()).sort()).toEqual([...requestIds].sort());

    // 3 of 4 units crossed the 50 % alert: the worker notified the consumer when it metered them
    // (the unread count is read on every page change: reload until the badge shows)
    await until(
      async () => {
        await page.reload();
        const badge = page.getByTestId('notifications-link').locator('.badge-count');
        return badge.waitFor({ timeout: 2_000 }).then(
          () => badge.innerText(),
          () => '',
        );
      },
      (count) => count === '1',
      30_000,
    );
    await page.getByTestId('notifications-link').click();
    const notification = page.getByTestId('notification').filter({ hasText: '50 % of your Pro quota used' });
    await notification.getByRole('button', { name: 'Mark read' }).click();
    await notification.getByRole('button', { name: 'Mark read' }).waitFor({ state: 'detached' });
    await page
      .getByTestId('notifications-link')
      .filter({ hasText: /^Notifications$/ })
      .waitFor();

    // rotating the live key: a replacement shown once, the old key still listed (rotating)
    await page.goto(`${site}/dashboard`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page
      .getByTestId('key-row')
      .filter({ hasText: 'mp_live_' })
      .getByRole('button', { name: 'Rotate' })
      .click();
    const replacement = await page
      .getByRole('status')
      .filter({ hasText: 'Replacement for' })
      .getByTestId('secret')
      .innerText();
    expect(replacement).toMatch(/^mp_live_/);
    expect(replacement).not.toBe(secret);
    await page.getByTestId('key-row').nth(2).waitFor();
    expect(await page.getByTestId('key-row').filter({ hasText: 'rotating' }).count()).toBe(1);

    // having called it, the subscriber reviews it; the review is shown as text, never as HTML
    await page.goto(`${site}/apis/${listing.slug}`);
    await page.getByLabel('Title').fill('Fast and simple');
    await page.getByLabel('Review', { exact: true }).fill('Three calls, three answers. <b>not bold</b>');
    await page.getByRole('button', { name: 'Post review' }).click();
    const review = page.getByTestId('review').filter({ hasText: 'Fast and simple' });
    await review.waitFor();
    expect(await review.innerText()).toContain('Three calls, three answers. <b>not bold</b>');
    expect(await review.locator('b').count()).toBe(0);
    expect(await text('rating-summary')).toMatch(/^★ 5\.0\s+1 review/);
    expect(await page.getByRole('button', { name: 'Post review' }).count()).toBe(0);

    // the subscription's page: cancel at the period's end (the browser's confirm dialog accepted)
    await page.getByRole('link', { name: 'Manage it' }).click();
    await page.waitForURL(new RegExp(`${site}/subscriptions/[0-9a-f-]{36}$`));
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await page.getByTestId('subscription').filter({ hasText: 'ends with this period' }).waitFor();
    expect(await page.getByRole('button', { name: 'Cancel subscription' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto(`${site}/dashboard`);
    await page.waitForURL(`${site}/login?next=%2Fdashboard`);
  }, 120_000);

  // after the test above: the listing's provider sees the three calls its consumer made
  it('a provider sees its API, the calls made to it and its payouts; a new account becomes a provider', async () => {
    await page.goto(`${site}/login?next=%2Fprovider`);
    await page.getByLabel('Email').fill(listing.owner.user.email);
    await page.getByLabel('Password').fill(listing.owner.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${site}/provider`);
    expect(await text('payouts')).toContain('Payouts are ready');
    expect(await page.getByTestId('listing-row').filter({ hasText: name }).innerText()).toContain(
      'Published',
    );
    expect(await text('provider-totals')).toMatch(/^3 calls · 0 % errors/);
    expect(await page.getByTestId('provider-api-row').filter({ hasText: name }).innerText()).toMatch(/\b3\b/);
    // the chart comes from its own request (calls per day)
    await page.locator('[data-testid=usage-bar][data-calls="3"]').waitFor();
    expect(await page.locator('[data-testid=usage-bar][data-calls="3"]').count()).toBe(1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();

    await page.goto(`${site}/signup`);
    await page.getByLabel('Email').fill(`seller-${randomBytes(4).toString('hex')}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(`${site}/dashboard`);
    await page.getByRole('link', { name: 'Provider', exact: true }).click();
    await page.getByRole('heading', { name: 'Sell your API on Portico' }).waitFor();
    await page.getByLabel('Provider name').fill('Seller Labs');
    await page.getByLabel('Handle').fill('Not A Slug');
    await page.getByLabel('Support email').fill('help@seller.example');
    await page.getByRole('button', { name: 'Become a provider' }).click();
    // the api's validation problem names the field
    expect(await page.getByRole('alert').innerText()).toContain('slug');
    await page.getByLabel('Handle').fill(`seller-${randomBytes(3).toString('hex')}`);
    await page.getByRole('button', { name: 'Become a provider' }).click();
    await page.getByRole('heading', { name: 'Seller Labs', level: 1 }).waitFor();
    expect(await text('payouts')).toContain('Payouts are ready (local payments');
    await page.getByText('No API listed yet.').waitFor();
    await page.getByText('No calls yet.').waitFor();

    // list an API: a draft with its free plan, an OpenAPI document, a paid plan, then publish it
    const apiName = `Seller Geo ${randomBytes(3).toString('hex')}`;
    const apiSlug = `seller-geo-${randomBytes(3).toString('hex')}`;
    await page.getByRole('link', { name: 'List an API' }).click();
    await page.getByLabel('Name').fill(apiName);
    await page.getByLabel('Slug').fill(apiSlug);
    await page.getByLabel('Summary').fill('Geocoding for the browser suite.');
    await page.getByLabel('Category').selectOption({ index: 1 });
    await page.getByLabel('Upstream URL').fill(upstreamUrl);
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.waitForURL(new RegExp(`${site}/provider/apis/[0-9a-f-]{36}$`));
    await page.getByRole('heading', { name: apiName }).filter({ hasText: 'Draft' }).waitFor();
    await page.getByTestId('plan-row').first().waitFor(); // the plans come from their own request
    expect(await page.getByTestId('plan-row').allInnerTexts()).toEqual([
      expect.stringMatching(/^Basic\tFree\t/),
    ]);

    await page.getByLabel('OpenAPI document').fill(JSON.stringify(SMALL_DOCUMENT));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'with 3 endpoints as a draft' }).waitFor();
    await page.getByRole('button', { name: 'Make current' }).click();
    await page.getByTestId('version-row').filter({ hasText: 'current' }).waitFor();

    const planForm = page.locator('form.plan-form');
    // the currencies (and their minor-unit digits) come from GET /v1/currencies, read before the app renders
    expect(await planForm.getByLabel('Currency').locator('option').allInnerTexts()).toEqual(
      expect.arrayContaining(['USD', 'HUF', 'JPY', 'KWD']),
    );
    await planForm.getByLabel('Name').fill('Pro');
    await planForm.getByLabel('Price a month').fill('19.999');
    await planForm.getByLabel('Calls a month').fill('1000');
    await planForm.getByLabel('Past the quota').selectOption('soft');
    await planForm.getByLabel('Overage per 1,000 calls').fill('5');
    await planForm.getByRole('button', { name: 'Add plan' }).click();
    expect(await planForm.getByRole('alert').innerText()).toBe(
      'Price: a number with at most 2 decimals (e.g. 19.99).',
    );
    await planForm.getByLabel('Price a month').fill('19.99');
    await planForm.getByRole('button', { name: 'Add plan' }).click();
    const proRow = page.getByTestId('plan-row').filter({ hasText: 'Pro' });
    await proRow.waitFor();
    expect(await proRow.innerText()).toMatch(
      /^Pro\t\$19\.99 \/ month\t1,000 \(soft\), then \$0\.005 per call\t/,
    );
    // the free plan closes to new subscribers (the browser's confirm dialog accepted)
    page.once('dialog', (dialog) => void dialog.accept());
    await page
      .getByTestId('plan-row')
      .filter({ hasText: 'Basic' })
      .getByRole('button', { name: 'Archive' })
      .click();
    await page.getByTestId('plan-row').filter({ hasText: 'Basic' }).filter({ hasText: 'archived' }).waitFor();

    // the listing's own fields, edited in place: only what changed is sent
    await page.getByRole('button', { name: 'Edit listing' }).click();
    const listingForm = page.locator('form.listing-form');
    expect(await listingForm.getByLabel('Summary').inputValue()).toBe('Geocoding for the browser suite.');
    expect(await listingForm.getByRole('button', { name: 'Save listing' }).isDisabled()).toBe(true);
    await listingForm
      .getByLabel('Description')
      .fill('## Geocoding\n\nAddresses to coordinates, for the browser suite.');
    await listingForm.getByLabel('Tags').fill('geo, maps');
    await listingForm.getByRole('button', { name: 'Save listing' }).click();
    await page.getByRole('status').filter({ hasText: 'Listing saved.' }).waitFor();
    await page.getByText('and the tags geo, maps.').waitFor();

    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('link', { name: 'Its page in the marketplace' }).click();
    await page.waitForURL(`${site}/apis/${apiSlug}`);
    await page.getByRole('heading', { name: 'Geocoding', level: 2 }).waitFor();
    await page.getByTestId('plan').first().waitFor();
    expect(await page.getByTestId('plan').allInnerTexts()).toEqual([expect.stringMatching(/^Pro\n/)]);
    expect(await page.locator('table code').allInnerTexts()).toEqual([
      '/items/{id}',
      '/items/{id}',
      '/search',
    ]);
  }, 90_000);

  // after the first test: the review posted there is reported, and an admin hides it
  it('an admin sees the platform and its revenue, and hides a reported review', async () => {
    const admin = await stack.fixtures.admin('web-admin');
    const reporter = await signUp(stack.api, 'web-reporter');
    const server = stack.api.getHttpServer();
    const reviews = await request(server).get(`/v1/apis/${listing.slug}/reviews`).expect(200);
    const reviewId = (reviews.body.items as { id: string; title: string }[]).find(
      (r) => r.title === 'Fast and simple',
    )?.id;
    expect(reviewId).toBeDefined(); // posted by the first test
    await send(stack.api, reporter, 'post', `/v1/reviews/${reviewId}/reports`, {
      reason: 'spam',
      details: 'an ad',
    }).expect(201);

    await page.goto(`${site}/login?next=%2Fadmin`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${site}/admin`);
    await page.getByRole('link', { name: 'Admin', exact: true }).waitFor();
    expect(await text('platform-totals')).toMatch(/^[\d,.KMB]+ calls · at most \d+ active consumers/);
    await page.getByRole('heading', { name: 'Revenue' }).waitFor();

    const reported = page.getByTestId('reported-review').filter({ hasText: 'Fast and simple' });
    expect(await reported.innerText()).toContain('1 open report: spam (“an ad”)');
    await reported.getByRole('button', { name: 'Hide' }).click();
    await reported.waitFor({ state: 'detached' });
    await page.goto(`${site}/apis/${listing.slug}`);
    await page.getByText('No reviews yet.').waitFor();

    // anyone else gets the page's explanation (and the api's 403 on every admin route)
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${site}/login?next=%2Fadmin`);
    await page.getByLabel('Email').fill(reporter.email);
    await page.getByLabel('Password').fill(reporter.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Admins only' }).waitFor();
    expect(await page.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
  }, 60_000);

  it('an account renames itself and changes its password', async () => {
    const who = await signUp(stack.api, 'web-account');
    await page.goto(`${site}/login`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').click();
    await page.waitForURL(`${site}/account`);
    await page.getByLabel('Name').fill('Grace Renamed');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('status').filter({ hasText: 'Name saved.' }).waitFor();
    expect(await text('signed-in-as')).toBe('Grace Renamed');

    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Current password').fill(who.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${site}/login`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${site}/dashboard`);
  }, 60_000);

  it("shows the api's own problem when sign-in fails, and what to do next", async () => {
    await page.goto(`${site}/login`);
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/^Invalid credentials\s+The email or password is not correct\./);
    await page.getByRole('link', { name: 'Sign up' }).last().waitFor();
  }, 60_000);

  // axe-core's WCAG 2 A/AA rules on the pages everyone sees, signed out and signed in; the page's CSP
  // forbids injected scripts, so this page alone is opened with CSP bypassed
  it('has no serious or critical accessibility violations on its main pages', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const audited = await context.newPage();
    const violations: string[] = [];
    const audit = async (path: string, ready: string) => {
      await audited.goto(`${site}${path}`);
      await audited.locator(ready).first().waitFor();
      await audited.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
      const found = await audited.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run: (options: object) => Promise<AxeResults> } }).axe;
        const results = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
        return {
          passed: results.passes.length,
          violations: results.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        };
      });
      expect(found.passed).toBeGreaterThan(5); // the audit really ran over the page
      violations.push(...found.violations.map((v) => `${path} ${v}`));
    };
    await audit('/', '[data-testid=api-card]');
    await audit(`/apis/${listing.slug}`, '[data-testid=plan]');
    await audit('/login', 'form');
    await audit('/signup', 'form');
    await audited.getByLabel('Email').fill(`a11y-${randomBytes(4).toString('hex')}@example.com`);
    await audited.getByLabel('Password').fill('correct horse battery staple');
    await audited.getByRole('button', { name: 'Sign up' }).click();
    await audited.waitForURL(`${site}/dashboard`);
    await audit('/dashboard', '[data-testid=key-row]');
    await audit('/provider', 'form');
    await audit('/account', 'form');
    await context.close();
    expect(violations).toEqual([]);
  }, 60_000);

  it('opens deep links from the address bar and says when a listing does not exist', async () => {
    const res = await page.goto(`${site}/apis/no-such-api-${randomBytes(3).toString('hex')}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/not found/i);
    await page.getByRole('link', { name: 'Back to the marketplace' }).click();
    await page.waitForURL(`${site}/`);
    await page
      .getByTestId('result-count')
      .filter({ hasText: /\d+ APIs?/ })
      .waitFor();
  }, 60_000);
});
