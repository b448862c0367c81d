import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApiApp } from '../../apps/api/src/bootstrap';

export interface SignedUp {
  agent: TestAgent;
  csrfToken: string;
  accountId: string;
  email: string;
  password: string;
  body: Record<string, unknown> & { key: { secret: string; id: string }; application: { id: string } };
}

export async function startApi(): Promise<INestApplication> {
  const app = await createApiApp();
  await app.init();
  return app;
}

let counter = 0;

export function uniqueEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`;
}

/** Signs a fresh account up and returns a cookie-keeping agent plus its CSRF token. */
export async function signUp(app: INestApplication, tag = 'user'): Promise<SignedUp> {
  const agent = request.agent(app.getHttpServer());
  const email = uniqueEmail(tag);
  const password = 'correct horse battery staple';
  const res = await agent.post('/v1/auth/signup').send({ email, password }).expect(201);
  return { agent, csrfToken: res.body.csrfToken, accountId: res.body.account.id, email, password, body: res.body };
}
