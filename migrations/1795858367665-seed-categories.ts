import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The fixed list of listing categories (RapidAPI's most used ones). Add new ones in a new migration. */
export const CATEGORIES: [slug: string, name: string, description: string][] = [
  ['ai', 'Artificial Intelligence', 'Language, vision and speech models, embeddings and classifiers.'],
  ['data', 'Data', 'Datasets, enrichment, scraping and lookups.'],
  ['finance', 'Finance', 'Markets, currencies, payments and banking data.'],
  ['weather', 'Weather', 'Forecasts, observations and climate data.'],
  ['location', 'Location', 'Geocoding, maps, routing and places.'],
  ['communication', 'Communication', 'Email, SMS, voice and messaging.'],
  ['media', 'Media', 'Images, video, audio and documents.'],
  ['developer-tools', 'Developer Tools', 'Utilities for building and running software.'],
  ['security', 'Security', 'Identity, fraud, threat intelligence and validation.'],
  ['ecommerce', 'eCommerce', 'Products, prices, orders and shipping.'],
  ['sports', 'Sports', 'Scores, fixtures, odds and statistics.'],
  ['travel', 'Travel', 'Flights, hotels, transit and bookings.'],
  ['health', 'Health', 'Medical, fitness and nutrition data.'],
  ['social', 'Social', 'Social networks, profiles and content.'],
  ['business', 'Business', 'Companies, productivity and business software.'],
  ['other', 'Other', 'Everything else.'],
];

export class SeedCategories1795858367665 implements MigrationInterface {
  name = 'SeedCategories1795858367665';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [index, [slug, name, description]] of CATEGORIES.entries()) {
      await queryRunner.query('INSERT INTO "categories" ("slug", "name", "description", "sort_order") VALUES ($1, $2, $3, $4)', [
        slug,
        name,
        description,
        index,
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM "categories" WHERE "slug" = ANY($1)', [CATEGORIES.map(([slug]) => slug)]);
  }
}
