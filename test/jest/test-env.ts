/**
 * The environment of one integration test run. Global setup creates a database
 * and picks Redis prefixes of this run's own and publishes them through these
 * variables; every suite (and every app process a suite spawns) uses them, so a
 * run never touches a user's data or another run's.
 */
import { loadConfig, type AppConfig } from '@app/config';
import { RUN_VARS, SERVER_URLS } from './run-vars.mjs';

export { RUN_VARS, SERVER_URLS } from './run-vars.mjs';

function runVar(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is unset: run integration specs through jest.int.config.js (npm run test:int)`);
  return value;
}

/**
 * Environment variables for this run's apps: the test database and prefixes,
 * quiet JSON logs, and ports that do not collide with a running `npm start`.
 */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: runVar(RUN_VARS.databaseUrl),
    REDIS_URL: SERVER_URLS.redis,
    REDIS_KEY_PREFIX: runVar(RUN_VARS.keyPrefix),
    REDIS_CHANNEL_PREFIX: runVar(RUN_VARS.channelPrefix),
    HOST: '127.0.0.1',
    DATABASE_POOL_SIZE: '5',
    ...overrides,
  };
}

/** A validated config for in-process apps, built from `testEnv`. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig(testEnv(overrides));
}

/** The whole environment for a spawned app process: the caller's plus `testEnv`. */
export function processEnv(overrides: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...process.env, ...testEnv(overrides) };
}
