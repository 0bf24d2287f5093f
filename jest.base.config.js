/**
 * Shared Jest settings: native ESM (run with --experimental-vm-modules), @swc/jest
 * for speed (it does not type-check: `npm run typecheck` does), and the
 * `@app/<lib>` aliases of tsconfig.json.
 */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
    target: 'es2022',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/**
 * jwks-rsa (CommonJS) requires jose, which ships only ESM. Node 20.19+ loads it
 * (require of ESM), but Jest's CommonJS loader does so only on Node 24.9+, so
 * jose is compiled to CommonJS for the tests.
 */
const swcToCommonJs = { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } };

/** @type {import('jest').Config} */
export default {
  rootDir: '.',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    '/node_modules/jose/.+\\.js$': ['@swc/jest', swcToCommonJs],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper: {
    '^@app/([^/]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^@app/([^/]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // See the stub: its real dependencies cannot be loaded by Jest on Node 20.
    '^@fastify/static$': '<rootDir>/test/jest/stubs/fastify-static.cjs',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
