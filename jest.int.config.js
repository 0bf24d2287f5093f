import base from './jest.base.config.js';

/**
 * Integration and e2e specs against the real Postgres and Redis. Global setup
 * creates a database and a Redis key/channel prefix of this run's own and
 * applies the real migrations; teardown removes them. Suites run one at a time:
 * two cores, and several suites start whole apps.
 */
export default {
  ...base,
  displayName: 'integration',
  testMatch: [
    '<rootDir>/apps/*/test/**/*.e2e-spec.ts',
    '<rootDir>/libs/*/test/**/*.int-spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
  ],
  globalSetup: '<rootDir>/test/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/test/jest/global-teardown.mjs',
  maxWorkers: 1,
  testTimeout: 60_000,
};
