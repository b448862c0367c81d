// ESLint 9 flat config: type-aware typescript-eslint rules plus the import boundaries of DESIGN.md §2
// (apps → feature libs → libs/common; a lib is imported only through `@app/<lib>`, tests may also
// use `@app/<lib>/testing`; a lib never imports an app; libs/common imports no other lib).
//
// The boundaries are enforced twice over, by two mechanisms that can each fail the build:
//  - `no-restricted-imports` for the `@app/*` aliases (deep imports, libs/common importing a lib);
//  - `portico/import-boundaries`, a small local rule for what patterns cannot express: relative
//    (`../../identity/src/...`) and baseUrl (`apps/api/src/...`, `libs/x/src/...`) paths, resolved
//    against the importing file, plus a lib importing itself through its own alias (an index cycle).
// test/lint/import-boundaries.spec.ts proves each of them fires.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * Test code: may import `@app/<lib>/testing` (and relax a few rules that fight jest idioms).
 * Benchmarks are measurement code too: they time a lib's pieces apart.
 */
const TEST_FILES = [
  '**/*.spec.ts',
  '**/*.int-spec.ts',
  '**/*.e2e-spec.ts',
  'test/**/*.ts',
  'libs/*/src/testing/**/*.ts',
  'scripts/bench-*.ts',
];
const COMMON_FILES = ['libs/common/**/*.ts'];

const DEEP_IMPORT = {
  regex: '^@app/[^/]+/.+',
  message:
    'Deep import into a lib: import from "@app/<lib>" (its src/index.ts is the public surface). "@app/<lib>/testing" is for test files only.',
};
const DEEP_IMPORT_IN_TEST = {
  regex: '^@app/[^/]+/(?!testing$).+',
  message: 'Deep import into a lib: tests import "@app/<lib>" or "@app/<lib>/testing", nothing deeper.',
};
const COMMON_IMPORTS_LIB = {
  regex: '^@app/(?!common(?:/|$))',
  message:
    'libs/common imports no other lib (DESIGN.md §2): move the shared piece into libs/common or invert the dependency.',
};

/** `no-restricted-imports` options for one kind of file (a later config object replaces the options wholesale). */
function restrictedImports({ test, common }) {
  return [
    'error',
    { patterns: [test ? DEEP_IMPORT_IN_TEST : DEEP_IMPORT, ...(common ? [COMMON_IMPORTS_LIB] : [])] },
  ];
}

/** `{ kind: 'apps' | 'libs', name }` for a repo-relative path inside apps/<name> or libs/<name>, else undefined. */
function areaOf(repoPath) {
  const match = /^(apps|libs)\/([^/]+)(?:\/|$)/.exec(repoPath.split(path.sep).join('/'));
  return match ? { kind: match[1], name: match[2] } : undefined;
}

/** Resolves an import specifier to a repo-relative path when it is relative or baseUrl-rooted (`apps/…`, `libs/…`). */
function targetPath(fromFile, specifier) {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    return path.relative(ROOT, path.resolve(path.dirname(fromFile), specifier));
  }
  if (/^(apps|libs)\//.test(specifier)) return specifier;
  return undefined;
}

const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Relative and baseUrl imports must not cross lib/app boundaries (DESIGN.md §2).' },
    schema: [],
    messages: {
      intoLib:
        'Import "{{specifier}}" reaches into libs/{{lib}}: import it through "@app/{{lib}}" (or "@app/{{lib}}/testing" in tests).',
      libImportsApp: 'libs/{{from}} imports apps/{{app}} ("{{specifier}}"): a lib never imports an app.',
      selfAlias:
        'libs/{{lib}} imports itself through "{{specifier}}": use a relative import inside the lib (the alias goes round through index.ts and makes a cycle).',
    },
  },
  create(context) {
    const file = context.filename;
    const from = areaOf(path.relative(ROOT, file));
    const isTest =
      /\.(spec|int-spec|e2e-spec)\.ts$/.test(file) ||
      /[\\/]src[\\/]testing[\\/]/.test(file) ||
      /[\\/]scripts[\\/]bench-[^\\/]+\.ts$/.test(file);
    const check = (node) => {
      const source = node?.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined;
      if (source === undefined) return;
      if (
        from?.kind === 'libs' &&
        !isTest &&
        (source === `@app/${from.name}` || source.startsWith(`@app/${from.name}/`))
      ) {
        context.report({ node, messageId: 'selfAlias', data: { lib: from.name, specifier: source } });
        return;
      }
      const target = targetPath(file, source);
      if (target === undefined) return;
      const to = areaOf(target);
      if (to?.kind === 'libs' && !(from?.kind === 'libs' && from.name === to.name)) {
        context.report({ node, messageId: 'intoLib', data: { specifier: source, lib: to.name } });
      } else if (to?.kind === 'apps' && from?.kind === 'libs') {
        context.report({
          node,
          messageId: 'libImportsApp',
          data: { from: from.name, app: to.name, specifier: source },
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportEqualsDeclaration: (node) => {
        if (node.moduleReference.type === 'TSExternalModuleReference') check(node.moduleReference.expression);
      },
      CallExpression: (node) => {
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          node.arguments.length === 1
        )
          check(node.arguments[0]);
      },
    };
  },
};

export default defineConfig(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'apps/web/src/api/schema.gen.ts',
      'coverage/**',
      '.portico/**',
    ],
  },

  // plain JS (this file, any .mjs/.cjs helper): syntax-level rules only
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
  },
  // package.json has no "type": "module", so .js and .cjs files are CommonJS
  { files: ['**/*.{js,cjs}'], languageOptions: { sourceType: 'commonjs' } },

  {
    // apps/web's files are typed by apps/web/tsconfig.json (the project service finds it)
    files: ['**/*.ts', 'apps/web/**/*.tsx'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // root-level files outside tsconfig.json's `include` (jest.config.ts) get the default project
        projectService: { allowDefaultProject: ['*.ts'], defaultProject: 'tsconfig.json' },
        tsconfigRootDir: ROOT,
      },
    },
    plugins: { portico: { rules: { 'import-boundaries': importBoundaries } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'portico/import-boundaries': 'error',
      'no-restricted-imports': restrictedImports({ test: false, common: false }),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Nest idioms: marker modules are empty classes; lifecycle hooks are async without awaiting
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/require-await': 'off',
      // tsc (noUnusedLocals/noUnusedParameters) reports these too; keep the same `_` escape hatch
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },

  // the web UI (React): the rules of hooks, and hook dependencies that are complete
  {
    files: ['apps/web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      // useApi(load, deps) runs `load` like useEffect runs its callback: check its deps the same way
      'react-hooks/exhaustive-deps': ['error', { additionalHooks: '^useApi$' }],
    },
  },

  {
    files: TEST_FILES,
    rules: {
      'no-restricted-imports': restrictedImports({ test: true, common: false }),
      // `expect(service.method).toHaveBeenCalled()` and jest.fn() mocks
      '@typescript-eslint/unbound-method': 'off',
      // supertest's `res.body`, Nest's `app.getHttpServer()` and JSON.parse are typed `any` by their
      // libraries; tests assert on them with expect(). Writing `any` yourself is still an error.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: COMMON_FILES,
    ignores: TEST_FILES,
    rules: { 'no-restricted-imports': restrictedImports({ test: false, common: true }) },
  },
  {
    files: TEST_FILES.filter((glob) => glob.startsWith('**/'))
      .map((glob) => `libs/common/${glob}`)
      .concat('libs/common/src/testing/**/*.ts'),
    rules: { 'no-restricted-imports': restrictedImports({ test: true, common: true }) },
  },

  prettier,
);
