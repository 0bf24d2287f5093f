/**
 * The environment of one integration test run. Global setup creates a database
 * and picks Redis prefixes of this run's own and publishes them through these
 * variables; every suite (and every app process a suite spawns) uses them, so a
 * run never touches a user's data or another run's.
 */
import { loadConfig, type AppConfig } from '@app/config';
import { TcpProxy, type ThrowawayRedis } from '@app/testing';
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
    // The gateway's admin server: any free port, so gateways of a run (and a
    // running `npm start`) never collide on 3003. AdminServer.port() tells it.
    ADMIN_PORT: '0',
    DATABASE_POOL_SIZE: '5',
    // Specs about syncing start a FakeNotion of their own and override this.
    NOTION_API_BASE_URL: runVar(RUN_VARS.notionUrl),
    // Every fixture project shares one token: pacing it at Notion's 3/s would
    // make specs about other things wait. Specs about pacing set Notion's rate.
    NOTION_RATE_LIMIT_PER_SECOND: '100',
    NOTION_RATE_LIMIT_BURST: '100',
    // Client rate limits are counted in Redis, under this run's prefix: every
    // gateway of the run (all from 127.0.0.1, many as "alice") shares them, so
    // suites would spend each other's budgets. Specs about limits set their own
    // (and a key prefix of their own, see rate-limits.e2e-spec.ts).
    THROTTLE_LIMIT: '1000000',
    THROTTLE_IP_LIMIT: '1000000',
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

/**
 * A config whose Postgres sits behind a proxy the test can cut and whose Redis
 * is the given throwaway one (started here), with short timeouts so faults show
 * within a second or two. The caller closes the proxy and stops the Redis.
 */
export async function faultableConfig(
  redis: ThrowawayRedis,
  overrides: Record<string, string> = {},
): Promise<{ config: AppConfig; pgProxy: TcpProxy }> {
  await redis.start();
  const db = new URL(testEnv().DATABASE_URL!);
  const pgProxy = new TcpProxy(db.hostname, Number(db.port || 5432));
  db.port = String(await pgProxy.start());
  const config = testConfig({
    DATABASE_URL: db.toString(),
    REDIS_URL: redis.url,
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    DATABASE_STATEMENT_TIMEOUT_MS: '1000',
    ...overrides,
  });
  return { config, pgProxy };
}
