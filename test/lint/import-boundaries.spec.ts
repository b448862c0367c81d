import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Proves the import-boundary rules of eslint.config.mjs fail where DESIGN.md §2 says they must.
 *
 * ESLint loads its flat config with a native `import()`, which Jest's module sandbox refuses
 * without --experimental-vm-modules, so the ESLint Node API (`new ESLint({ overrideConfigFile })`
 * + `lintText(code, { filePath })`) runs in one child node process for all cases. The files are
 * virtual (never written), so type-aware rules are switched off with typescript-eslint's
 * `disableTypeChecked`; the boundary rules do not use type information.
 */

const ROOT = join(__dirname, '..', '..');
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'portico/import-boundaries']);

interface LintCase {
  filePath: string;
  code: string;
}

interface LintMessage {
  ruleId: string | null;
  message: string;
}

const RUNNER = `
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
const cases = JSON.parse(process.argv[1]);
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfigFile: 'eslint.config.mjs',
  overrideConfig: tseslint.configs.disableTypeChecked,
});
const out = [];
for (const c of cases) {
  const [result] = await eslint.lintText(c.code, { filePath: c.filePath });
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(out));
`;

const CASES = {
  deepImportFromApp: {
    filePath: 'apps/api/src/probe.ts',
    code: "export { ApiKeyEntity } from '@app/identity/keys/api-key.entity';\n",
  },
  deepImportTypeOnly: {
    filePath: 'apps/api/src/probe.ts',
    code: "import type { ApiKeyEntity } from '@app/identity/keys/api-key.entity';\nexport type K = ApiKeyEntity;\n",
  },
  testingFromProductionCode: {
    filePath: 'apps/api/src/probe.ts',
    code: "export * from '@app/identity/testing';\n",
  },
  testingFromSpec: {
    filePath: 'apps/api/src/probe.spec.ts',
    code: "export * from '@app/identity/testing';\n",
  },
  testingFromTestFolder: {
    filePath: 'test/probe.e2e-spec.ts',
    code: "export * from '@app/identity/testing';\n",
  },
  deepImportFromSpec: {
    filePath: 'test/probe.e2e-spec.ts',
    code: "export * from '@app/identity/keys/api-key.entity';\n",
  },
  appFromLibRelative: {
    filePath: 'libs/identity/src/probe.ts',
    code: "export * from '../../../apps/api/src/app.module';\n",
  },
  appFromLibBaseUrl: {
    filePath: 'libs/identity/src/probe.ts',
    code: "export * from 'apps/api/src/app.module';\n",
  },
  identityFromCommon: {
    filePath: 'libs/common/src/probe.ts',
    code: "export { IdentityEnv } from '@app/identity';\n",
  },
  identityTestingFromCommonSpec: {
    filePath: 'libs/common/src/probe.spec.ts',
    code: "export * from '@app/identity/testing';\n",
  },
  relativeClimbIntoAnotherLib: {
    filePath: 'libs/common/src/config/probe.ts',
    code: "export * from '../../../identity/src/identity.env';\n",
  },
  dynamicImportIntoAnotherLib: {
    filePath: 'libs/common/src/config/probe.ts',
    code: "export const load = (): Promise<unknown> => import('../../../identity/src/identity.env');\n",
  },
  relativeIntoLibFromApp: {
    filePath: 'apps/api/src/probe.ts',
    code: "export * from '../../../libs/identity/src/keys/api-key.entity';\n",
  },
  libOwnAliasFromInside: {
    filePath: 'libs/identity/src/keys/probe.ts',
    code: "export { IdentityEnv } from '@app/identity';\n",
  },
  commonFromIdentity: {
    filePath: 'libs/identity/src/probe.ts',
    code: "export { CoreEnv } from '@app/common';\n",
  },
  commonTestingFromIdentitySpec: {
    filePath: 'libs/identity/src/probe.spec.ts',
    code: "export * from '@app/common/testing';\n",
  },
  relativeInsideOwnLib: {
    filePath: 'libs/identity/src/keys/probe.ts',
    code: "export * from '../identity.env';\n",
  },
  appComposesApps: {
    filePath: 'apps/standalone/src/probe.ts',
    code: "export * from '../../api/src/app.module';\n",
  },
  migrationsFromTestSupport: {
    filePath: 'test/support/probe.ts',
    code: "export { MIGRATIONS } from '../../migrations';\n",
  },
} satisfies Record<string, LintCase>;

