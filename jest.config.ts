import type { Config } from 'jest';

const transform: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }],
  // ESM-only packages (STACK.md "ESM-only packages under Jest"), compiled to CommonJS for Jest's sandbox
  '^.+/node_modules/meilisearch/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true }, diagnostics: false },
  ],
};
/** node_modules are not transformed, except the ESM-only packages above. */
const transformIgnorePatterns = ['/node_modules/(?!meilisearch/)'];

const moduleNameMapper = {
  '^@app/([a-z-]+)/testing$': '<rootDir>/libs/$1/src/testing',
  '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
  '^@migrations$': '<rootDir>/migrations/index.ts',
};

const shared = {
  rootDir: __dirname,
  transform,
  transformIgnorePatterns,
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/**
 * Three projects: unit (`*.spec.ts`, no stores), integration (`*.int-spec.ts`, the machine's real
 * PostgreSQL and Redis) and e2e (`test/*.e2e-spec.ts`, apps booted and driven over HTTP).
 * The global setup makes one database and one Redis key prefix for this run and removes both after.
 */
const config: Config = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test,scripts,migrations}/**/*.spec.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs,test,migrations}/**/*.int-spec.ts'], slowTestThreshold: 20 },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], slowTestThreshold: 30 },
  ],
  testTimeout: 30_000,
  maxWorkers: 2,
};

export default config;
