import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CategoryEntity } from './category.entity';

export interface CategoryWithCount extends CategoryEntity {
  /** Listings in the public catalog under this category. */
  apiCount: number;
}

/** The fixed, seeded `categories` table (changed only by migrations). */
@Injectable()
export class CategoryRepository {
  constructor(private readonly dataSource: DataSource) {}

  list(): Promise<CategoryEntity[]> {
    return this.dataSource.getRepository(CategoryEntity).find({ order: { sortOrder: 'ASC', slug: 'ASC' } });
  }

  exists(slug: string): Promise<boolean> {
    return this.dataSource.getRepository(CategoryEntity).existsBy({ slug });
  }

  /** Every category with the number of listings the public catalog shows in it (see PUBLIC_LISTING_CONDITION). */
  async listWithCounts(now: Date): Promise<CategoryWithCount[]> {
    const rows = await this.dataSource.query<
      { slug: string; name: string; description: string; sort_order: number; api_count: string }[]
    >(
      `SELECT c.slug, c.name, c.description, c.sort_order, COUNT(l.id) AS api_count
         FROM categories c
         LEFT JOIN api_listings l ON l.category_slug = c.slug AND l.visibility = 'public'
          AND (l.status = 'published' OR (l.status = 'deprecated' AND (l.sunset_at IS NULL OR l.sunset_at > $1)))
        GROUP BY c.slug
        ORDER BY c.sort_order, c.slug`,
      [now],
    );
    return rows.map((row) => ({
      slug: row.slug,
      name: row.name,
      description: row.description,
      sortOrder: row.sort_order,
      apiCount: Number(row.api_count),
    }));
  }
}
