import { randomUUID } from 'node:crypto';
import { EventBus } from '@app/common';
import { REVIEWS_CHANGED_EVENT } from '@app/reviews';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { signUp, startApi, type SignedUp } from './support/api-client';
import {
  CatalogFixtures,
  send,
  type CatalogProvider,
  type HttpMethod,
  type ListingRef,
} from './support/catalog-fixtures';

interface Rating {
  average: number | null;
  count: number;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
}

interface ReviewBody {
  id: string;
  apiId: string;
  rating: number;
  title: string;
  body: string;
  author: { displayName: string };
  helpfulCount: number;
  reply: { body: string; providerDisplayName: string } | null;
  mine: boolean;
  markedHelpful: boolean;
  editedAt: string | null;
}

interface ReviewPage {
  items: ReviewBody[];
  page: number;
  perPage: number;
  total: number;
  aggregate: Rating;
}

interface ReportedItem {
  id: string;
  api: { id: string; slug: string };
  openReportCount: number;
  hiddenAt: string | null;
  reports: { reason: string; resolution: string | null }[];
}

const STARS = ['1', '2', '3', '4', '5'] as const;

/** The aggregate a set of ratings must give. */
function expectedRating(ratings: number[]): Rating {
  const distribution = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  for (const r of ratings) distribution[String(r) as '1'] += 1;
  const sum = ratings.reduce((a, b) => a + b, 0);
  return {
    average: ratings.length === 0 ? null : Math.round((sum / ratings.length) * 100) / 100,
    count: ratings.length,
    distribution,
  };
}

