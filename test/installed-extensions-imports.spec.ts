/**
 * The guard against the extension point's import cycle: libs/installed-extensions
 * imports the developers' modules, which import @app/extensions, so no lib may
 * import the list (eslint.config.js, no-restricted-imports). Linted through
 * ESLint's own API with the repository's config, so a config change that drops
 * the rule fails here.
 */
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '@app/testing';

const eslint = new ESLint({ cwd: REPO_ROOT });

/** The rule ids ESLint reports for a file `path` that imports `specifier`. */
const ruleIdsFor = async (path: string, specifier: string) => {
  const code = `import { INSTALLED_EXTENSIONS } from '${specifier}';\nexport const listed = INSTALLED_EXTENSIONS;\n`;
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}${path}` });
  return result!.messages.map((m) => m.ruleId);
};

describe('imports of the installed extensions', () => {
  it.each([
    ['libs/extensions/src/extensions.module.ts', '@app/installed-extensions'],
    ['libs/extensions/src/index.ts', '../../installed-extensions/src/index.js'],
    ['libs/notion/src/index.ts', '@app/installed-extensions'],
  ])('are refused in %s (%s)', async (path, specifier) => {
    expect(await ruleIdsFor(path, specifier)).toEqual(['no-restricted-imports']);
  });

  it.each(['apps/event-worker/src/event-worker.module.ts', 'apps/job-worker/src/job-worker.module.ts'])(
    'are allowed in %s',
    async (path) => {
      expect(await ruleIdsFor(path, '@app/installed-extensions')).toEqual([]);
    },
  );
});