type CaseName = keyof typeof CASES;

describe('import boundaries (eslint.config.mjs)', () => {
  let results: Record<CaseName, LintMessage[]>;

  beforeAll(() => {
    const names = Object.keys(CASES) as CaseName[];
    const input = names.map((name) => ({ ...CASES[name], filePath: join(ROOT, CASES[name].filePath) }));
    const stdout = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', RUNNER, JSON.stringify(input)],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const perCase = JSON.parse(stdout) as LintMessage[][];
    results = Object.fromEntries(names.map((name, i) => [name, perCase[i]])) as Record<
      CaseName,
      LintMessage[]
    >;
  }, 90_000);

  /** Boundary violations, after checking the probe parsed at all (a parse error would hide everything). */
  function violations(name: CaseName): LintMessage[] {
    const fatal = results[name].filter((m) => m.ruleId === null);
    expect(fatal).toEqual([]);
    return results[name].filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId));
  }

  function rulesFired(name: CaseName): (string | null)[] {
    return violations(name).map((m) => m.ruleId);
  }

  describe('fails', () => {
    it('a deep import @app/identity/keys/api-key.entity from apps/api', () => {
      expect(rulesFired('deepImportFromApp')).toEqual(['no-restricted-imports']);
      expect(violations('deepImportFromApp')[0].message).toMatch(/Deep import into a lib/);
    });

    it('a type-only deep import', () => {
      expect(rulesFired('deepImportTypeOnly')).toEqual(['no-restricted-imports']);
    });

    it('@app/<lib>/testing from production code', () => {
      expect(rulesFired('testingFromProductionCode')).toEqual(['no-restricted-imports']);
    });

    it('a deep import other than /testing from a test file', () => {
      expect(rulesFired('deepImportFromSpec')).toEqual(['no-restricted-imports']);
    });

    it('an app import from a lib, by relative path', () => {
      expect(rulesFired('appFromLibRelative')).toEqual(['portico/import-boundaries']);
      expect(violations('appFromLibRelative')[0].message).toMatch(/a lib never imports an app/);
    });

    it('an app import from a lib, by baseUrl path', () => {
      expect(rulesFired('appFromLibBaseUrl')).toEqual(['portico/import-boundaries']);
    });

    it('@app/identity from libs/common', () => {
      expect(rulesFired('identityFromCommon')).toEqual(['no-restricted-imports']);
      expect(violations('identityFromCommon')[0].message).toMatch(/libs\/common imports no other lib/);
    });

    it('@app/identity/testing from a libs/common spec', () => {
      expect(rulesFired('identityTestingFromCommonSpec')).toEqual(['no-restricted-imports']);
    });

    it('a relative climb from libs/common into libs/identity', () => {
      expect(rulesFired('relativeClimbIntoAnotherLib')).toEqual(['portico/import-boundaries']);
      expect(violations('relativeClimbIntoAnotherLib')[0].message).toMatch(/reaches into libs\/identity/);
    });

    it('a dynamic import() climbing into another lib', () => {
      expect(rulesFired('dynamicImportIntoAnotherLib')).toEqual(['portico/import-boundaries']);
    });

    it('a relative path from an app into a lib', () => {
      expect(rulesFired('relativeIntoLibFromApp')).toEqual(['portico/import-boundaries']);
    });

    it('a lib importing itself through its own alias', () => {
      expect(rulesFired('libOwnAliasFromInside')).toEqual(['portico/import-boundaries']);
    });
  });

  describe('allows', () => {
    it('@app/common from libs/identity', () => {
      expect(violations('commonFromIdentity')).toEqual([]);
    });

    it('@app/common/testing from a libs/identity spec', () => {
      expect(violations('commonTestingFromIdentitySpec')).toEqual([]);
    });

    it('@app/identity/testing from specs and test/', () => {
      expect(violations('testingFromSpec')).toEqual([]);
      expect(violations('testingFromTestFolder')).toEqual([]);
    });

    it('relative imports inside one lib', () => {
      expect(violations('relativeInsideOwnLib')).toEqual([]);
    });

    it('an app composing other apps (apps/standalone)', () => {
      expect(violations('appComposesApps')).toEqual([]);
    });

    it('test support importing migrations/', () => {
      expect(violations('migrationsFromTestSupport')).toEqual([]);
    });
  });
});
