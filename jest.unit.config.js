import base from './jest.base.config.js';

/** Unit specs: beside the code, no servers needed. */
export default {
  ...base,
  displayName: 'unit',
  testMatch: ['<rootDir>/apps/*/src/**/*.spec.ts', '<rootDir>/libs/*/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
