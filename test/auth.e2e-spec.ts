import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { signUp, startApi } from './support/api-client';

describe('accounts over HTTP', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApi();
  });

  afterAll(async () => {
    await app.close();
  });

  it('signs up and answers with a session, a default application and a test key shown once', async () => {
    const user = await signUp(app);
    expect(user.body.key.secret).toMatch(/^mp_test_[0-9A-Za-z]{38}$/);
    expect(user.body.application.id).toBeDefined();
    const me = await user.agent.get('/v1/me').expect(200);
    expect(me.body.account.email).toBe(user.email);
    expect(JSON.stringify(me.body)).not.toContain(user.body.key.secret);
  });

  it('answers unknown routes with route_not_found in the problem shape', async () => {
    const res = await request(app.getHttpServer()).get('/v1/nope').expect(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'route_not_found', status: 404, type: 'https://portico.dev/errors/route_not_found' });
    expect(res.body.requestId).toEqual(expect.any(String));
  });
});
