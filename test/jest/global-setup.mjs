import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { MIGRATE_ENTRY, RUN_VARS, SERVER_URLS } from './run-vars.mjs';

/** Fails in seconds, with what to do, when a server is not there. */
async function assertReachable() {
  const client = new pg.Client({ connectionString: SERVER_URLS.postgres, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${SERVER_URLS.postgres} (${err.message}). ` +
        'Start it (see README: Tests) or set TEST_POSTGRES_URL.',
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(SERVER_URLS.redis, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${SERVER_URLS.redis} (${err.message}). ` +
        'Start it (see README: Tests) or set TEST_REDIS_URL.',
      { cause: err },
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * Creates this run's database and applies the real migrations with the built
 * migration runner (the one `npm start` and the compose `migrate` service use),
 * and picks this run's Redis key and channel prefixes. Workers inherit the
 * variables set here.
 */
export default async function globalSetup() {
  await assertReachable();
  if (!existsSync(MIGRATE_ENTRY)) throw new Error(`${MIGRATE_ENTRY} is missing: run \`npm run build\` first`);
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const dbUrl = new URL(SERVER_URLS.postgres);
  dbUrl.pathname = `/notion_sync_test_${run}`;
  const migrate = spawnSync(process.execPath, [MIGRATE_ENTRY], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: dbUrl.toString() },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`Migrations failed on ${dbUrl}:\n${migrate.stdout}${migrate.stderr}`);
  process.env[RUN_VARS.databaseUrl] = dbUrl.toString();
  process.env[RUN_VARS.keyPrefix] = `nstest-${run}`;
  process.env[RUN_VARS.channelPrefix] = `nstest-${run}:`;
}