describe('reviews (HTTP)', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let fixtures: CatalogFixtures;
  let provider: CatalogProvider;
  let otherProvider: CatalogProvider;
  let admin: SignedUp;
  let listing: ListingRef;
  let freePlanId: string;
  let approvalPlanId: string;

  beforeAll(async () => {
    app = await startApi();
    dataSource = app.get(DataSource);
    fixtures = new CatalogFixtures(app, dataSource);
    provider = await fixtures.provider('rev-provider');
    otherProvider = await fixtures.provider('rev-other');
    admin = await fixtures.admin('rev-admin');
    listing = await fixtures.listing(provider);
    freePlanId = (await fixtures.defaultPlan(provider, listing.id)).id;
    approvalPlanId = (await fixtures.plan(provider, listing.id, { name: 'Partner', approvalRequired: true }))
      .id;
    await send(app, provider.user, 'post', `/v1/provider/apis/${listing.id}/publish`, {}).expect(200);
  });

  afterAll(async () => {
    await app.close();
  });

  /** A new listing of `provider`, published, with its free plan id. */
  async function publishedListing(
    visibility: 'public' | 'private' = 'public',
  ): Promise<ListingRef & { planId: string }> {
    const ref = await fixtures.listing(provider, { visibility });
    const planId = (await fixtures.defaultPlan(provider, ref.id)).id;
    await send(app, provider.user, 'post', `/v1/provider/apis/${ref.id}/publish`, {}).expect(200);
    return { ...ref, planId };
  }

  /** A fresh account subscribed (active) to `planId`. */
  async function subscriber(tag: string, planId = freePlanId): Promise<SignedUp> {
    const user = await signUp(app, tag);
    await send(app, user, 'post', '/v1/subscriptions', { planId }).expect(201);
    return user;
  }

  const review = (rating = 4, title = 'Solid API', body = 'Fast and well documented.') => ({
    rating,
    title,
    body,
  });

  async function postReview(user: SignedUp, slug: string, rating = 4): Promise<ReviewBody> {
    const res = await send(app, user, 'post', `/v1/apis/${slug}/reviews`, review(rating)).expect(201);
    return res.body as ReviewBody;
  }

  async function listReviews(slug: string, user: SignedUp | null = null, query = ''): Promise<ReviewPage> {
    return (await send(app, user, 'get', `/v1/apis/${slug}/reviews${query}`).expect(200)).body as ReviewPage;
  }

  async function detailRating(slug: string): Promise<Rating> {
    return ((await send(app, null, 'get', `/v1/apis/${slug}`).expect(200)).body as { rating: Rating }).rating;
  }

  /** The aggregate row recounted straight from the reviews table. */
  async function recount(apiId: string): Promise<{ stored: unknown; actual: unknown }> {
    const [stored] = await dataSource.query<Record<string, number>[]>(
      `SELECT review_count, rating_sum, count_1, count_2, count_3, count_4, count_5 FROM review_aggregates WHERE api_id = $1`,
      [apiId],
    );
    const [actual] = await dataSource.query<Record<string, number>[]>(
      `SELECT count(*)::int AS review_count, coalesce(sum(rating), 0)::int AS rating_sum,
              count(*) FILTER (WHERE rating = 1)::int AS count_1, count(*) FILTER (WHERE rating = 2)::int AS count_2,
              count(*) FILTER (WHERE rating = 3)::int AS count_3, count(*) FILTER (WHERE rating = 4)::int AS count_4,
              count(*) FILTER (WHERE rating = 5)::int AS count_5
         FROM reviews WHERE api_id = $1 AND hidden_at IS NULL`,
      [apiId],
    );
    return { stored, actual };
  }

  describe('eligibility', () => {
    it('refuses an account that never subscribed with 403 forbidden saying why', async () => {
      const stranger = await signUp(app, 'rev-stranger');
      const res = await send(app, stranger, 'post', `/v1/apis/${listing.slug}/reviews`, review()).expect(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'forbidden', status: 403 });
      expect(res.body.detail).toContain('Only consumers who have subscribed to this API can review it');
    });

    it('refuses a subscription that never gave access (pending approval, then rejected)', async () => {
      const pending = await signUp(app, 'rev-pending');
      const sub = await send(app, pending, 'post', '/v1/subscriptions', { planId: approvalPlanId }).expect(
        201,
      );
      expect(sub.body.status).toBe('pending_approval');
      await send(app, pending, 'post', `/v1/apis/${listing.slug}/reviews`, review()).expect(403);
      await send(app, provider.user, 'post', `/v1/provider/subscriptions/${sub.body.id}/reject`).expect(200);
      await send(app, pending, 'post', `/v1/apis/${listing.slug}/reviews`, review()).expect(403);
    });

    it('accepts an active subscriber with 201, showing the display name and never the email', async () => {
      const consumer = await subscriber('rev-active');
      const res = await send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, review(5)).expect(
        201,
      );
      const body = res.body as ReviewBody;
      expect(body).toMatchObject({
        apiId: listing.id,
        rating: 5,
        title: 'Solid API',
        helpfulCount: 0,
        reply: null,
        mine: true,
        markedHelpful: false,
        editedAt: null,
      });
      expect(body.author.displayName).toBe(consumer.email.split('@')[0]);
      expect(JSON.stringify(res.body)).not.toContain(consumer.email);

      // the author renames the account: the review shows the new name from then on
      await send(app, consumer, 'patch', '/v1/me', { displayName: 'Ada L.' }).expect(200);
      const mine = (await listReviews(listing.slug)).items.find((r) => r.id === body.id);
      expect(mine?.author.displayName).toBe('Ada L.');
    });

    it('accepts a past subscriber (canceled after access)', async () => {
      const consumer = await subscriber('rev-past');
      const subs = await send(app, consumer, 'get', '/v1/subscriptions').expect(200);
      const id = (subs.body as { id: string }[])[0].id;
      await send(app, consumer, 'post', `/v1/subscriptions/${id}/cancel`, { atPeriodEnd: false }).expect(200);
      await send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, review(3)).expect(201);
    });

    it("refuses the API's own provider with 403", async () => {
      const res = await send(app, provider.user, 'post', `/v1/apis/${listing.slug}/reviews`, review()).expect(
        403,
      );
      expect(res.body.detail).toContain('Providers cannot review their own API');
    });

    it('answers 404 for an API the caller may not see, like an unknown slug', async () => {
      const hidden = await publishedListing('private');
      const consumer = await signUp(app, 'rev-private');
      const res = await send(app, consumer, 'post', `/v1/apis/${hidden.slug}/reviews`, review()).expect(404);
      expect(res.body.code).toBe('not_found');
      await send(
        app,
        consumer,
        'post',
        `/v1/apis/no-such-api-${randomUUID().slice(0, 8)}/reviews`,
        review(),
      ).expect(404);
      await send(app, null, 'get', `/v1/apis/${hidden.slug}/reviews`).expect(404);
      // its owner sees its (empty) reviews
      expect((await listReviews(hidden.slug, provider.user)).total).toBe(0);
    });
  });

  describe('one review per consumer per API', () => {
    it('answers a second review with 409 naming the existing one and saying to edit it', async () => {
      const consumer = await subscriber('rev-twice');
      const first = await postReview(consumer, listing.slug);
      const res = await send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, review(1)).expect(
        409,
      );
      expect(res.body).toMatchObject({ code: 'conflict', reviewId: first.id });
      expect(res.body.detail).toContain(first.id);
      expect(res.body.detail).toContain(`PATCH /v1/reviews/${first.id}`);
    });

    it('holds concurrent reviews by one consumer to one row', async () => {
      const consumer = await subscriber('rev-race');
      const results = await Promise.all([
        send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, review(2)),
        send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, review(4)),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      const rows = await dataSource.query<unknown[]>(
        `SELECT id FROM reviews WHERE api_id = $1 AND author_account_id = $2`,
        [listing.id, consumer.accountId],
      );
      expect(rows).toHaveLength(1);
    });
  });

  describe('text', () => {
    it('stores and answers markup verbatim as JSON text, never rendered', async () => {
      const consumer = await subscriber('rev-html');
      const body = '<script>alert(1)</script>\r\n<b>bold</b> & "quotes"';
      const res = await send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, {
        rating: 2,
        title: '  <img src=x onerror=alert(1)>  ',
        body,
      }).expect(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.title).toBe('<img src=x onerror=alert(1)>');
      expect(res.body.body).toBe('<script>alert(1)</script>\n<b>bold</b> & "quotes"');
    });

    it.each([
      ['an empty title', { title: '   ' }, 'title'],
      ['a multi-line title', { title: 'one\ntwo' }, 'title'],
      ['control characters', { body: 'bell\u0007' }, 'body'],
      ['an oversize body', { body: 'x'.repeat(5001) }, 'body'],
      ['a rating of 6', { rating: 6 }, 'rating'],
      ['a rating of 0', { rating: 0 }, 'rating'],
      ['a fractional rating', { rating: 3.5 }, 'rating'],
      ['a rating as a string', { rating: '5' }, 'rating'],
    ])('refuses %s with 400 validation_failed naming the field', async (_name, patch, field) => {
      const consumer = await subscriber('rev-bad');
      const res = await send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, {
        ...review(),
        ...patch,
      }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(JSON.stringify(res.body.errors)).toContain(field);
    });

    it('refuses fields the client may not set (mass assignment), storing nothing', async () => {
      const consumer = await subscriber('rev-mass');
      for (const [name, value] of Object.entries({
        helpfulCount: 1000,
        hiddenAt: null,
        authorAccountId: randomUUID(),
        apiId: randomUUID(),
        id: randomUUID(),
        editedAt: new Date().toISOString(),
        reply: { body: 'fake reply' },
        mine: true,
      })) {
        const res = await send(app, consumer, 'post', `/v1/apis/${listing.slug}/reviews`, {
          ...review(),
          [name]: value,
        }).expect(400);
        expect(JSON.stringify(res.body.errors)).toContain(name);
      }
      const rows = await dataSource.query<unknown[]>(`SELECT id FROM reviews WHERE author_account_id = $1`, [
        consumer.accountId,
      ]);
      expect(rows).toHaveLength(0);
      const created = await postReview(consumer, listing.slug);
      await send(app, consumer, 'patch', `/v1/reviews/${created.id}`, { helpfulCount: 99 }).expect(400);
      await send(app, provider.user, 'put', `/v1/reviews/${created.id}/reply`, {
        body: 'ok',
        authorAccountId: randomUUID(),
      }).expect(400);
    });
  });

  describe('edit and delete', () => {
    it('lets the author edit (aggregate follows) and delete; others get 403, unknown ids 404', async () => {
      const api = await publishedListing();
      const author = await subscriber('rev-edit', api.planId);
      const other = await subscriber('rev-edit-other', api.planId);
      const created = await postReview(author, api.slug, 2);
      expect(await detailRating(api.slug)).toEqual(expectedRating([2]));

      const edited = await send(app, author, 'patch', `/v1/reviews/${created.id}`, {
        rating: 5,
        body: 'Changed my mind.',
      }).expect(200);
      expect(edited.body).toMatchObject({
        id: created.id,
        rating: 5,
        title: 'Solid API',
        body: 'Changed my mind.',
      });
      expect(edited.body.editedAt).not.toBeNull();
      expect(await detailRating(api.slug)).toEqual(expectedRating([5]));

      await send(app, author, 'patch', `/v1/reviews/${created.id}`, {}).expect(400);

      for (const [method, body] of [
        ['patch', { rating: 1 }],
        ['delete', undefined],
      ] as const) {
        const res = await send(app, other, method, `/v1/reviews/${created.id}`, body).expect(403);
        expect(res.body).toMatchObject({ code: 'forbidden' });
        expect(res.body.detail).toContain('Only the author');
        await send(app, provider.user, method, `/v1/reviews/${created.id}`, body).expect(403);
        await send(app, admin, method, `/v1/reviews/${created.id}`, body).expect(403);
        await send(app, other, method, `/v1/reviews/${randomUUID()}`, body).expect(404);
      }
      expect((await listReviews(api.slug)).items[0]).toMatchObject({ rating: 5 });

      await send(app, author, 'delete', `/v1/reviews/${created.id}`).expect(204);
      await send(app, author, 'patch', `/v1/reviews/${created.id}`, { rating: 3 }).expect(404);
      await send(app, author, 'delete', `/v1/reviews/${created.id}`).expect(404);
      expect(await detailRating(api.slug)).toEqual(expectedRating([]));
      // deleted, the author may review again
      await postReview(author, api.slug, 1);
      expect(await detailRating(api.slug)).toEqual(expectedRating([1]));
    });
  });

  describe('provider replies', () => {
    it('lets only the API provider reply, once per review (a second PUT edits it), and delete it', async () => {
      const author = await subscriber('rev-reply');
      const created = await postReview(author, listing.slug, 3);

      for (const caller of [otherProvider.user, author, admin]) {
        const res = await send(app, caller, 'put', `/v1/reviews/${created.id}/reply`, {
          body: 'Hijack',
        }).expect(403);
        expect(res.body.detail).toContain('Only the provider of this API');
      }
      const first = await send(app, provider.user, 'put', `/v1/reviews/${created.id}/reply`, {
        body: 'Thanks, fixed in v2.',
      }).expect(200);
      expect(first.body).toMatchObject({
        body: 'Thanks, fixed in v2.',
        providerDisplayName: 'Provider rev-provider',
      });
      await send(app, provider.user, 'put', `/v1/reviews/${created.id}/reply`, {
        body: 'Thanks, fixed in v2.1.',
      }).expect(200);
      const rows = await dataSource.query<{ body: string }[]>(
        `SELECT body FROM review_replies WHERE review_id = $1`,
        [created.id],
      );
      expect(rows).toEqual([{ body: 'Thanks, fixed in v2.1.' }]);
      const page = await listReviews(listing.slug, null, '?perPage=50');
      expect(page.items.find((r) => r.id === created.id)?.reply).toMatchObject({
        body: 'Thanks, fixed in v2.1.',
      });

      await send(app, otherProvider.user, 'delete', `/v1/reviews/${created.id}/reply`).expect(403);
      await send(app, provider.user, 'delete', `/v1/reviews/${created.id}/reply`).expect(204);
      await send(app, provider.user, 'delete', `/v1/reviews/${created.id}/reply`).expect(404);
      await send(app, provider.user, 'put', `/v1/reviews/${randomUUID()}/reply`, { body: 'x' }).expect(404);
    });
  });

  describe('helpful votes', () => {
    it('counts one mark per account, allows unmarking, refuses the author, and flags markedHelpful', async () => {
      const api = await publishedListing();
      const author = await subscriber('rev-helpful', api.planId);
      const created = await postReview(author, api.slug);
      const reader = await signUp(app, 'rev-reader');
      const reader2 = await signUp(app, 'rev-reader2');

      const url = `/v1/reviews/${created.id}/helpful`;
      expect((await send(app, reader, 'put', url).expect(200)).body).toEqual({
        reviewId: created.id,
        helpfulCount: 1,
        markedHelpful: true,
      });
      expect((await send(app, reader, 'put', url).expect(200)).body.helpfulCount).toBe(1);
      // concurrent marks from one more account and repeats never double count
      await Promise.all([
        send(app, reader2, 'put', url),
        send(app, reader2, 'put', url),
        send(app, reader, 'put', url),
      ]);
      expect((await send(app, reader2, 'put', url).expect(200)).body.helpfulCount).toBe(2);

      const own = await send(app, author, 'put', url).expect(403);
      expect(own.body.detail).toContain('your own review');

      const asReader = await listReviews(api.slug, reader);
      expect(asReader.items[0]).toMatchObject({
        id: created.id,
        helpfulCount: 2,
        markedHelpful: true,
        mine: false,
      });
      const asAuthor = await listReviews(api.slug, author);
      expect(asAuthor.items[0]).toMatchObject({ markedHelpful: false, mine: true });
      expect((await listReviews(api.slug)).items[0]).toMatchObject({ markedHelpful: false, mine: false });

      expect((await send(app, reader, 'delete', url).expect(200)).body).toEqual({
        reviewId: created.id,
        helpfulCount: 1,
        markedHelpful: false,
      });
      expect((await send(app, reader, 'delete', url).expect(200)).body.helpfulCount).toBe(1);
      await send(app, reader, 'put', `/v1/reviews/${randomUUID()}/helpful`).expect(404);
    });
  });

  describe('reports and moderation', () => {
    it('takes one report per account; an admin hides (aggregate and lists drop it) and restores it', async () => {
      const api = await publishedListing();
      const author = await subscriber('rev-mod', api.planId);
      const keeper = await subscriber('rev-mod-keep', api.planId);
      const reported = await postReview(author, api.slug, 1);
      await postReview(keeper, api.slug, 5);
      expect(await detailRating(api.slug)).toEqual(expectedRating([1, 5]));

      const reporter = await signUp(app, 'rev-reporter');
      const url = `/v1/reviews/${reported.id}/reports`;
      const first = await send(app, reporter, 'post', url, { reason: 'spam', details: 'Link farm.' }).expect(
        201,
      );
      expect(first.body).toMatchObject({ reviewId: reported.id, reason: 'spam', details: 'Link farm.' });
      const again = await send(app, reporter, 'post', url, { reason: 'offensive' }).expect(409);
      expect(again.body).toMatchObject({ code: 'conflict', reportId: first.body.id });
      await send(app, author, 'post', url, { reason: 'spam' }).expect(403);
      const other = await send(app, keeper, 'post', url, { reason: 'other' }).expect(400);
      expect(other.body.detail).toContain('details');
      await send(app, keeper, 'post', url, { reason: 'bogus' }).expect(400);
      await send(app, keeper, 'post', url, { reason: 'other', details: 'Not about this API.' }).expect(201);

      const queue = await send(app, admin, 'get', '/v1/admin/reviews/reported?perPage=100').expect(200);
      const item = (queue.body.items as ReportedItem[]).find((i) => i.id === reported.id);
      expect(item).toMatchObject({ api: { id: api.id, slug: api.slug }, openReportCount: 2, hiddenAt: null });

      const hidden = await send(app, admin, 'post', `/v1/admin/reviews/${reported.id}/hide`).expect(200);
      expect(hidden.body.hiddenAt).not.toBeNull();
      expect((hidden.body as ReportedItem).reports.map((r) => r.resolution)).toEqual(['hidden', 'hidden']);
      expect(await detailRating(api.slug)).toEqual(expectedRating([5]));
      const page = await listReviews(api.slug);
      expect(page.items.map((r) => r.id)).not.toContain(reported.id);
      expect(page.aggregate).toEqual(expectedRating([5]));
      // gone for everyone but its author: helpful, report and reply answer 404 like an unknown id
      await send(app, reporter, 'put', `/v1/reviews/${reported.id}/helpful`).expect(404);
      await send(app, keeper, 'post', url, { reason: 'spam' }).expect(404);
      await send(app, provider.user, 'put', `/v1/reviews/${reported.id}/reply`, { body: 'x' }).expect(404);
      await send(app, keeper, 'patch', `/v1/reviews/${reported.id}`, { rating: 2 }).expect(404);

      const openQueue = await send(app, admin, 'get', '/v1/admin/reviews/reported?perPage=100').expect(200);
      expect((openQueue.body.items as ReportedItem[]).map((i) => i.id)).not.toContain(reported.id);
      const hiddenQueue = await send(
        app,
        admin,
        'get',
        '/v1/admin/reviews/reported?status=hidden&perPage=100',
      ).expect(200);
      expect((hiddenQueue.body.items as ReportedItem[]).map((i) => i.id)).toContain(reported.id);

      const restored = await send(app, admin, 'post', `/v1/admin/reviews/${reported.id}/restore`).expect(200);
      expect(restored.body.hiddenAt).toBeNull();
      expect(await detailRating(api.slug)).toEqual(expectedRating([1, 5]));
      expect((await listReviews(api.slug)).items.map((r) => r.id)).toContain(reported.id);

      // restoring a visible review dismisses new reports
      const late = await signUp(app, 'rev-late');
      await send(app, late, 'post', url, { reason: 'misleading' }).expect(201);
      const dismissed = await send(app, admin, 'post', `/v1/admin/reviews/${reported.id}/restore`).expect(
        200,
      );
      expect((dismissed.body as ReportedItem).reports[0]).toMatchObject({
        reason: 'misleading',
        resolution: 'dismissed',
      });
      await send(app, admin, 'post', `/v1/admin/reviews/${randomUUID()}/hide`).expect(404);
      const aggregate = await recount(api.id);
      expect(aggregate.stored).toEqual(aggregate.actual);
    });
  });

  describe('aggregates under concurrency', () => {
    it('stays exact under 20 concurrent reviews, then concurrent edits, deletes, hides and restores', async () => {
      const api = await publishedListing();
      const consumers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => subscriber(`rev-conc-${i}`, api.planId)),
      );
      const ratings = consumers.map((_, i) => (i % 5) + 1);
      const created = await Promise.all(
        consumers.map((user, i) =>
          send(app, user, 'post', `/v1/apis/${api.slug}/reviews`, review(ratings[i])),
        ),
      );
      expect(created.map((r) => r.status)).toEqual(Array(20).fill(201));
      const ids = created.map((r) => (r.body as ReviewBody).id);
      expect(await detailRating(api.slug)).toEqual(expectedRating(ratings));
      const afterCreate = await recount(api.id);
      expect(afterCreate.stored).toEqual(afterCreate.actual);

      // then everything at once: 8 edits to 1 star, 4 deletes, 4 hides; the rest untouched
      const final = [...ratings];
      const live = new Set(ids.map((_, i) => i));
      const writes: Promise<{ status: number }>[] = [];
      for (let i = 0; i < 8; i++) {
        final[i] = 1;
        writes.push(send(app, consumers[i], 'patch', `/v1/reviews/${ids[i]}`, { rating: 1 }));
      }
      for (let i = 8; i < 12; i++) {
        live.delete(i);
        writes.push(send(app, consumers[i], 'delete', `/v1/reviews/${ids[i]}`));
      }
      for (let i = 12; i < 16; i++) {
        live.delete(i);
        writes.push(send(app, admin, 'post', `/v1/admin/reviews/${ids[i]}/hide`));
      }
      const statuses = (await Promise.all(writes)).map((r) => r.status);
      expect(statuses).toEqual([...Array(8).fill(200), ...Array(4).fill(204), ...Array(4).fill(200)]);
      const expected = expectedRating([...live].map((i) => final[i]));
      expect(await detailRating(api.slug)).toEqual(expected);
      const afterMix = await recount(api.id);
      expect(afterMix.stored).toEqual(afterMix.actual);

      // restoring the hidden ones concurrently brings them back
      await Promise.all(
        ids
          .slice(12, 16)
          .map((id) => send(app, admin, 'post', `/v1/admin/reviews/${id}/restore`).expect(200)),
      );
      for (let i = 12; i < 16; i++) live.add(i);
      expect(await detailRating(api.slug)).toEqual(expectedRating([...live].map((i) => final[i])));
      const aggregates = await recount(api.id);
      expect(aggregates.stored).toEqual(aggregates.actual);
    });
  });

  describe('listing', () => {
    let api: ListingRef & { planId: string };
    let ratings: number[];
    let ids: string[];

    beforeAll(async () => {
      api = await publishedListing();
      ratings = [5, 3, 4, 1, 5, 2, 4, 5, 3, 1, 4, 5];
      ids = [];
      for (const [i, rating] of ratings.entries()) {
        const user = await subscriber(`rev-list-${i}`, api.planId);
        ids.push((await postReview(user, api.slug, rating)).id);
      }
      // helpful marks: review 3 gets 3, review 7 gets 2, review 0 gets 1
      const readers = await Promise.all([
        signUp(app, 'rev-lr1'),
        signUp(app, 'rev-lr2'),
        signUp(app, 'rev-lr3'),
      ]);
      for (const [index, count] of [
        [3, 3],
        [7, 2],
        [0, 1],
      ]) {
        for (const reader of readers.slice(0, count))
          await send(app, reader, 'put', `/v1/reviews/${ids[index]}/helpful`).expect(200);
      }
    });

    it('sorts newest first by default', async () => {
      const page = await listReviews(api.slug, null, '?perPage=50');
      expect(page.items.map((r) => r.id)).toEqual([...ids].reverse());
      expect(page).toMatchObject({ page: 1, perPage: 50, total: 12, aggregate: expectedRating(ratings) });
    });

    it('sorts by helpful count, then newest', async () => {
      const page = await listReviews(api.slug, null, '?sort=helpful&perPage=4');
      expect(page.items.map((r) => r.id)).toEqual([ids[3], ids[7], ids[0], ids[11]]);
      expect(page.items.map((r) => r.helpfulCount)).toEqual([3, 2, 1, 0]);
    });

    it('sorts by rating, highest first', async () => {
      const page = await listReviews(api.slug, null, '?sort=rating&perPage=50');
      const got = page.items.map((r) => r.rating);
      expect(got).toEqual([...ratings].sort((a, b) => b - a));
      // ties newest first
      expect(page.items.slice(0, 4).map((r) => r.id)).toEqual([ids[11], ids[7], ids[4], ids[0]]);
    });

    it('filters by rating, with the total of the filter and the aggregate of all', async () => {
      for (const star of STARS) {
        const page = await listReviews(api.slug, null, `?rating=${star}&perPage=50`);
        expect(page.items.every((r) => r.rating === Number(star))).toBe(true);
        expect(page.total).toBe(ratings.filter((r) => r === Number(star)).length);
        expect(page.aggregate).toEqual(expectedRating(ratings));
      }
    });

    it('paginates without gaps or repeats', async () => {
      const seen: string[] = [];
      for (const n of [1, 2, 3]) {
        const page = await listReviews(api.slug, null, `?perPage=5&page=${n}`);
        expect(page).toMatchObject({ page: n, perPage: 5, total: 12 });
        seen.push(...page.items.map((r) => r.id));
      }
      expect(seen).toEqual([...ids].reverse());
      expect((await listReviews(api.slug, null, '?perPage=5&page=4')).items).toEqual([]);
    });

    it('rejects bad query values with 400', async () => {
      for (const query of [
        '?sort=worst',
        '?rating=6',
        '?rating=0',
        '?page=0',
        '?perPage=51',
        '?rating=abc',
      ]) {
        const res = await send(app, null, 'get', `/v1/apis/${api.slug}/reviews${query}`).expect(400);
        expect(res.body.code).toBe('validation_failed');
      }
    });

    it('shows the aggregate on the public listing page (GET /v1/apis/:slug)', async () => {
      expect(await detailRating(api.slug)).toEqual(expectedRating(ratings));
      const fresh = await publishedListing();
      expect(await detailRating(fresh.slug)).toEqual({
        average: null,
        count: 0,
        distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 },
      });
    });
  });

  describe('events', () => {
    it(`publishes ${REVIEWS_CHANGED_EVENT} with the API id after a review write`, async () => {
      const api = await publishedListing();
      const author = await subscriber('rev-event', api.planId);
      const received: string[] = [];
      const unsubscribe = await app
        .get(EventBus)
        .subscribe(REVIEWS_CHANGED_EVENT, (message) => received.push(message));
      try {
        await postReview(author, api.slug, 4);
        const deadline = Date.now() + 5000;
        while (!received.some((m) => m.includes(api.id)) && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 25));
        expect(received.map((m) => JSON.parse(m) as unknown)).toContainEqual({ apiId: api.id });
      } finally {
        unsubscribe();
      }
    });
  });

  describe('authorization of every review route', () => {
    let document: OpenAPIObject;
    let reviewId: string;
    let author: SignedUp;
    let consumer: SignedUp;

    /** What each route needs: a body, and who may call it. */
    const ROUTES: Record<string, { body?: unknown; access: 'public' | 'session' | 'admin' }> = {
      'GET /v1/apis/{slug}/reviews': { access: 'public' },
      'POST /v1/apis/{slug}/reviews': { body: review(), access: 'session' },
      'PATCH /v1/reviews/{id}': { body: { rating: 3 }, access: 'session' },
      'DELETE /v1/reviews/{id}': { access: 'session' },
      'PUT /v1/reviews/{id}/reply': { body: { body: 'Thanks' }, access: 'session' },
      'DELETE /v1/reviews/{id}/reply': { access: 'session' },
      'PUT /v1/reviews/{id}/helpful': { access: 'session' },
      'DELETE /v1/reviews/{id}/helpful': { access: 'session' },
      'POST /v1/reviews/{id}/reports': { body: { reason: 'spam' }, access: 'session' },
      'GET /v1/admin/reviews/reported': { access: 'admin' },
      'POST /v1/admin/reviews/{id}/hide': { access: 'admin' },
      'POST /v1/admin/reviews/{id}/restore': { access: 'admin' },
    };

    const fill = (route: string): string =>
      route.split(' ')[1].replace('{slug}', listing.slug).replace('{id}', reviewId);

    beforeAll(async () => {
      document = buildOpenApiDocument(app);
      author = await subscriber('rev-authz');
      consumer = await signUp(app, 'rev-authz-consumer');
      reviewId = (await postReview(author, listing.slug, 4)).id;
    });

    it('has a row for every review route in the OpenAPI document', () => {
      const documented: string[] = [];
      for (const [path, item] of Object.entries(document.paths)) {
        if (!/\/reviews(\/|$)/.test(path)) continue;
        for (const method of ['get', 'post', 'put', 'patch', 'delete'] as HttpMethod[])
          if (item[method]) documented.push(`${method.toUpperCase()} ${path}`);
      }
      expect(documented.sort()).toEqual(Object.keys(ROUTES).sort());
    });

    it('answers anonymous mutations and admin reads with 401 unauthenticated, changing nothing', async () => {
      const before = await dataSource.query<unknown[]>(`SELECT * FROM reviews WHERE id = $1`, [reviewId]);
      for (const [route, spec] of Object.entries(ROUTES)) {
        const method = route.split(' ')[0].toLowerCase() as HttpMethod;
        const res = await send(app, null, method, fill(route), spec.body);
        if (spec.access === 'public') expect({ route, status: res.status }).toEqual({ route, status: 200 });
        else {
          expect({ route, status: res.status, code: res.body.code }).toEqual({
            route,
            status: 401,
            code: 'unauthenticated',
          });
        }
      }
      expect(await dataSource.query(`SELECT * FROM reviews WHERE id = $1`, [reviewId])).toEqual(before);
    });

    it('answers cookie mutations without the CSRF token with 403 csrf_failed', async () => {
      for (const [route, spec] of Object.entries(ROUTES)) {
        const [verb] = route.split(' ');
        if (verb === 'GET') continue;
        const method = verb.toLowerCase() as HttpMethod;
        const caller = spec.access === 'admin' ? admin : author;
        const req = caller.agent[method](fill(route));
        const res = await (spec.body === undefined ? req : req.send(spec.body as object));
        expect({ route, status: res.status, code: res.body.code }).toEqual({
          route,
          status: 403,
          code: 'csrf_failed',
        });
      }
      expect(
        (await listReviews(listing.slug, null, '?perPage=50')).items.find((r) => r.id === reviewId),
      ).toMatchObject({
        rating: 4,
        helpfulCount: 0,
      });
    });

    it('answers non-admins on admin routes with 403 forbidden', async () => {
      for (const [route] of Object.entries(ROUTES).filter(([, spec]) => spec.access === 'admin')) {
        const method = route.split(' ')[0].toLowerCase() as HttpMethod;
        for (const caller of [consumer, author, provider.user]) {
          const res = await send(app, caller, method, fill(route));
          expect({ route, status: res.status, code: res.body.code }).toEqual({
            route,
            status: 403,
            code: 'forbidden',
          });
        }
      }
      const rows = await dataSource.query<{ hidden_at: Date | null }[]>(
        `SELECT hidden_at FROM reviews WHERE id = $1`,
        [reviewId],
      );
      expect(rows[0].hidden_at).toBeNull();
    });

    it('answers junk ids with 400 and unknown ids with 404 on every id route', async () => {
      for (const [route, spec] of Object.entries(ROUTES)) {
        if (!route.includes('{id}')) continue;
        const method = route.split(' ')[0].toLowerCase() as HttpMethod;
        const caller = spec.access === 'admin' ? admin : consumer;
        const junk = await send(
          app,
          caller,
          method,
          route.split(' ')[1].replace('{id}', 'not-a-uuid'),
          spec.body,
        );
        expect({ route, status: junk.status }).toEqual({ route, status: 400 });
        const unknown = await send(
          app,
          caller,
          method,
          route.split(' ')[1].replace('{id}', randomUUID()),
          spec.body,
        );
        expect({ route, status: unknown.status, code: unknown.body.code }).toEqual({
          route,
          status: 404,
          code: 'not_found',
        });
      }
    });
  });
});
