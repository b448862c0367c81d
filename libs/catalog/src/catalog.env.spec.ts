import { loadEnv } from '@app/common';
import { envProblems } from '@app/common/testing';
import { CatalogEnv } from './catalog.env';

const problems = (raw: Record<string, string>): string[] => envProblems(CatalogEnv, raw);

describe('CatalogEnv', () => {
  it('limits an OpenAPI import to 1536 MB and 120 s unless told otherwise, read from the environment as numbers', () => {
    expect(loadEnv(CatalogEnv, {})).toMatchObject({
      CATALOG_IMPORT_MEMORY_MB: 1536,
      CATALOG_IMPORT_TIMEOUT_SECONDS: 120,
    });
    expect(
      loadEnv(CatalogEnv, { CATALOG_IMPORT_MEMORY_MB: '512', CATALOG_IMPORT_TIMEOUT_SECONDS: '30' }),
    ).toMatchObject({
      CATALOG_IMPORT_MEMORY_MB: 512,
      CATALOG_IMPORT_TIMEOUT_SECONDS: 30,
    });
  });

  it('refuses limits that are not whole numbers in range, naming the variable', () => {
    expect(problems({ CATALOG_IMPORT_MEMORY_MB: 'lots' })).toContain(
      'CATALOG_IMPORT_MEMORY_MB must be a whole number of megabytes (64–16384)',
    );
    expect(problems({ CATALOG_IMPORT_MEMORY_MB: '32' })).toEqual([
      'CATALOG_IMPORT_MEMORY_MB must be at least 64',
    ]);
    expect(problems({ CATALOG_IMPORT_TIMEOUT_SECONDS: '0' })).toEqual([
      'CATALOG_IMPORT_TIMEOUT_SECONDS must be at least 1',
    ]);
    expect(problems({ CATALOG_IMPORT_TIMEOUT_SECONDS: '1.5' })).toEqual([
      expect.stringContaining('CATALOG_IMPORT_TIMEOUT_SECONDS must be a whole number of seconds'),
    ]);
  });
});
