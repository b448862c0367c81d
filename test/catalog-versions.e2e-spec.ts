import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { insertListing, operationKeys, readOasExample } from '@app/catalog/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { signUp, startApi, type SignedUp } from './support/api-client';

interface Provider {
  user: SignedUp;
  apiId: string;
  slug: string;
}

describe('OpenAPI import and versions over HTTP', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let alice: Provider;
  let bob: Provider;

  /** Signs up, becomes a provider over HTTP and gets a listing (inserted: the listing routes are another issue's). */
  async function newProvider(tag: string): Promise<Provider> {
    const user = await signUp(app, tag);
    const slug = `${tag}-${randomUUID().slice(0, 8)}`;
    const provider = await user.agent
      .post('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send({ displayName: `${tag} APIs`, slug, supportEmail: `support@${slug}.example.com` })
      .expect(201);
    const listing = await insertListing(dataSource, provider.body.id);
    return { user, apiId: listing.id, slug: listing.slug };
  }

  const upload = (p: Provider, apiId = p.apiId) =>
    p.user.agent.post(`/v1/apis/${apiId}/versions`).set('X-CSRF-Token', p.user.csrfToken);

  beforeAll(async () => {
    app = await startApi();
    dataSource = app.get(DataSource);
    alice = await newProvider('alice');
    bob = await newProvider('bob');
  });

  afterAll(async () => {
    await app.close();
  });

  it('imports a document sent as JSON, as YAML text and as a multipart upload, numbering the drafts', async () => {
    const petstore = JSON.parse(readOasExample('3.0/json/petstore.json'));
    const asJson = await upload(alice).send(petstore).expect(201);
    expect(asJson.body).toMatchObject({
      apiId: alice.apiId,
      number: 1,
      label: '1.0.0',
      sourceFormat: 'openapi-3.0',
      status: 'draft',
      endpointCount: operationKeys(petstore).length,
      changelog: null,
      publishedAt: null,
    });
    expect(asJson.body.changelogPreview.added).toHaveLength(operationKeys(petstore).length);

    const asYaml = await upload(alice)
      .set('Content-Type', 'application/yaml')
      .send(readOasExample('3.0/yaml/petstore.yaml'))
      .expect(201);
    expect(asYaml.body).toMatchObject({
      number: 2,
      sourceFormat: 'openapi-3.0',
      endpointCount: operationKeys(petstore).length,
    });

    const swagger = readOasExample('2.0/json/petstore.json');
    const asFile = await upload(alice)
      .attach('document', Buffer.from(swagger), {
        filename: 'petstore.json',
        contentType: 'application/json',
      })
      .expect(201);
    expect(asFile.body).toMatchObject({
      number: 3,
      sourceFormat: 'swagger-2.0',
      endpointCount: operationKeys(JSON.parse(swagger)).length,
    });

    const yamlFile = await upload(alice)
      .attach('document', Buffer.from(readOasExample('3.1/yaml/petstore.yaml')), {
        filename: 'petstore.yaml',
        contentType: 'application/yaml',
      })
      .expect(201);
    expect(yamlFile.body).toMatchObject({ number: 4, sourceFormat: 'openapi-3.1' });

    const list = await alice.user.agent.get(`/v1/apis/${alice.apiId}/versions`).expect(200);
    expect(list.body.map((v: { number: number }) => v.number)).toEqual([4, 3, 2, 1]);

    const detail = await alice.user.agent
      .get(`/v1/apis/${alice.apiId}/versions/${asFile.body.id}`)
      .expect(200);
    expect(
      detail.body.endpoints.map((e: { method: string; path: string }) => `${e.method} ${e.path}`).sort(),
    ).toEqual(operationKeys(JSON.parse(swagger)));
    expect(
      detail.body.endpoints.find((e: { operationId: string }) => e.operationId === 'getPetById'),
    ).toMatchObject({
      method: 'GET',
      path: '/pet/{petId}',
      tags: ['pet'],
      parameters: [expect.objectContaining({ name: 'petId', in: 'path' })],
    });
  });

  it('answers 400 validation_failed with JSON pointers for an invalid document', async () => {
    const broken = JSON.parse(readOasExample('3.0/json/petstore.json'));
    delete broken.paths['/pet/{petId}'].get.responses;
    broken.components.schemas.Pet.properties.status.type = 'strin';
    const res = await upload(alice).send(broken).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        {
          pointer: '/paths/~1pet~1{petId}/get/responses',
          message: "must have required property 'responses'",
        },
        {
          pointer: '/components/schemas/Pet/properties/status/type',
          message: expect.stringContaining('did you mean string'),
        },
      ]),
    );

    const yaml = await upload(alice)
      .set('Content-Type', 'text/yaml')
      .send('openapi: 3.0.3\ninfo: [unclosed\n')
      .expect(400);
    expect(yaml.body.errors[0]).toMatchObject({
      pointer: '',
      message: expect.stringContaining('not valid YAML'),
      line: expect.any(Number),
    });

    // a JSON body reaches the importer as text (parsed in its child process): broken JSON is the document's problem
    const json = await upload(alice)
      .set('Content-Type', 'application/json')
      .send('{"openapi": "3.0.3", "info": {"title": "t",}}')
      .expect(400);
    expect(json.body).toMatchObject({ code: 'validation_failed' });
    expect(json.body.errors).toEqual([{ pointer: '', message: expect.stringContaining('not valid JSON') }]);

    const external = JSON.parse(readOasExample('3.0/json/petstore.json'));
    external.components.schemas.Tag = { $ref: 'http://169.254.169.254/latest/meta-data/tag.json' };
    const ssrf = await upload(alice).send(external).expect(400);
    expect(ssrf.body.errors).toEqual([
      { pointer: '/components/schemas/Tag/$ref', message: expect.stringContaining('external reference') },
    ]);
  });

  it('refuses other media types with 415 and documents over the limit with 413 naming it', async () => {
    const text = await upload(alice).set('Content-Type', 'text/plain').send('openapi: 3.0.3').expect(415);
    expect(text.body.code).toBe('unsupported_media_type');

    const huge = `{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{},"x-padding":"${'a'.repeat(21 * 1024 * 1024)}"}`;
    const tooLarge = await upload(alice).set('Content-Type', 'application/json').send(huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({
      code: 'payload_too_large',
      detail: expect.stringContaining('20 MB'),
    });

    const hugeFile = await upload(alice).attach('document', Buffer.alloc(21 * 1024 * 1024, 0x20), 'big.yaml');
    expect(hugeFile.status).toBe(413);
    expect(hugeFile.body).toMatchObject({
      code: 'payload_too_large',
      detail: expect.stringContaining('20 MB'),
    });

    // the general 1 MB limit still holds everywhere else
    const elsewhere = await alice.user.agent
      .post('/v1/apps')
      .set('X-CSRF-Token', alice.user.csrfToken)
      .set('Content-Type', 'application/json')
      .send(`{"name":"${'a'.repeat(1_100_000)}"}`);
    expect(elsewhere.status).toBe(413);
  });

  it("answers 404 not_found for another provider's API exactly like for an unknown id", async () => {
    const petstore = readOasExample('3.0/json/petstore.json');
    const comparable = (res: request.Response) => ({
      status: res.status,
      code: res.body.code,
      detail: res.body.detail,
    });
    const theirs = await upload(bob, alice.apiId).set('Content-Type', 'application/json').send(petstore);
    const unknown = await upload(bob, randomUUID()).set('Content-Type', 'application/json').send(petstore);
    expect(comparable(theirs)).toEqual({ status: 404, code: 'not_found', detail: expect.any(String) });
    expect(comparable(theirs)).toEqual(comparable(unknown));

    const versions = await alice.user.agent.get(`/v1/apis/${alice.apiId}/versions`).expect(200);
    const versionId = versions.body[0].id;
    for (const res of [
      await bob.user.agent.get(`/v1/apis/${alice.apiId}/versions`),
      await bob.user.agent.get(`/v1/apis/${alice.apiId}/versions/${versionId}`),
      await bob.user.agent
        .post(`/v1/apis/${alice.apiId}/versions/${versionId}/publish`)
        .set('X-CSRF-Token', bob.user.csrfToken),
    ]) {
      expect(comparable(res)).toEqual(comparable(unknown));
    }
    await request(app.getHttpServer())
      .post(`/v1/apis/${alice.apiId}/versions`)
      .send(JSON.parse(petstore))
      .expect(401);
  });

  it('publishes a draft with a changelog and serves the current document at /v1/apis/:slug/openapi', async () => {
    const p = await newProvider('carol');
    const v1 = JSON.parse(readOasExample('3.0/json/petstore.json'));
    const first = await upload(p).send(v1).expect(201);
    const published = await p.user.agent
      .post(`/v1/apis/${p.apiId}/versions/${first.body.id}/publish`)
      .set('X-CSRF-Token', p.user.csrfToken)
      .expect(200);
    expect(published.body).toMatchObject({ status: 'current', publishedAt: expect.any(String) });
    expect(published.body.changelog.added).toHaveLength(operationKeys(v1).length);

    const v2 = JSON.parse(readOasExample('3.0/json/petstore.json'));
    v2.info.version = '2.0.0';
    delete v2.paths['/user/logout'];
    v2.paths['/pet/{petId}'].get.deprecated = true;
    const second = await upload(p).send(v2).expect(201);
    const changelog = {
      added: [],
      removed: [{ method: 'GET', path: '/user/logout' }],
      changed: [{ method: 'GET', path: '/pet/{petId}', fields: ['deprecated'] }],
    };
    expect(second.body.changelogPreview).toEqual(changelog);

    // the listing is a draft: only its owner sees the document
    const doc = `/v1/apis/${p.slug}/openapi`;
    await request(app.getHttpServer()).get(doc).expect(404);
    await bob.user.agent.get(doc).expect(404);
    const own = await p.user.agent.get(doc).expect(200);
    expect(own.body.info.version).toBe('1.0.0');

    const promoted = await p.user.agent
      .post(`/v1/apis/${p.apiId}/versions/${second.body.id}/publish`)
      .set('X-CSRF-Token', p.user.csrfToken)
      .expect(200);
    expect(promoted.body).toMatchObject({ number: 2, status: 'current', changelog });
    const republish = await p.user.agent
      .post(`/v1/apis/${p.apiId}/versions/${first.body.id}/publish`)
      .set('X-CSRF-Token', p.user.csrfToken)
      .expect(409);
    expect(republish.body.code).toBe('conflict');

    await dataSource.query(
      `UPDATE api_listings SET status = 'published', published_at = now() WHERE id = $1`,
      [p.apiId],
    );
    const json = await request(app.getHttpServer()).get(doc).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    // as uploaded, not dereferenced (key order: next test)
    expect(json.body).toEqual(v2);
    const yaml = await request(app.getHttpServer()).get(`${doc}?format=yaml`).expect(200);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(yaml.text).toMatch(/^openapi: 3\.0\.\d/m);
    expect(yaml.text).toContain('$ref: "#/components/schemas/Pet"');
    await request(app.getHttpServer()).get(`${doc}?format=xml`).expect(400);
    await request(app.getHttpServer()).get('/v1/apis/no-such-api/openapi').expect(404);

    // private listings stay their owner's
    await dataSource.query(`UPDATE api_listings SET visibility = 'private' WHERE id = $1`, [p.apiId]);
    await request(app.getHttpServer()).get(doc).expect(404);
    await bob.user.agent.get(doc).expect(404);
    await p.user.agent.get(doc).expect(200);
    // …and the accounts they invite
    await dataSource.query(`INSERT INTO api_invitations (api_id, email) VALUES ($1, lower($2))`, [
      p.apiId,
      bob.user.email,
    ]);
    await bob.user.agent.get(doc).expect(200);
  });

  it('serves the document with its keys in the order they were uploaded (needs api_versions.document as json, not jsonb)', async () => {
    const p = await newProvider('dave');
    const uploaded = readOasExample('3.0/json/petstore.json');
    const version = await upload(p).set('Content-Type', 'application/json').send(uploaded).expect(201);
    await p.user.agent
      .post(`/v1/apis/${p.apiId}/versions/${version.body.id}/publish`)
      .set('X-CSRF-Token', p.user.csrfToken)
      .expect(200);
    const served = await p.user.agent.get(`/v1/apis/${p.slug}/openapi`).expect(200);
    expect(served.text).toBe(JSON.stringify(JSON.parse(uploaded)));
  });
});
