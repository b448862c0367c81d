import { conflict, type AppError } from '@app/common';
import type { ListingStatus, ListingVisibility } from './api-listing.entity';

/** What moves a listing along draft → (pending_approval →) published → deprecated → retired. */
export type ListingAction = 'publish' | 'approve' | 'reject' | 'deprecate' | 'retire';

export interface LifecycleSubject {
  status: ListingStatus;
  visibility: ListingVisibility;
  publishedAt: Date | null;
}

export interface LifecycleOptions {
  /** CATALOG_REQUIRE_APPROVAL. */
  requireApproval: boolean;
}

/** Which actions each status allows (approve/reject are the admin's, the rest the owner's). */
const ALLOWED: Record<ListingStatus, readonly ListingAction[]> = {
  draft: ['publish'],
  pending_approval: ['approve', 'reject'],
  published: ['deprecate'],
  deprecated: ['retire'],
  retired: [],
};

const OWNER_ACTIONS: ReadonlySet<ListingAction> = new Set(['publish', 'deprecate', 'retire']);

/** The owner's next possible actions (for the UI's buttons). */
export function ownerActions(status: ListingStatus): ListingAction[] {
  return ALLOWED[status].filter((action) => OWNER_ACTIONS.has(action));
}

const ACTION_HINTS: Record<ListingAction, string> = {
  publish: 'publish (POST …/publish)',
  approve: 'approve (an admin: POST /v1/admin/apis/{id}/approve)',
  reject: 'reject (an admin: POST /v1/admin/apis/{id}/reject)',
  deprecate: 'deprecate with a sunset date and a message (POST …/deprecate)',
  retire: 'retire (POST …/retire)',
};

export function illegalTransition(subject: LifecycleSubject, action: ListingAction): AppError {
  const allowed = ALLOWED[subject.status];
  const next =
    allowed.length > 0
      ? `From ${subject.status} the allowed transitions are: ${allowed.map((a) => ACTION_HINTS[a]).join('; ')}.`
      : `A ${subject.status} listing is final: nothing can change it any more.`;
  return conflict(`Cannot ${action} a listing that is ${subject.status.replace('_', ' ')}. ${next}`, {
    status: subject.status,
    action,
    allowedActions: [...allowed],
  });
}

/**
 * The status after `action`, or a 409 `conflict` naming the transitions that are allowed.
 * Publishing a public listing waits for an admin when approval is required; a rejected listing
 * goes back to draft, or — when it was live before and is under review because it was made public —
 * stays live as it was (private).
 */
export function nextStatus(
  subject: LifecycleSubject,
  action: ListingAction,
  options: LifecycleOptions,
): ListingStatus {
  if (!ALLOWED[subject.status].includes(action)) throw illegalTransition(subject, action);
  switch (action) {
    case 'publish':
      return options.requireApproval && subject.visibility === 'public' ? 'pending_approval' : 'published';
    case 'approve':
      return 'published';
    case 'reject':
      return subject.publishedAt ? 'published' : 'draft';
    case 'deprecate':
      return 'deprecated';
    case 'retire':
      return 'retired';
  }
}

/** Statuses in which a listing takes calls at the gateway (a deprecated one until its sunset). */
export function isLive(
  subject: { status: ListingStatus; publishedAt: Date | null; sunsetAt: Date | null },
  now: Date,
): boolean {
  if (subject.status === 'published') return true;
  if (subject.status === 'deprecated') return subject.sunsetAt === null || subject.sunsetAt > now;
  // a live listing made public waits for approval without going offline for its subscribers
  return subject.status === 'pending_approval' && subject.publishedAt !== null;
}

/** Whether anyone may see the listing page of a public listing (the public catalog's rule). */
export function isInPublicCatalog(
  subject: {
    status: ListingStatus;
    visibility: ListingVisibility;
    sunsetAt: Date | null;
    publishedAt: Date | null;
  },
  now: Date,
): boolean {
  return subject.visibility === 'public' && subject.status !== 'pending_approval' && isLive(subject, now);
}
