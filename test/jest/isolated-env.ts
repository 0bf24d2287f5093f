import { ensureDatabase, runMigrations } from '@app/database';
import { deleteKeys, dropDatabase } from './cleanup.mjs';
import { SERVER_URLS, testConfig, testEnv } from './test-env.js';

export interface IsolatedEnv {
  /** Overrides for `testEnv` / `processEnv`: the suite's database and Redis prefixes. */
  readonly env: Readonly<Record<string, string>>;
  /** Drops the database and deletes the suite's Redis keys (after its apps stopped). */
  dispose(): Promise<void>;
}

/**
 * A database (with the real migrations) and Redis prefixes of one suite's own,
 * for suites whose apps must not meet what earlier suites left in the run's
 * shared ones: their projects (whose job schedulers an event-worker re-creates
 * at startup, with this suite's intervals) and their queued jobs.
 */
export async function isolatedEnv(label: string): Promise<IsolatedEnv> {
  if (!/^[a-z]{1,12}$/.test(label)) throw new Error(`label must be 1 to 12 of a-z, got "${label}"`);
  const run = testEnv();
  // Ends in its creation time in base 36, like the run's own database: global
  // setup drops those of runs that were killed, by that time, and no other.
  const name = `notion_sync_test_${label}_${Date.now().toString(36)}`;
  const url = new URL(SERVER_URLS.postgres);
  url.pathname = `/${name}`;
  const keyPrefix = `${run.REDIS_KEY_PREFIX}-${label}`;
  const env = {
    DATABASE_URL: url.toString(),
    REDIS_KEY_PREFIX: keyPrefix,
    REDIS_CHANNEL_PREFIX: `${run.REDIS_CHANNEL_PREFIX}${label}:`,
  };
  const config = testConfig(env);
  await ensureDatabase(config);
  await runMigrations(config);
  return {
    env,
    dispose: async () => {
      await dropDatabase(name);
      await deleteKeys(keyPrefix);
    },
  };
}
