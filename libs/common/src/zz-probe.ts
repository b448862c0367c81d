import type { Meilisearch } from 'meilisearch';
export async function probe(): Promise<Meilisearch> { const m = await import('meilisearch'); return new m.Meilisearch({ host: 'http://x' }); }
