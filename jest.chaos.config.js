import base from './jest.base.config.js';

/**
 * Chaos specs (`npm run test:chaos`): the three built apps as real processes,
 * killed, stopped and cut off while traffic flows, then checked against the
 * delivery ledger (test/chaos/ledger.ts). Same run setup as the integration
 * specs (own database, Redis prefixes, fixture Notion); one suite at a time,
 * with generous deadlines (a loaded 2-core machine runs three apps, Postgres and
 * Redis per scenario).
 */
export default {
  ...base,
  displayName: 'chaos',
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  globalSetup: '<rootDir>/test/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/test/jest/global-teardown.mjs',
  maxWorkers: 1,
  testTimeout: 180_000,
};
