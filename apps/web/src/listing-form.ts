/** The listing fields the provider's edit form shows, as the text its inputs hold (a type, so it is a Record of strings). */
export type ListingFormValues = {
  name: string;
  slug: string;
  summary: string;
  description: string;
  category: string;
  /** Comma-separated. */
  tags: string;
  upstreamLiveUrl: string;
  /** Empty: none. */
  websiteUrl: string;
  visibility: string;
};

/** The form's text for a listing as the api answers it. */
export function listingFormValues(listing: {
  name: string;
  slug: string;
  summary: string;
  description: string;
  category: string;
  tags: string[];
  upstreamLiveUrl: string;
  websiteUrl: string | null;
  visibility: string;
}): ListingFormValues {
  return {
    name: listing.name,
    slug: listing.slug,
    summary: listing.summary,
    description: listing.description,
    category: listing.category,
    tags: listing.tags.join(', '),
    upstreamLiveUrl: listing.upstreamLiveUrl,
    websiteUrl: listing.websiteUrl ?? '',
    visibility: listing.visibility,
  };
}

const tagList = (text: string): string[] =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);

/**
 * The body of PATCH /v1/provider/apis/{id}: only the fields the provider changed (the api changes
 * only the fields sent), tags as a list, an emptied website as null. Empty when nothing changed.
 */
export function listingChanges(saved: ListingFormValues, edited: ListingFormValues): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const key of Object.keys(saved) as (keyof ListingFormValues)[]) {
    if (key === 'tags') {
      const tags = tagList(edited.tags);
      if (tags.join(',') !== tagList(saved.tags).join(',')) changes.tags = tags;
    } else if (edited[key].trim() !== saved[key].trim()) {
      changes[key] = key === 'websiteUrl' && edited[key].trim() === '' ? null : edited[key].trim();
    }
  }
  return changes;
}
