import { AppError } from '@app/common';
import type { ListingStatus, ListingVisibility } from './api-listing.entity';
import { isInPublicCatalog, isLive, nextStatus, ownerActions, type ListingAction } from './listing-lifecycle';

const subject = (
  status: ListingStatus,
  visibility: ListingVisibility = 'public',
  publishedAt: Date | null = null,
) => ({ status, visibility, publishedAt });
const open = { requireApproval: false };

describe('listing lifecycle', () => {
  it.each<[ListingStatus, ListingVisibility, Date | null, ListingAction, boolean, ListingStatus]>([
    ['draft', 'public', null, 'publish', false, 'published'],
    ['draft', 'public', null, 'publish', true, 'pending_approval'],
    ['draft', 'private', null, 'publish', true, 'published'],
    ['pending_approval', 'public', null, 'approve', true, 'published'],
    ['pending_approval', 'public', null, 'reject', true, 'draft'],
    ['pending_approval', 'public', new Date(), 'reject', true, 'published'],
    ['published', 'public', new Date(), 'deprecate', false, 'deprecated'],
    ['deprecated', 'public', new Date(), 'retire', false, 'retired'],
  ])(
    '%s (%s, published %s) --%s (approval %s)--> %s',
    (status, visibility, publishedAt, action, requireApproval, next) => {
      expect(nextStatus(subject(status, visibility, publishedAt), action, { requireApproval })).toBe(next);
    },
  );

  it.each<[ListingStatus, ListingAction]>([
    ['draft', 'deprecate'],
    ['draft', 'retire'],
    ['draft', 'approve'],
    ['pending_approval', 'publish'],
    ['published', 'publish'],
    ['published', 'retire'],
    ['published', 'approve'],
    ['deprecated', 'publish'],
    ['deprecated', 'deprecate'],
    ['retired', 'publish'],
    ['retired', 'retire'],
  ])('refuses %s --%s--> with a 409 naming the allowed transitions', (status, action) => {
    let error: unknown;
    try {
      nextStatus(subject(status), action, open);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.status).toBe(409);
    expect(appError.extensions).toMatchObject({ status, action });
    expect(appError.detail).toContain(`Cannot ${action}`);
  });

  it('tells the owner what comes next', () => {
    expect(ownerActions('draft')).toEqual(['publish']);
    expect(ownerActions('pending_approval')).toEqual([]);
    expect(ownerActions('published')).toEqual(['deprecate']);
    expect(ownerActions('deprecated')).toEqual(['retire']);
    expect(ownerActions('retired')).toEqual([]);
  });

  it('serves a deprecated listing until its sunset, and a live listing under review', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const live = (status: ListingStatus, sunsetAt: Date | null = null, publishedAt: Date | null = now) =>
      isLive({ status, sunsetAt, publishedAt }, now);
    expect(live('published')).toBe(true);
    expect(live('deprecated', new Date('2026-12-02T00:00:00Z'))).toBe(true);
    expect(live('deprecated', new Date('2026-11-30T00:00:00Z'))).toBe(false);
    expect(live('pending_approval')).toBe(true);
    expect(live('pending_approval', null, null)).toBe(false);
    expect(live('draft')).toBe(false);
    expect(live('retired')).toBe(false);
    expect(
      isInPublicCatalog(
        { status: 'pending_approval', visibility: 'public', sunsetAt: null, publishedAt: now },
        now,
      ),
    ).toBe(false);
    expect(
      isInPublicCatalog(
        { status: 'published', visibility: 'private', sunsetAt: null, publishedAt: now },
        now,
      ),
    ).toBe(false);
    expect(
      isInPublicCatalog({ status: 'published', visibility: 'public', sunsetAt: null, publishedAt: now }, now),
    ).toBe(true);
  });
});
