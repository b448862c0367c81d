import { queuedUsageEvents } from '@app/common/testing';
import { JobQueue, QueueName, type JobPayloads } from '@app/common';
import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { DataSource } from 'typeorm';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { createGatewayApp, type GatewayApp } from '../../apps/gateway/src/bootstrap';
import { signUp, type SignedUp } from './api-client';
import { CatalogFixtures, send, uniqueSlug, type CatalogProvider } from './catalog-fixtures';
import { until } from './until';

/**
 * The api and a gateway on loopback, sharing the test run's database and Redis prefix, with
 * private upstreams allowed (the test upstreams listen on 127.0.0.1). Gateway suites build
 * providers, listings, plans, consumers and keys through the real api, then call the gateway.
 */
export interface GatewayStack {
  api: INestApplication;
  gateway: GatewayApp;
  gatewayUrl: string;
  fixtures: CatalogFixtures;
  db: DataSource;
  env: Record<string, string | undefined>;
  /** Another gateway process on the same stores (a second instance behind the load balancer). */
  addGateway(extraEnv?: Record<string, string>): Promise<{ gateway: GatewayApp; url: string }>;
  close(): Promise<void>;
}

export async function startGatewayStack(extraEnv: Record<string, string> = {}): Promise<GatewayStack> {
  const env = { ...process.env, GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true', ...extraEnv };
  const api = await createApiApp(env);
  await api.init();
  const extra: GatewayApp[] = [];
  const addGateway = async (
    more: Record<string, string> = {},
  ): Promise<{ gateway: GatewayApp; url: string }> => {
    const gateway = await createGatewayApp({ ...env, ...more });
    const port = await gateway.server.listen(0, '127.0.0.1');
    extra.push(gateway);
    return { gateway, url: `http://127.0.0.1:${port}` };
  };
  const first = await addGateway();
  const db = api.get(DataSource);
  return {
    api,
    gateway: first.gateway,
    gatewayUrl: first.url,
    fixtures: new CatalogFixtures(api, db),
    db,
    env,
    addGateway,
    close: async () => {
      for (const gateway of extra) await gateway.close();
      await api.close();
    },
  };
}

export interface UpstreamApiOptions {
  liveUrl: string;
  /** The listing's name (default "Gateway Test API"). */
  name?: string;
  sandboxUrl?: string | null;
  timeoutMs?: number;
  credential?: { location: 'header' | 'query'; name: string; value: string };
  /** An OpenAPI document to import and publish as the current version. */
  document?: Record<string, unknown>;
  /** Plans to create besides the default free one (bodies of POST /v1/provider/apis/:id/plans). */
  plans?: Record<string, unknown>[];
}

export interface PublishedApi {
  id: string;
  slug: string;
  owner: CatalogProvider;
  /** The default free plan first, then the plans asked for, in order. */
  planIds: string[];
}

/** A provider with a published listing pointing at a loopback upstream. */
export async function publishUpstreamApi(
  stack: GatewayStack,
  options: UpstreamApiOptions,
): Promise<PublishedApi> {
  const owner = await stack.fixtures.provider(uniqueSlug('prov'));
  const created = await send(stack.api, owner.user, 'post', '/v1/provider/apis', {
    name: options.name ?? 'Gateway Test API',
    slug: uniqueSlug('gw'),
    summary: 'An upstream on loopback.',
    category: 'data',
    visibility: 'public',
    upstreamLiveUrl: options.liveUrl,
    ...(options.sandboxUrl !== undefined ? { upstreamSandboxUrl: options.sandboxUrl } : {}),
    ...(options.timeoutMs !== undefined ? { upstreamTimeoutMs: options.timeoutMs } : {}),
    ...(options.credential ? { credential: options.credential } : {}),
  }).expect(201);
  const id = created.body.id as string;
  if (options.document) {
    const version = await send(
      stack.api,
      owner.user,
      'post',
      `/v1/apis/${id}/versions`,
      options.document,
    ).expect(201);
    await send(
      stack.api,
      owner.user,
      'post',
      `/v1/apis/${id}/versions/${version.body.id}/publish`,
      {},
    ).expect(200);
  }
  const planIds = [(await stack.fixtures.defaultPlan(owner, id)).id];
  for (const plan of options.plans ?? []) planIds.push((await stack.fixtures.plan(owner, id, plan)).id);
  await send(stack.api, owner.user, 'post', `/v1/provider/apis/${id}/publish`, {}).expect(200);
  return { id, slug: created.body.slug as string, owner, planIds };
}

export interface Consumer {
  user: SignedUp;
  applicationId: string;
  /** The sign-up's first key (mp_test_). */
  testKey: string;
}

export async function consumer(stack: GatewayStack, tag = 'consumer'): Promise<Consumer> {
  const user = await signUp(stack.api, tag);
  return { user, applicationId: user.body.application.id, testKey: user.body.key.secret };
}

/** Creates a key on the consumer's application; answers the secret. */
export async function createKey(
  stack: GatewayStack,
  who: Consumer,
  body: Record<string, unknown> = { mode: 'live' },
): Promise<string> {
  const res = await send(stack.api, who.user, 'post', `/v1/apps/${who.applicationId}/keys`, {
    label: 'gw',
    ...body,
  }).expect(201);
  return res.body.secret as string;
}

export async function subscribe(
  stack: GatewayStack,
  who: Consumer,
  planId: string,
): Promise<{ id: string; status: string }> {
  const res = await send(stack.api, who.user, 'post', '/v1/subscriptions', { planId }).expect(201);
  return { id: res.body.id as string, status: res.body.status as string };
}

/** A free loopback port (closed again: the caller binds it). */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export const HTTPBIN_INSTALLED = existsSync('/usr/lib/python3/dist-packages/httpbin/core.py');

/** Debian's python3-httpbin on a free loopback port; resolves once it answers. */
export async function startHttpbin(): Promise<{ origin: string; stop(): void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/bin/python3',
    ['-m', 'httpbin.core', '--host', '127.0.0.1', '--port', String(port)],
    {
      stdio: 'ignore',
    },
  );
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await undiciRequest(`${origin}/get`);
      await res.body.dump();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { origin, stop: () => child.kill('SIGTERM') };
}

export type UsageBatch = JobPayloads['metering.apply-usage-batch'];

/**
 * The usage batches the stack's gateway queued (its BullMQ jobs, no worker running), once every
 * one of `requestIds` is in one of them: what a test hands to the metering processor.
 */
export async function queuedUsageBatches(
  stack: GatewayStack,
  requestIds: readonly string[],
  withinMs = 15_000,
): Promise<UsageBatch[]> {
  const queue = stack.gateway.context.get(JobQueue).queue(QueueName.Metering);
  return until(
    async () =>
      (await queue.getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized']))
        .filter((job) => job.name === 'metering.apply-usage-batch')
        .map((job) => job.data as UsageBatch),
    (batches) => {
      const seen = new Set(
        batches.flatMap((batch) => queuedUsageEvents(batch).map((event) => event.requestId)),
      );
      return requestIds.every((id) => seen.has(id));
    },
    withinMs,
  );
}
