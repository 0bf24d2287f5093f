// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // No consistent-type-imports: with emitDecoratorMetadata, Nest's DI needs
      // constructor parameter types imported as values.
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message:
            'Read configuration through AppConfig (libs/config); only libs/config and test setup read process.env.',
        },
      ],
    },
  },
  {
    files: [
      'libs/config/src/**',
      'test/**',
      'scripts/**',
      'bench/**',
      'examples/**',
      '**/*.spec.ts',
      '**/*.e2e-spec.ts',
      '**/*.int-spec.ts',
      '*.config.js',
      '*.config.mjs',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The list of installed extensions imports the developers' modules, and
    // they import @app/extensions: a lib importing the list back would close an
    // ES module cycle, and the workers would stop at startup ("Cannot access
    // 'OnNotionEvent' before initialization"). Only the worker apps load it.
    files: ['libs/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)installed-extensions(/|$)',
              message:
                'Only apps/event-worker and apps/job-worker import the installed extensions (libs/installed-extensions).',
            },
          ],
        },
      ],
    },
  },
  {
    // Specs poke at untyped JSON bodies.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.int-spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
