import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { ReviewPage } from '../api/types';
import { formatDate } from '../format';
import { useSession } from '../session';
import { ErrorNotice } from './ErrorNotice';
import { SortSelect } from './SortSelect';
import { useAction } from './useAction';
import { useApi } from './useApi';

const SORTS = [
  ['helpful', 'Most helpful'],
  ['newest', 'Newest'],
  ['rating', 'Highest rated'],
] as const;

const stars = (rating: number) => '★'.repeat(rating) + '☆'.repeat(5 - rating);

/**
 * An API's reviews: the star distribution, the reviews (text only: the api stores them as sent), the
 * provider's replies, "helpful" votes, and a form for subscribers who have not reviewed it yet (the api
 * decides who may: 403 and 409 come back as its own problems).
 */
export function Reviews({ slug, subscribed }: { slug: string; subscribed: boolean }) {
  const { account } = useSession();
  const [sort, setSort] = useState<string>('helpful');
  const reviews = useApi(
    () => api.get<ReviewPage>(`/v1/apis/${encodeURIComponent(slug)}/reviews`, { sort, perPage: 10 }),
    [slug, sort],
  );
  const { error, run } = useAction();
  const page = reviews.data;
  const reviewed = page?.items.some((review) => review.mine) ?? false;

  const toggleHelpful = async (id: string, marked: boolean) => {
    const path = `/v1/reviews/${id}/helpful`;
    if (await run(() => (marked ? api.delete(path) : api.put(path)))) reviews.reload();
  };

  return (
    <section>
      <h2>Reviews</h2>
      <ErrorNotice error={reviews.error ?? error} />
      {page && page.aggregate.count > 0 && page.aggregate.average !== null && (
        <div className="rating-summary" data-testid="rating-summary">
          <p className="price">
            ★ {page.aggregate.average.toFixed(1)}{' '}
            <span className="muted small">
              {page.aggregate.count} review{page.aggregate.count === 1 ? '' : 's'}
            </span>
          </p>
          {([5, 4, 3, 2, 1] as const).map((n) => (
            <div key={n} className="distribution small">
              <span>{n} ★</span>
              <div className="meter">
                <span
                  style={{ width: `${(page.aggregate.distribution[n] / page.aggregate.count) * 100}%` }}
                />
              </div>
              <span className="muted">{page.aggregate.distribution[n]}</span>
            </div>
          ))}
        </div>
      )}
      {account && subscribed && page && !reviewed && <ReviewForm slug={slug} onPosted={reviews.reload} />}
      {page && page.items.length === 0 && (
        <p className="empty">No reviews yet. Subscribers can review an API once they have called it.</p>
      )}
      {page && page.items.length > 1 && (
        <SortSelect className="small" options={SORTS} value={sort} onChange={setSort} />
      )}
      <ul className="reviews">
        {page?.items.map((review) => (
          <li key={review.id} data-testid="review">
            <strong aria-label={`${review.rating} of 5 stars`}>{stars(review.rating)}</strong> {review.title}
            {review.mine && <span className="badge">your review</span>}
            <p className="review-body">{review.body}</p>
            <p className="muted small">
              {review.author.displayName}, {formatDate(review.createdAt)}
              {review.editedAt ? ' (edited)' : ''} · {review.helpfulCount} found it helpful
              {account && !review.mine && (
                <>
                  {' '}
                  ·{' '}
                  <button
                    type="button"
                    className="link"
                    aria-pressed={review.markedHelpful}
                    onClick={() => void toggleHelpful(review.id, review.markedHelpful)}
                  >
                    {review.markedHelpful ? 'Not helpful after all' : 'Helpful'}
                  </button>
                </>
              )}
            </p>
            {review.reply && (
              <blockquote className="reply small">
                <strong>{review.reply.providerDisplayName}</strong> replied: {review.reply.body}
              </blockquote>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ReviewForm({ slug, onPosted }: { slug: string; onPosted: () => void }) {
  const [rating, setRating] = useState(5);
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await run(() => api.post(`/v1/apis/${encodeURIComponent(slug)}/reviews`, { rating, title, body })))
      onPosted();
  };
  return (
    <form className="stack review-form" onSubmit={(event) => void submit(event)}>
      <strong>Review this API</strong>
      <label>
        Stars
        <select value={rating} onChange={(event) => setRating(Number(event.target.value))}>
          {[5, 4, 3, 2, 1].map((n) => (
            <option key={n} value={n}>
              {stars(n)} ({n})
            </option>
          ))}
        </select>
      </label>
      <label>
        Title
        <input required maxLength={120} value={title} onChange={(event) => setTitle(event.target.value)} />
      </label>
      <label>
        Review
        <textarea
          required
          maxLength={5000}
          rows={4}
          value={body}
          onChange={(event) => setBody(event.target.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Posting…' : 'Post review'}
      </button>
      <ErrorNotice error={error} />
    </form>
  );
}
